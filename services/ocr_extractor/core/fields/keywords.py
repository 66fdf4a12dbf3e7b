"""Keyword grammars shared by the field finders (English, Spanish, German; tolerant of OCR slips such as T0TAL)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from iris_common.contract.extraction import OcrLine

TOTAL_WORD = r"t[o0]ta[l1i]"  # TOTAL, T0TAL, TOTAI
STRONG_TOTAL = re.compile(
    rf"grand\s*{TOTAL_WORD}|{TOTAL_WORD}\s*a\s*pagar|importe\s*(?:{TOTAL_WORD}|a\s*pagar)|{TOTAL_WORD}\s*(?:amount|due|payable|to\s*pay|incl|inclusive|"
    rf"\(incl|with|rounded|general|factura|eur|€|\$|usd|\(rm\)|rm\b|sales\s*\(?incl)|(?:amount|balance|total)\s*due|"
    rf"net(?:t)?\s*(?:{TOTAL_WORD}|amt|amount)|{TOTAL_WORD}\s*net[ao]?|amount\s*payable|rounded\s*{TOTAL_WORD}|{TOTAL_WORD}\s*after|(?:amount\s*)?to\s*be\s*paid|"
    rf"amount\s*to\s*pay|{TOTAL_WORD}\s*amt|{TOTAL_WORD}\s*ttc|net\s*[àa]\s*payer|totaal|factuur\s*totaal|(?<![a-z])(?:gesamt\s*)?summe(?![a-z])|zu\s*zahlen|endbetrag|gesamtbetrag|(?<![a-z])gesamt(?![a-z])",
    re.IGNORECASE,
)
TOTAL = re.compile(
    rf"(?<![a-z]){TOTAL_WORD}(?![a-z])|(?<![a-z])importe(?![a-z])|a\s*pagar|(?<![a-z])amount(?![a-z])|(?<![a-z])betrag(?![a-z])",
    re.IGNORECASE,
)
NOT_TOTAL = re.compile(
    rf"sub\s*-?\s*{TOTAL_WORD}|subtotal|{TOTAL_WORD}\s*(?:qty|quantity|item|items|pcs|units|unid|art[ií]culos|disc|discount|dto|"
    rf"savings?|saved|excl|exclusive|before|sin\s*iva|base|points?|tax\b|gst\s*(?:payable)?\s*$|vat\b|iva\b|\d+\s*$|"
    rf"number|no\b)|change|cambio|(?<![a-z])cash(?![a-z])|efectivo|tender|entregad|rounding|redondeo|discount|descuento|"
    rf"base\s*imponible|service\s*charge|propina|(?<![a-z])tip(?![a-z])|deposit|(?<![a-z])paid(?![a-z])|payment|"
    rf"pago|card|tarjeta|visa|master|credit|voucher|saving|balance\s*(?:points|b/f)|qty|item\s*count|zwischensumme|"
    rf"r[üu]ckgeld|gegeben|(?<![a-z])netto(?![a-z])|kartenzahlung|ec[\s-]*karte|{TOTAL_WORD}\s*ht(?![a-z])|hors\s*taxe|excl\.?\s*btw",
    re.IGNORECASE,
)
# a running sum printed at a page break: not an article, not the document's total or subtotal
CARRIED = re.compile(
    r"carried\s*(?:forward|over|fwd)|brought\s*(?:forward|fwd)|(?<![a-z])[cb]/f(?![a-z])|suma\s*y\s*sigue|suma\s*anterior|"
    r"(?<![a-z])a\s*transportar(?![a-z])|(?<![a-z])[üu]bertrag(?![a-z])|zu\s*[üu]bertragen|"
    r"continued\s*(?:from|on)|contin[úu]a\s*en",
    re.IGNORECASE,
)
PAID = re.compile(
    r"(?<![a-z])(cash|efectivo|tendered|tender|entregado|received|recibido|paid|pagado|payment|pago|gegeben|bar)(?![a-z])", re.IGNORECASE
)
CHANGE = re.compile(r"(?<![a-z])(change|cambio|vuelto|devoluci[oó]n|r[üu]ckgeld|zur[üu]ck)(?![a-z])", re.IGNORECASE)
ROUNDING = re.compile(r"(?<![a-z])round|redondeo|rundung", re.IGNORECASE)
TAX_ONLY = re.compile(r"(?<![a-z])(tax|gst|vat|iva|igic|mwst|ust)(?![a-z])", re.IGNORECASE)
INCLUSIVE = re.compile(r"incl|inclusive|incluid|con\s*iva|with|inkl|brutto", re.IGNORECASE)
DATE_KEY = re.compile(r"(?<![a-z])(date|dated|fecha|f\.|tarikh|issued|emisi[oó]n|[a-z]*datum)(?![a-z])", re.IGNORECASE)
NOT_DATE_KEY = re.compile(
    r"due\s*date|vencimiento|expir|valid|caduc|born|nacimiento|period|verval|[ée]ch[ée]ance|f[äa]llig|"
    r"check[\s-]*(?:in|out)|delivery|entrega|lieferdatum|leverdatum",
    re.IGNORECASE,
)
HEADER_WORDS = re.compile(
    r"^(tax\s*invoice|invoice|receipt|official\s*receipt|cash\s*(sale|bill|receipt)|simplified|factura(\s*simplificada)?|"
    r"ticket|recibo|copy|original|duplicate|welcome|bienvenid[oa]s?|gracias|thank|customer\s*copy|sales\s*receipt|"
    r"nota|albar[aá]n|bill)\b",
    re.IGNORECASE,
)
CONTACT = re.compile(
    r"(?<![a-z])(tel|telf|tlf|phone|fax|h/?p|mobile|m[oó]vil|email|e-mail|www|http|gst\s*(id|no|reg)|co\.?\s*reg|"
    r"company\s*(reg|no)|co\.?\s*no|roc\s*no|reg\.?\s*no|registration|sst|nif|cif|rfc|vat\s*(no|reg|number)|tax\s*id|abn|ruc)(?![a-z])|@",
    re.IGNORECASE,
)
STOP_ADDRESS = re.compile(
    r"(?<![a-z])(invoice|receipt|factura|ticket|recibo|cashier|cajero|table|mesa|date|fecha|bill|terminal|"
    r"document|doc\s*no|order|pedido|salesperson|server|member|customer|cliente)(?![a-z])",
    re.IGNORECASE,
)
BOILERPLATE = re.compile(
    r"(?<![a-z])(thank|thanks|please|gracias|por\s*favor|returnable|refund|feedback|complaint|redeem|points|welcome|"
    r"bienvenid|visit|visite|follow|s[ií]guenos|come\s*again|vuelva)",
    re.IGNORECASE,
)
COMPANY_SUFFIX = re.compile(
    r"(?<![a-z])(sdn\.?\s*bhd|bhd|berhad|[s5]/b|s\.?\s*l\.?u?|s\.?\s*a\.?|ltd|limited|inc|llc|gmbh|co\.|corp|enterprise|trading)\.?\s*$",
    re.IGNORECASE,
)
REG_ONLY = re.compile(r"^[\s(\[]*(?:[a-z.]*\s*)?[\d\-/ ]{4,}[a-z]?[\s)\]]*$", re.IGNORECASE)


def letters_ratio(text: str) -> float:
    stripped = text.replace(" ", "")
    return sum(ch.isalpha() for ch in stripped) / len(stripped) if stripped else 0.0


REG_IN_BRACKETS = re.compile(r"[(\[][\w\s.:-]*\d{4,}[\w\s.:-]*[)\]]")


def is_texty(text: str) -> bool:
    """Mostly letters, once a bracketed registration number ('(519537-X)') is set aside."""
    text = REG_IN_BRACKETS.sub(" ", text)
    return len(re.sub(r"[^A-Za-z0-9À-ÿ]", "", text)) >= 3 and letters_ratio(text) >= 0.5


def cell_below(rows: Sequence, i: int, line: OcrLine, *, max_rows: int = 2) -> tuple[int, OcrLine] | None:
    """The cell under a column header: in the next rows (of the same page), the line whose horizontal extent
    overlaps the header line's the most (at least a third of the narrower one). Tables print the header cell
    (`Invoice date`, `Factuur`, `Booking ID`) above its value, so the row below alone does not say which value."""
    x0, x1 = line.bbox[0], line.bbox[2]
    for j in range(i + 1, min(i + 1 + max_rows, len(rows))):
        if rows[j].page != rows[i].page:
            return None
        best, best_overlap = None, 0.0
        for candidate in rows[j].lines:
            overlap = min(x1, candidate.bbox[2]) - max(x0, candidate.bbox[0])
            narrower = max(min(x1 - x0, candidate.bbox[2] - candidate.bbox[0]), 1.0)
            if overlap / narrower >= 1 / 3 and overlap > best_overlap:
                best, best_overlap = candidate, overlap
        if best is not None:
            return j, best
    return None
