"""Receipt totals and dates on hand-written OCR lines: a grand total printed without decimals, the tax a total
includes, a date after a run of numbers that only looks like the start of one."""

from datetime import date

from iris_common.contract.extraction import DocumentType
from ocr_extractor.core.document import extract_document
from ocr_extractor.core.parsing import find_dates
from ocr_helpers import ocr_of, receipt_rows


def _value(ocr, name, kind=DocumentType.RECEIPT):
    return extract_document(ocr, kind, confidence_threshold=0.0).fields[name].value


def test_date_after_a_number_run_with_mixed_separators():
    assert [d.value for d in find_dates("#0RD 30 -REG 12- 10/03/2013 13:57:55")] == [date(2013, 3, 10)]
    assert find_dates("12/28-2017") == []  # still one separator kind per date


def test_grand_total_printed_as_a_whole_number_beats_the_net_total():
    ocr = ocr_of([
        [("ARHAM RESTAURANT LLP", 10)], [("TOMATO BASIL SOUP", 10), ("199", 300), ("199", 400)],
        [("Sub Total", 10), ("1774.00", 400)], [("Net Total", 10), ("887.00", 400)], [("G.S.T. 05%:", 10), ("44.35", 400)],
        [("7/7/5", 10), ("Grand Total", 150), ("1108", 400)],
    ])
    assert _value(ocr, "total") == "1108.00"
    # an order's 'Grand Total | 24' may count spots: invoices keep to amounts with decimals
    assert _value(ocr, "total", DocumentType.INVOICE) == "887.00"


def test_the_tax_a_total_includes_is_not_the_total():
    ocr = receipt_rows([
        "Golden Arches Restaurants Sdn Bhd", "1 MCokeLight 2.95", "Eat-In Total (incl Tax) 11.98", "Rounding Adj 0.02",
        "TOTAL INCLUDES 6% Govt Tax OF 0.68",
    ])
    assert _value(ocr, "total") == "11.98"
    ocr = receipt_rows(["SHOP", "TOTAL 11.98", "Rounding Adj 0.02", "GST @6% included in total 0.68"])
    assert _value(ocr, "total") == "11.98"


def test_total_printed_without_keyword_is_the_sum_of_the_articles_even_when_a_price_repeats():
    ocr = receipt_rows([
        "GASTROBAR EL GALLO", "C/ LARGA 2", "2 COPA RIOJA 4,00", "2 CAFES CON LECHE 2,40", "1 TAPA MOJAMA 2,50",
        "1 TAPA CARRILLERA 2,50", "1 SALMOREJO 4,00", "15,40", "GRACIAS POR SU VISITA",
    ])
    assert _value(ocr, "total") == "15.40"
    # the largest amount that is not the articles' sum is no total
    ocr = receipt_rows(["BAR", "1 TAPA 2,50", "1 PAN 3,50", "2 COPA 4,00", "1 SALMOREJO 4,00", "20,00"])
    assert _value(ocr, "total") is None


def test_month_name_with_a_zero_for_its_o():
    doc = extract_document(receipt_rows(["SCALINI", "Tb1 2/1 Chk 1317", "0ct30'18 09:54PM", "Amount Due 2424.39"]),
                           DocumentType.RECEIPT, confidence_threshold=0.0)
    assert doc.fields["date"].value == "2018-10-30" and doc.fields["date"].raw == "0ct30'18"
    assert _value(receipt_rows(["SHOP", "N0v 5, 2019", "TOTAL 5.00"]), "date") == "2019-11-05"
    assert _value(receipt_rows(["SHOP", "10ct 2019 5.00", "TOTAL 5.00"]), "date") is None  # ten cents, no October
