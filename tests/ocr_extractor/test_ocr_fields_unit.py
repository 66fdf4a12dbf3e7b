"""Field extraction on hand-written OCR lines: pure core, no model, milliseconds."""

from datetime import date
from decimal import Decimal

import pytest

from iris_common.contract.extraction import DocumentType
from ocr_extractor.core.document import apply_threshold, extract_document
from ocr_extractor.core.fields import build_rows
from ocr_extractor.core.language import detect_language
from ocr_extractor.core.parsing import find_amounts, find_dates, parse_amount, parse_date, resolve_order
from ocr_helpers import ocr_of, receipt_rows


@pytest.mark.parametrize(
    "text, expected",
    [
        ("DATE: 12/28/2017 10:17 PM", date(2017, 12, 28)),
        ("28-12-2017", date(2017, 12, 28)),
        ("2017-12-28", date(2017, 12, 28)),
        ("28 Dec 2017", date(2017, 12, 28)),
        ("Dec 28, 2017", date(2017, 12, 28)),
        ("28.12.2017", date(2017, 12, 28)),
        ("28.12.17", date(2017, 12, 28)),
        ("24-MAR-2018", date(2018, 3, 24)),
        ("Fecha: 28 de diciembre de 2017", date(2017, 12, 28)),
        ("FECHA 3 ene 2019", date(2019, 1, 3)),
        ("Date:10-03-201823:03:06", date(2018, 3, 10)),  # date glued to the time by the recogniser
        ("Fecha: 2018-06-3017:32", date(2018, 6, 30)),
        ("748433/01 02.03.2015:59", date(2020, 3, 2)),
        ("Mar06'16 11:20AM", date(2016, 3, 6)),
        ("JULY20,2011", date(2011, 7, 20)),  # two-digit year glued to the time 15:59
    ],
)
def test_dates_in_common_formats(text, expected):
    assert parse_date(text) == expected


def test_ambiguous_dates_follow_the_document_and_the_default():
    assert parse_date("05/06/2018") == date(2018, 6, 5)  # day first by default
    assert parse_date("05/06/2018", day_first=False) == date(2018, 5, 6)
    assert resolve_order(["05/06/2018", "printed 12/28/2017"]) is False  # the document proves month first
    assert resolve_order(["05/06/2018", "28/12/2017"]) is True
    assert not find_dates("Tel 03-7805 7889") and not find_dates("32/13/2017") and not find_dates("15.00")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("TOTAL RM 15.00", "15.00"),
        ("TOTAL 1.234,56 €", "1234.56"),
        ("Total $1,234.56", "1234.56"),
        ("IMPORTE 15,00€", "15.00"),
        ("RM15.00SR", "15.00"),
        ("Rounding -0.03", "-0.03"),
    ],
)
def test_amounts_with_decimal_point_or_comma(text, expected):
    assert parse_amount(text) == Decimal(expected)


def test_amounts_skip_dates_percentages_and_bare_integers():
    assert find_amounts("28.12.2017") == []
    assert [a.text for a in find_amounts("IVA 21% 2,60")] == ["2.60"]
    assert find_amounts("Qty 12 Table 5") == []


def _fields(ocr, kind=DocumentType.RECEIPT, threshold=0.0):
    doc = extract_document(ocr, kind, confidence_threshold=threshold)
    return doc, {name: f.value for name, f in doc.fields.items()}


def test_english_receipt_total_skips_subtotal_tax_cash_and_change():
    ocr = receipt_rows([
        "CORNER GROCERY", "15 Main Street", "Springfield IL 62701", "Tel 555-0100", "DATE: 12/28/2017 10:15",
        "2 x Bread 6.00", "Milk 2.50", "SUBTOTAL 8.50", "TAX 6.5% 0.55", "TOTAL 9.05", "CASH 20.00", "CHANGE 10.95",
        "Total items 3", "THANK YOU",
    ])
    doc, got = _fields(ocr)
    assert got["total"] == "9.05"
    assert got["date"] == "2017-12-28"
    assert got["merchant_name"] == "CORNER GROCERY"
    assert got["merchant_address"] == "15 Main Street Springfield IL 62701"
    assert doc.language == "en"
    total = doc.fields["total"]
    assert total.raw == "9.05" and total.bbox and 0 < total.confidence <= 1


def test_spanish_receipt_with_decimal_comma():
    ocr = receipt_rows([
        "PANADERIA LA ESPIGA", "Calle Mayor 12, Madrid", "CIF B12345678", "FECHA: 28-12-2017 10:15",
        "2 x Pan 3,00", "1 x Leche 1,25", "BASE IMPONIBLE 3,86", "IVA 10% 0,39", "TOTAL A PAGAR 4,25",
        "EFECTIVO 5,00", "CAMBIO 0,75", "GRACIAS POR SU VISITA",
    ])
    doc, got = _fields(ocr)
    assert got["total"] == "4.25"
    assert got["date"] == "2017-12-28"
    assert got["merchant_name"] == "PANADERIA LA ESPIGA"
    assert got["merchant_address"] == "Calle Mayor 12, Madrid"
    assert doc.language == "es"


def test_importe_keyword_and_amount_on_the_row_below():
    ocr = ocr_of([[("TIENDA SOL", 10)], [("IMPORTE", 10)], [("12,40", 400)], [("EFECTIVO 20,00", 10)]])
    assert _fields(ocr)[1]["total"] == "12.40"


def test_total_after_rounding_is_the_amount_paid():
    ocr = receipt_rows([
        "SHOP", "Total Incl. GST 31.47", "Rounding Adj -0.02", "Total 31.45", "Cash 50.00", "Change 18.55",
    ])
    assert _fields(ocr)[1]["total"] == "31.45"


def test_largest_total_wins_among_total_rows():
    ocr = receipt_rows(["SHOP", "Total (Excluding GST): 179.25", "Total (Inclusive of GST): 190.00", "TOTAL: 190.00"])
    assert _fields(ocr)[1]["total"] == "190.00"


def test_date_keyword_beats_an_earlier_date_and_due_dates_lose():
    ocr = receipt_rows(["SHOP", "Printed 01/01/2019", "Due date: 15/02/2019", "Date: 03/02/2019", "TOTAL 5.00"])
    assert _fields(ocr)[1]["date"] == "2019-02-03"


def test_missing_fields_come_back_null_and_flagged():
    doc, got = _fields(receipt_rows(["just some words here"]))
    assert got["total"] is None and got["date"] is None
    assert {"total", "date"} <= set(doc.fields_needing_review)


def test_only_the_fields_a_type_is_expected_to_print_need_review_when_missing():
    """A receipt without a printed subtotal, tax or tax number is complete; one without its total is not."""
    complete = extract_document(receipt_rows(["CORNER GROCERY", "DATE: 28/12/2017", "TOTAL 9.05"]), DocumentType.RECEIPT)
    fields = complete.fields
    assert fields["merchant_name"].value and fields["date"].value and fields["total"].value == "9.05"
    for name in ("subtotal", "tax", "merchant_tax_id", "payment_method"):
        assert fields[name].value is None and fields[name].confidence == 0 and not fields[name].needs_review, name
    assert not {"subtotal", "tax", "merchant_tax_id"} & set(complete.fields_needing_review)

    no_total = extract_document(receipt_rows(["CORNER GROCERY", "DATE: 28/12/2017", "Thank you"]), DocumentType.RECEIPT)
    assert no_total.fields["total"].value is None and no_total.fields["total"].needs_review
    assert "total" in no_total.fields_needing_review and "subtotal" not in no_total.fields_needing_review


def test_invoice_fields():
    ocr = ocr_of([
        [("Contoso Services Ltd", 10)], [("12 High Street, London", 10)], [("INVOICE", 10)],
        [("Invoice No: INV-2020-6324", 10)], [("Invoice date: 01/08/2020", 10)], [("Due date: 31/08/2020", 10)],
        [("Consulting", 10), ("266.75", 500)], [("Subtotal", 10), ("266.75", 500)], [("VAT 21%", 10), ("56.02", 500)],
        [("Total due", 10), ("322.77", 500)],
    ])
    got = _fields(ocr, DocumentType.INVOICE)[1]
    assert {"invoice_number": "INV-2020-6324", "date": "2020-08-01", "vendor_name": "Contoso Services Ltd", "total": "322.77",
            "due_date": "2020-08-31", "subtotal": "266.75", "tax": "56.02"}.items() <= got.items()


def test_spanish_invoice_number_and_total():
    ocr = ocr_of([
        [("Suministros Iberia S.L.", 10)], [("FACTURA", 10)], [("Nº Factura: F-2023-8055", 10)],
        [("Fecha: 18/10/2023", 10)], [("Base imponible", 10), ("273,04", 500)], [("IVA 21%", 10), ("57,34", 500)],
        [("TOTAL", 10), ("330,38 €", 500)],
    ])
    got = _fields(ocr, DocumentType.INVOICE)[1]
    assert {"invoice_number": "F-2023-8055", "date": "2023-10-18", "vendor_name": "Suministros Iberia S.L.", "total": "330.38",
            "subtotal": "273.04", "tax": "57.34", "currency": "EUR"}.items() <= got.items()


def test_form_key_values_from_colons_and_layout():
    ocr = ocr_of([
        [("REGISTRATION FORM", 10)],
        [("Name: Lucia Gomez", 10)],
        [("City:", 10), ("Springfield", 300)],
        [("Postal code:", 10)],
        [("18029", 10)],
        [("Employer", 10), ("Bright Office Co", 300)],
    ])
    doc, got = _fields(ocr, DocumentType.FORM)
    assert got == {"name": "Lucia Gomez", "city": "Springfield", "postal_code": "18029", "employer": "Bright Office Co"}
    assert [kv.key for kv in doc.key_values] == ["Name", "City", "Postal code", "Employer"]
    assert doc.text_blocks


def test_letter_text_blocks_split_on_vertical_gaps():
    ocr = ocr_of([[("Dear Maria,", 10)], [("", 10)], [("Thank you for the meeting.", 10)], [("It was useful.", 10)]])
    doc, got = _fields(ocr, DocumentType.LETTER)
    assert [b.text for b in doc.text_blocks] == ["Dear Maria,", "Thank you for the meeting.\nIt was useful."]
    assert got == {"date": None, "sender": None, "recipient": "Maria", "subject": None}


def test_threshold_blanks_low_confidence_fields_and_keeps_the_candidate():
    ocr = receipt_rows(["SHOP", "TOTAL 9.05"])
    doc = extract_document(ocr, DocumentType.RECEIPT, confidence_threshold=0.99)
    total = doc.fields["total"]
    assert total.value is None and total.needs_review and total.candidate == "9.05"
    assert "total" in doc.fields_needing_review
    assert apply_threshold({}, 0.5) == []


def test_rows_group_side_by_side_boxes_and_reading_order():
    ocr = ocr_of([[("15.00", 500), ("TOTAL", 10)], [("CASH", 10)]])
    rows = build_rows(ocr)
    assert [r.text for r in rows] == ["TOTAL 15.00", "CASH"]
    assert ocr.reading_order == [0, 1, 2]
    assert [w.text for w in ocr.words] == ["TOTAL", "15.00", "CASH"]


def test_skewed_rows_are_grouped_along_the_text_direction():
    from ocr_extractor.core.layout import build_ocr_result
    from ocr_extractor.core.types import RawLine, RawPage

    slope = 0.06  # ~3.4 degrees: the right box sits lower than the left one by more than half a line
    def box(text, x0, y0, width=200, h=20):
        return RawLine(text, 0.9, ((x0, y0 + slope * x0), (x0 + width, y0 + slope * (x0 + width)),
                                   (x0 + width, y0 + h + slope * (x0 + width)), (x0, y0 + h + slope * x0)))
    page = RawPage(1000, 400, (box("SUBTOTAL", 10, 100), box("8.50", 700, 100, 80), box("TOTAL", 10, 130), box("9.05", 700, 130, 80)))
    rows = build_rows(build_ocr_result("test", [page]))
    assert [r.text for r in rows] == ["SUBTOTAL 8.50", "TOTAL 9.05"]


def test_language_from_stop_words():
    assert detect_language("Gracias por su compra. Total a pagar con IVA")[0] == "es"
    assert detect_language("Thank you for your purchase. Total amount due")[0] == "en"


def test_invoice_header_table_gives_date_and_number_by_column_and_issuer_from_the_legal_block():
    # a logo brand at the top, the customer's company under 'Billing address', a table header with the invoice
    # date beside the due date, and the issuer's legal name beside its bank details at the bottom
    ocr = ocr_of([
        [("Brandname", 10)],
        [("Billing address", 10)], [("Strategic Corp", 10)], [("Fakestreet 46", 10)],
        [("", 10)], [("", 10)],
        [("Customer", 10), ("Invoice date", 200), ("Invoice", 380), ("Due date", 560)],
        [("C-1", 10), ("8-9-2022", 200), ("VF1005193039", 380), ("22-9-2022", 560)],
        [("Item", 10), ("49,99", 500)], [("Invoice total EUR", 10), ("49,99", 500)],
        [("", 10)], [("", 10)],
        [("Example Trading B.V. on behalf of Brandname", 10)],
        [("Mainstreet 1, 1000 AA Amsterdam", 10)],
        [("IBAN: NL58RABO0198723202", 10), ("BIC: RABONL2U", 400)],
    ])
    got = _fields(ocr, DocumentType.INVOICE)[1]
    assert got["date"] == "2022-09-08" and got["due_date"] == "2022-09-22"
    assert got["invoice_number"] == "VF1005193039"
    assert got["vendor_name"] == "Example Trading B.V."


def test_invoice_issuer_named_over_the_registered_office_or_as_account_holder():
    ocr = ocr_of([
        [("LEGAL NOTICES ONLINE", 10)], [("Invoice no 2022089083", 10)], [("Date: 28/11/2022", 10)],
        [("Total TTC", 10), ("56,02", 500)],
        [("Transfer - Account holder: NETPRESSE", 10)],
        [("NETPRESSE", 300)], [("Registered office: 16 rue Mollien, Boulogne", 10)],
    ])
    assert _fields(ocr, DocumentType.INVOICE)[1]["vendor_name"] == "NETPRESSE"
    no_payee = ocr_of([
        [("LEGAL NOTICES ONLINE", 10)], [("Invoice no 2022089083", 10)], [("Total", 10), ("56,02", 500)],
        [("NETPRESSE", 300)], [("Registered office: 16 rue Mollien, Boulogne", 10)],
    ])
    assert _fields(no_payee, DocumentType.INVOICE)[1]["vendor_name"] == "NETPRESSE"


def test_unlabelled_total_is_not_an_article_price_repeated_under_a_cut_off_receipt():
    # no total keyword anywhere: '4,00' repeats the first article's price, far less than the articles' sum
    cut = receipt_rows(["GASTROBAR", "2 COPA RIOJA 4,00", "2 CAFES 2,40", "1 TAPA MOJAMA 2,50", "1 TAPA PATATAS 3,00", "4,00"])
    assert _fields(cut)[1]["total"] is None
    # the same shape where the repeated amount is the articles' sum is still read as the total
    whole = receipt_rows(["CAFFE TORINO", "IL GAS 2,50", "COTTO 12,00", "CAFFE LUNGO 2,00", "TOTL 16,50", "CONTANTE 16,50"])
    assert _fields(whole)[1]["total"] == "16.50"


def test_a_document_title_run_into_the_issuers_row_is_not_part_of_its_name():
    ocr = ocr_of([
        [("FACTUUR. Coolblue B.V.", 10)], [("Weena 664, 3012 CN Rotterdam", 10)],
        [("Factuurnummer: 1234567", 10)], [("Totaal", 10), ("49,99", 500)],
    ])
    assert _fields(ocr, DocumentType.INVOICE)[1]["vendor_name"] == "Coolblue B.V."
    ocr = ocr_of([[("Invoice Ninja Ltd", 10)], [("Total", 10), ("10.00", 500)]])  # a name that starts with a title word
    assert _fields(ocr, DocumentType.INVOICE)[1]["vendor_name"] == "Invoice Ninja Ltd"
