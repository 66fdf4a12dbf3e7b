"""The report's DeepForm line: gross amounts printed only after page 1, right out of labelled."""

from iris_cli.evaluation.report import DocumentOutcome, FieldOutcome, build_report, render_report


def _outcome(name: str, group: str, right: bool) -> DocumentOutcome:
    total = FieldOutcome(name="total", truth=["$10.00"], predicted="10.00" if right else "9.00", tp=int(right), fp=int(not right),
                         fn=int(not right))
    return DocumentOutcome(document=name, image=f"{name}.pdf", groups=[group], expected_type="invoice", predicted_type="invoice",
                           extraction_type="invoice", seconds=1.0, fields=[total])


def test_later_page_amounts_line() -> None:
    outcomes = [_outcome("a", "later_page_total", True), _outcome("b", "later_page_total", False),
                _outcome("c", "later_page_total", True), _outcome("d", "total_on_page1", True)]
    report = build_report(folder="deepform/pdfs", fmt="deepform", ocr_url="http://x", forced_type=None, threshold=0.5,
                          outcomes=outcomes, samples=[], skipped=[])
    text = render_report(report)
    assert "later-page amounts (total printed only after page 1): 2 of 3 right" in text
    assert "subset later_page_total" in text and "subset total_on_page1" in text
