"""Ad-buy invoice / order / contract layouts (label cells with values beside or under them), built by hand: the
rules behind invoice_number, customer_name, total and period_start / period_end on such documents."""

from iris_common.contract.extraction import DocumentType
from ocr_extractor.core.document import extract_document
from ocr_helpers import ocr_of


def _fields(rows):
    return extract_document(ocr_of(rows), DocumentType.INVOICE, default_day_first=False).fields


def test_contract_layout_values_under_their_header_cells() -> None:
    f = _fields([
        [("CONTRACT", 10)],
        [("WWJ-TV", 10), ("Contract / Revision", 300), ("Alt Order #", 520)],
        [("26905 West 11 Mile Road", 10), ("278222", 300), ("9370497", 520)],
        [("Advertiser", 300), ("Original Date / Revision", 520)],
        [("(248) 355-7000", 10), ("Priorities USA Action", 300), ("02/18/20", 520)],
        [("Contract Dates", 10), ("Estimate #", 300)],
        [("05/12/20 - 05/18/20", 10), ("8260", 300)],
        [("Time Period", 10), ("# of Spots", 150), ("Gross Amount", 300), ("Agency Comm.", 450), ("Net Amount", 600)],
        [("May 2020", 10), ("8", 150), ("$20,000.00", 300), ("($3,000.00)", 450), ("$17,000.00", 600)],
        [("June 2020", 10), ("4", 150), ("$14,500.00", 300), ("($2,175.00)", 450), ("$12,325.00", 600)],
        [("Totals", 10), ("12", 150), ("$34,500.00", 300), ("($5,175.00)", 450), ("$29,325.00", 600)],
    ])
    assert f["invoice_number"].value == "278222"  # the contract number, not the estimate or the alternative order
    assert f["customer_name"].value == "Priorities USA Action"
    assert (f["period_start"].value, f["period_end"].value) == ("2020-05-12", "2020-05-18")
    assert f["total"].value == "34500.00"  # the gross column's Totals row, not a month, not the net


def test_invoice_layout_label_cells_beside_values() -> None:
    f = _fields([
        [("INVOICE", 10)],
        [("KPTH", 10), ("Invoice #", 300), ("1328762-2", 420), ("Order #", 560), ("1328762", 660)],
        [("Main: (712)277-3554", 10), ("Invoice Period", 300), ("02/03/20- 02/09/20", 420), ("Flight Dates", 560),
         ("01/28/20 - 02/03/20", 660)],
        [("Billing: (712)277-3554", 10), ("Advertiser", 300), ("Bernie Sanders for President-D (133903)", 420)],
        [("Gross Total", 300), ("$65.00", 420)],
        [("Net Total", 300), ("$55.25", 420)],
    ])
    assert f["invoice_number"].value == "1328762-2"  # an invoice number beats the order number
    assert f["customer_name"].value == "Bernie Sanders for President-D"  # the station's account number dropped
    assert (f["period_start"].value, f["period_end"].value) == ("2020-01-28", "2020-02-03")  # the flight, not the invoicing period
    assert f["total"].value == "65.00"


def test_inline_labels_and_a_wrapped_advertiser() -> None:
    f = _fields([
        [("E-Order#: 2422095 (Rev 0)", 10), ("Dates: 06/05/20 - 06/19/20", 400)],
        [("Agency: Smart Media Group", 10), ("Advertiser: Congressional", 400), ("Total $: $90,725.00", 700)],
        [("Leadership Fund", 520)],
        [("PO Box 1051", 10), ("Product: PA-10", 400)],
    ])
    assert f["invoice_number"].value == "2422095"
    assert f["customer_name"].value == "Congressional Leadership Fund"
    assert (f["period_start"].value, f["period_end"].value) == ("2020-06-05", "2020-06-19")
    assert f["total"].value == "90725.00"
