"""core.titles and the title's evidence in core.routing: a page that names itself an invoice is not filed as a form."""

from iris_common.contract.extraction import DocumentType, OcrLine, OcrPage, OcrResult
from ocr_extractor.core.routing import route, with_title
from ocr_extractor.core.titles import line_names, titled_type
from tests.ocr_extractor.test_routing_unit import READABLE_RECEIPT, _doc, _extractor

T = DocumentType


def _ocr(texts: list[str], height: int = 1000, top: float = 20.0) -> OcrResult:
    lines = [OcrLine(index=i, text=t, confidence=0.99, bbox=[10, top + 30 * i, 400, top + 30 * i + 25],
                     polygon=[[10, 0], [400, 0], [400, 25], [10, 25]]) for i, t in enumerate(texts)]
    return OcrResult(engine="test", language="en", mean_confidence=0.99, text="\n".join(texts), pages=[OcrPage(index=0, width=800, height=height)],
                     lines=lines, words=[], reading_order=list(range(len(lines))))


def test_short_title_lines_name_their_type_in_several_languages() -> None:
    assert line_names("FACTUUR.") == T.INVOICE
    assert line_names("Rechnungsnummer: 4711") == T.INVOICE  # a compound
    assert line_names("Facture n° 2022089083") == T.INVOICE
    assert line_names("CONTRACT") == T.INVOICE  # orders and contracts read with the invoice schema
    assert line_names("Reçu") == T.RECEIPT
    assert line_names("Formulario de solicitud") == T.FORM


def test_ambiguous_titles_sentences_and_lookalike_words_name_nothing() -> None:
    assert line_names("TAX INVOICE") is None  # heads till receipts as well as invoices
    assert line_names("Please ask the hotel for an invoice at check-out") is None  # a sentence
    assert line_names("Format") is None and line_names("Information") is None  # 'form' is a whole word
    assert line_names("Invoice / Receipt") is None  # names two types


def test_only_the_top_of_the_first_page_counts() -> None:
    assert titled_type(_ocr(["ACME Ltd", "INVOICE", "No 12"])) == T.INVOICE
    assert titled_type(_ocr(["ACME Ltd", "INVOICE"], top=600)) is None  # below the top third
    assert titled_type(_ocr(["INVOICE", "APPLICATION FORM"])) is None  # two titles disagree


def test_title_raises_its_type_and_its_sales_sibling_then_renormalises() -> None:
    updated = with_title({T.FORM: 0.7, T.INVOICE: 0.2, T.RECEIPT: 0.1}, T.INVOICE)
    assert abs(sum(updated.values()) - 1) < 1e-9
    assert updated[T.INVOICE] > updated[T.FORM] and updated[T.RECEIPT] > 0.1
    assert with_title({T.FORM: 0.7, T.OTHER: 0.3}, None) == {T.FORM: 0.7, T.OTHER: 0.3}


def test_invoice_the_classifier_called_a_form_is_routed_to_invoice_by_its_title() -> None:
    invoice = _doc(T.INVOICE, {"total": 0.9, "invoice_number": 0.9, "date": 0.9, "vendor_name": 0.9, "customer_name": 0.9})
    documents = {T.FORM: _doc(T.FORM, {}, pairs=8), T.INVOICE: invoice}
    untitled, _ = route({T.FORM: 0.8, T.INVOICE: 0.2}, _extractor(documents, []))
    assert untitled.document_type == T.FORM  # without the title, a label-dense page fills the form schema
    chosen, decision = route({T.FORM: 0.8, T.INVOICE: 0.2}, _extractor(documents, []), titled=T.INVOICE)
    assert chosen.document_type == T.INVOICE and decision.titled == T.INVOICE
    assert decision.classifier_choice == T.FORM and "title names invoice" in decision.reason and decision.needs_review


def test_till_receipt_headed_invoice_number_stays_a_receipt() -> None:
    documents = {T.RECEIPT: _doc(T.RECEIPT, READABLE_RECEIPT), T.INVOICE: _doc(T.INVOICE, {"total": 0.9, "date": 0.9})}
    chosen, _ = route({T.RECEIPT: 0.7, T.INVOICE: 0.1, T.OTHER: 0.2}, _extractor(documents, []), titled=T.INVOICE)
    assert chosen.document_type == T.RECEIPT


def test_a_title_does_not_make_routing_skip_the_comparison() -> None:
    calls: list[DocumentType] = []
    route({T.INVOICE: 0.8, T.RECEIPT: 0.15, T.OTHER: 0.05}, _extractor({}, calls), titled=T.INVOICE)
    assert T.RECEIPT in calls  # title-updated invoice is over SURE_ABOVE, the classifier was not
