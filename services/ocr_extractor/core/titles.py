"""The type a document names in its own title: "INVOICE", "Factuur", "Rechnung", "RECEIPT", "Formulario" (pure).

A page's own words are the strongest evidence of its type a reader has, and the classifier misses it on layouts it
has not seen (a born-digital Dutch invoice, a broadcaster's ad-buy invoice laid out as a grid of labelled cells,
both called `form`). Only short lines near the top of the first page count: a title or a header label ("Invoice #",
"Factuurnummer:"), not a sentence that mentions an invoice ("ask the hotel for an invoice at check-out").

Some titles name two types at once and count for neither: "TAX INVOICE" heads Malaysian and Australian till
receipts as well as invoices. Words are folded (lower case, no accents) and compounds match by prefix
(marked * in TITLE_WORDS: "Rechnungsnummer", "factuurdatum").
"""

from __future__ import annotations

import re

from iris_common.contract.extraction import DocumentType, OcrResult
from ocr_extractor.core.normalise import fold_accents

# word prefixes that name a type, in the languages IRIS users send (en, es, de, fr, nl, it, pt)
# whole words; a trailing * lets a compound go on ("rechnung*": Rechnungsnummer, "factuur*": factuurdatum)
TITLE_WORDS: dict[DocumentType, tuple[str, ...]] = {
    DocumentType.INVOICE: ("invoice", "invoices", "factura", "facture", "factuur*", "rechnung*", "fattura", "fatura",
                           "faktura", "nota fiscal",
                           # orders and sales contracts: parties, a number, dates, amounts: what the invoice schema reads
                           "order", "purchase order", "sales order", "contract", "pedido", "orden de compra", "contrato",
                           "bestellung", "auftrag*", "commande", "bon de commande"),
    DocumentType.RECEIPT: ("receipt", "recibo", "ticket", "quittung*", "kassenbon*", "kassenbeleg*", "recu", "scontrino",
                           "ricevuta", "cash sale", "cash bill", "factura simplificada"),
    DocumentType.FORM: ("form", "formulario", "formular*", "formulaire", "modulo", "questionnaire", "cuestionario",
                        "fragebogen*", "solicitud", "antrag*"),
}
AMBIGUOUS = ("tax invoice", "simplified tax invoice", "invoice receipt", "payment receipt for invoice")
TOP_SHARE = 0.35  # a title sits in the top third of the first page
FIRST_LINES = 25  # ... and among its first lines in reading order
MAX_WORDS = 4  # a title or a header label, not a sentence


def fold(text: str) -> str:
    """Lower case, accents stripped, only letters and single spaces: 'Reçu N°' -> 'recu n'."""
    return " ".join("".join(c if c.isalpha() else " " for c in fold_accents(text.lower())).split())


def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w[:-1]) if w.endswith("*") else re.escape(w) + r"(?![a-z])" for w in words)


_PATTERNS = {doc_type: re.compile(rf"(?<![a-z])(?:{_alternatives(words)})") for doc_type, words in TITLE_WORDS.items()}
_AMBIGUOUS = re.compile(r"(?<![a-z])(?:" + "|".join(re.escape(w) for w in AMBIGUOUS) + r")(?![a-z])")


def line_names(text: str) -> DocumentType | None:
    """The one type a short line names, or None (several, an ambiguous title, or a sentence)."""
    folded = fold(text)
    if not folded or len(folded.split()) > MAX_WORDS or _AMBIGUOUS.search(folded):
        return None
    named = [doc_type for doc_type, pattern in _PATTERNS.items() if pattern.search(folded)]
    return named[0] if len(named) == 1 else None


def titled_type(ocr: OcrResult) -> DocumentType | None:
    """The type named by the top lines of the first page when they agree on one, else None."""
    first = ocr.pages[0] if ocr.pages else None
    limit = first.height * TOP_SHARE if first else float("inf")
    order = ocr.reading_order or list(range(len(ocr.lines)))
    named: set[DocumentType] = set()
    for index in order[:FIRST_LINES]:
        line = ocr.lines[index]
        if line.page != 0 or line.bbox[1] > limit:
            continue
        if (doc_type := line_names(line.text)) is not None:
            named.add(doc_type)
    return named.pop() if len(named) == 1 else None
