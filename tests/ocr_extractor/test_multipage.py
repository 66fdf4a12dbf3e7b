"""Documents of several pages: header fields from the first page that has them, totals from the last page that
has one, line items across pages without carried-forward rows or repeated table headers, every part with its page.

The unit tests build multi-page OCR results by hand; the slow ones OCR docgen's 3-page invoice (PDF and TIFF)
with the real runtime through POST /extract_json, which reads every page."""

from decimal import Decimal

import pytest

from docgen.multipage import render_multipage_invoice
from iris_common.contract.extraction import DocumentType, OcrResult
from ocr_extractor.core.document import extract_document
from ocr_extractor.core.layout import build_ocr_result
from ocr_extractor.core.types import RawLine, RawPage


def _pages(pages: list[list[str]]) -> OcrResult:
    """Pages of rows; a trailing amount goes into its own right-aligned box, as detectors cut it."""
    raw = []
    for texts in pages:
        lines = []
        for r, text in enumerate(texts):
            head, _, tail = text.rpartition(" ")
            y0 = 10 + r * 30
            boxes = [(head, 10.0), (tail, 600.0)] if head and any(c.isdigit() for c in tail) and "." in tail else [(text, 10.0)]
            for part, x0 in boxes:
                x1 = x0 + 10 * len(part)
                lines.append(RawLine(part, 0.95, ((x0, y0), (x1, y0), (x1, y0 + 20), (x0, y0 + 20))))
        raw.append(RawPage(width=800, height=40 + 30 * len(texts), lines=tuple(lines)))
    return build_ocr_result("test", raw)


THREE_PAGES = [
    ["ACME SUPPLIES LTD", "12 Main Street, Springfield", "INVOICE", "Invoice No: INV-2024-0042", "Date: 05/03/2024",
     "Bill to: Maria Lopez", "Description Amount", "Coffee 2 x 4.50 9.00", "Tea 1 x 3.20 3.20", "Subtotal carried forward 12.20"],
    ["Invoice INV-2024-0042 page 2 of 3", "Description Amount", "Subtotal brought forward 12.20", "Bread 2 x 1.50 3.00",
     "Milk 1 x 0.80 0.80", "Total carried forward 16.00"],
    ["Invoice INV-2024-0042 page 3 of 3", "Description Amount", "Brought forward 16.00", "Cheese 1 x 4.00 4.00",
     "Subtotal 20.00", "VAT 21% 4.20", "TOTAL DUE 24.20", "Thank you"],
]


def test_header_from_the_first_page_totals_from_the_last() -> None:
    doc = extract_document(_pages(THREE_PAGES), DocumentType.INVOICE)
    f = doc.fields
    assert (f["invoice_number"].value, f["invoice_number"].page) == ("INV-2024-0042", 0)
    assert (f["date"].value, f["date"].page) == ("2024-03-05", 0)
    assert f["customer_name"].value == "Maria Lopez" and f["customer_name"].page == 0
    assert (f["total"].value, f["total"].page) == ("24.20", 2)
    assert (f["subtotal"].value, f["subtotal"].page) == ("20.00", 2)  # not page 1's 'Subtotal carried forward 12.20'
    assert (f["tax"].value, f["tax"].page) == ("4.20", 2)


def test_line_items_run_over_the_pages_without_carried_rows() -> None:
    doc = extract_document(_pages(THREE_PAGES), DocumentType.INVOICE)
    items = [(i.amount.value, i.page) for i in doc.line_items]  # type: ignore[union-attr]
    assert items == [("9.00", 0), ("3.20", 0), ("3.00", 1), ("0.80", 1), ("4.00", 2)]
    check = next(c for c in doc.validation if c.name == "line_items_sum")
    assert check.passed and "subtotal" in check.fields  # 5 items sum to the last page's subtotal


def test_a_later_page_without_a_total_does_not_hide_the_total() -> None:
    """'the last page that HAS one': terms and conditions on the last page leave the total of the page before."""
    pages = [THREE_PAGES[0][:6] + ["Coffee 2 x 4.50 9.00", "TOTAL 9.00"], ["Terms and conditions", "Payment within 30 days 30.00"]]
    doc = extract_document(_pages(pages), DocumentType.INVOICE)
    assert (doc.fields["total"].value, doc.fields["total"].page) == ("9.00", 0)


def test_one_page_unchanged_by_the_page_rules() -> None:
    single = [[row for page in THREE_PAGES for row in page if "page" not in row]]
    doc = extract_document(_pages(single), DocumentType.INVOICE)
    assert doc.fields["total"].value == "24.20" and doc.fields["invoice_number"].value == "INV-2024-0042"
    assert all(item.page == 0 for item in doc.line_items)


@pytest.mark.slow
@pytest.mark.parametrize(("lang", "container"), [("en", "pdf"), ("es", "tiff")])
def test_three_page_invoice_through_the_real_runtime(client, lang: str, container: str) -> None:
    doc = render_multipage_invoice(seed=1, lang=lang)
    content = doc.pdf_bytes() if container == "pdf" else doc.tiff_bytes()
    reply = client.post("/extract_json", files={"file": (f"invoice.{container}", content, "application/octet-stream")},
                        data={"document_type": "invoice", "confidence_threshold": "0"})
    assert reply.status_code == 200, reply.text
    data = reply.json()["data"]
    assert len(data["ocr"]["pages"]) == 3 and {line["page"] for line in data["ocr"]["lines"]} == {0, 1, 2}
    fields = data["structured_document"]["fields"]
    assert fields["invoice_number"]["value"] == doc.fields["invoice_number"] and fields["invoice_number"]["page"] == 0
    assert Decimal(fields["total"]["value"]) == Decimal(str(doc.fields["total"])) and fields["total"]["page"] == 2
    assert Decimal(fields["subtotal"]["value"]) == Decimal(str(doc.fields["subtotal"])) and fields["subtotal"]["page"] == 2
    items = data["structured_document"]["line_items"]
    truth = doc.fields["line_items"]
    assert [(Decimal(i["amount"]["value"]), i["page"]) for i in items] == [(Decimal(t["amount"]), t["page"]) for t in truth]
    header_words = {w.lower().strip(".") for cell in doc.table_header for w in cell.split() if len(w) > 2}  # not the 'x' of 'Qty x Price'
    for item in items:  # neither the repeated table header nor a carried-forward sum is an article
        words = set(item["description"]["value"].lower().split())
        assert not words & header_words and "forward" not in words and "suma" not in words, item["description"]
    check = next(c for c in data["structured_document"]["validation"] if c["name"] == "line_items_sum")
    assert check["passed"], check
