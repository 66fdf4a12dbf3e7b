"""Normalisation, cross-field checks and box mapping: pure core, no model."""

from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from ocr_helpers import receipt_rows

from iris_common.contract.extraction import DocumentType, ExtractedField, LineItem
from iris_common.geometry import map_points
from ocr_extractor.core.document import extract_document
from ocr_extractor.core.geometry import TransformError, as_matrix, map_box, to_original
from ocr_extractor.core.normalise import (
    BARE_DOLLAR_EVIDENCE,
    document_currency,
    find_tax_id,
    find_times,
    normalise_amount,
    normalise_date,
    spanish_tax_id_valid,
)
from ocr_extractor.core.validation import check_date, check_line_items, check_subtotal_tax_total


@pytest.mark.parametrize(
    "text, value, currency",
    [
        ("1.234,56 €", "1234.56", "EUR"),
        ("EUR 12,5", "12.50", "EUR"),
        ("RM 1,234.56", "1234.56", "MYR"),
        ("$12.5", "12.50", "USD"),
        ("USD 1 234.00", "1234.00", "USD"),
        ("£7.99", "7.99", "GBP"),
        ("Rs. 1939", "1939.00", "INR"),
        ("₹ 1,939.00", "1939.00", "INR"),
        ("MYR 3.00", "3.00", "MYR"),
    ],
)
def test_amounts_with_symbols_codes_and_separators(text, value, currency):
    amount = normalise_amount(text)
    assert amount is not None and amount.text == value and amount.currency == currency


def test_document_currency_prefers_printed_marks_then_the_language():
    assert document_currency(["TOTAL RM 9.00", "CASH RM 10.00"])[0] == "MYR"
    assert document_currency(["TOTAL 9,00"], "es") == ("EUR", 0.5)
    assert document_currency(["TOTAL 9.00"], "en") == (None, 0.0)


def test_a_bare_dollar_sign_is_the_dollar_of_the_country_the_page_names():
    """SROIE's Malaysian receipts print "$7.10" for ringgit: they were typed USD with confidence 1.0."""
    malaysian = ["KEDAI MAKAN SDN. BHD.", "47000 SUNGAI BULOH, SELANGOR", "Total Amount: $8.20", "CASH $8.20"]
    assert document_currency(malaysian)[0] == "MYR"
    assert document_currency(["ACME PTE LTD", "TOTAL $12.00"])[0] == "SGD"
    assert document_currency(["ACME PTE LTD", "TOTAL US$12.00"])[0] == "USD"  # an explicit mark wins
    assert document_currency(["TOTAL $12.00", "CASH $20.00"]) == ("USD", BARE_DOLLAR_EVIDENCE)  # a guess, reviewed
    fields = extract_document(receipt_rows(malaysian), DocumentType.RECEIPT).fields
    assert (fields["currency"].value, fields["total"].value, fields["total"].currency) == ("MYR", "8.20", "MYR")
    assert fields["currency"].raw is not None and "$" in fields["currency"].raw  # the printed mark, with its box


def test_dates_normalise_to_iso_with_the_document_order():
    assert normalise_date("Fecha: 05/06/2018") == "2018-06-05"
    assert normalise_date("05/06/2018", day_first=False) == "2018-05-06"
    assert normalise_date("Datum 23.09.2016") == "2016-09-23"
    assert normalise_date("no date here") is None


def test_times():
    assert [t.value for t in find_times("10:15 total 12.50 9.05 PM 14h30 23:03:06")] == ["10:15", "21:05", "14:30", "23:03:06"]


@pytest.mark.parametrize(
    "tax_id, valid",
    [("12345678Z", True), ("12345678A", False), ("X1234567L", True), ("X1234567A", False),
     ("B11908225", True), ("B11908226", False), ("A58818501", True), ("P0800000B", True), ("ES-B11908225", True),
     ("000306020352", None)],
)
def test_spanish_nif_cif_nie_checksums(tax_id, valid):
    assert spanish_tax_id_valid(tax_id) is valid


def test_tax_id_after_keywords_and_by_shape():
    m = find_tax_id("CIF: B-11908225")
    assert m is not None and m.value == "B11908225" and m.keyed and m.checksum_valid
    m = find_tax_id("GST ID No: 000306020352")
    assert m is not None and m.value == "000306020352" and m.checksum_valid is None
    assert find_tax_id("Tel 555 0100") is None


def test_invalid_cif_lowers_confidence_and_is_flagged():
    good = extract_document(receipt_rows(["TIENDA SOL S.L.", "CIF: B11908225", "TOTAL 4,25"]), DocumentType.RECEIPT)
    bad = extract_document(receipt_rows(["TIENDA SOL S.L.", "CIF: B11908226", "TOTAL 4,25"]), DocumentType.RECEIPT)
    g, b = good.fields["merchant_tax_id"], bad.fields["merchant_tax_id"]
    assert g.value == "B11908225" and "tax_id_checksum_ok" in g.flags
    assert b.value == "B11908226" and "tax_id_checksum_failed" in b.flags and b.confidence < g.confidence
    check = next(c for c in bad.validation if c.name == "tax_id_checksum")
    assert check.passed is False and check.fields == ["merchant_tax_id"]


def _f(value: str | None) -> ExtractedField:
    return ExtractedField(value=value, confidence=0.9)


def test_subtotal_plus_tax_check():
    assert check_subtotal_tax_total({"subtotal": _f("8.50"), "tax": _f("0.55"), "total": _f("9.05")}).passed
    assert check_subtotal_tax_total({"subtotal": _f("9.05"), "tax": _f("0.51"), "total": _f("9.05")}).passed  # tax included
    failed = check_subtotal_tax_total({"subtotal": _f("8.50"), "tax": _f("0.55"), "total": _f("19.05")})
    assert not failed.passed and failed.fields == ["subtotal", "tax", "total"] and "19.05" in failed.details
    assert check_subtotal_tax_total({"total": _f("9.05")}) is None


def test_line_items_sum_within_rounding_tolerance():
    items = [LineItem(amount=_f(v)) for v in ("3.00", "1.25", "0.61")]
    assert check_line_items(items, {"subtotal": _f("4.86"), "total": _f("5.88")}).passed
    assert check_line_items(items, {"subtotal": _f("4.87")}).passed  # a cent of rounding
    assert not check_line_items(items, {"total": _f("6.86")}).passed


def test_date_plausibility():
    today = date(2024, 5, 1)
    assert check_date("date", _f("2024-04-30"), today).passed
    assert not check_date("date", _f("2031-01-01"), today).passed
    assert not check_date("date", _f("1985-01-01"), today).passed


def test_a_failed_check_lowers_the_fields_confidence():
    ok = extract_document(receipt_rows(["SHOP", "SUBTOTAL 8.50", "TAX 0.55", "TOTAL 9.05"]), DocumentType.RECEIPT)
    bad = extract_document(receipt_rows(["SHOP", "SUBTOTAL 8.50", "TAX 0.55", "TOTAL 19.05"]), DocumentType.RECEIPT)
    assert [c.passed for c in ok.validation if c.name == "subtotal_plus_tax"] == [True]
    assert [c.passed for c in bad.validation if c.name == "subtotal_plus_tax"] == [False]
    assert bad.fields["total"].confidence < ok.fields["total"].confidence
    assert "check_failed:subtotal_plus_tax" in bad.fields["total"].flags


def test_future_date_fails_the_plausibility_check():
    doc = extract_document(receipt_rows(["SHOP", "DATE: 28/12/2099", "TOTAL 9.05"]), DocumentType.RECEIPT, today=date(2024, 1, 1))
    check = next(c for c in doc.validation if c.name == "date_plausible")
    assert not check.passed and check.fields == ["date"]


# ---------------------------------------------------------------- boxes back to the original image
def _rotation(angle_deg: float, cx: float, cy: float) -> np.ndarray:
    a = np.deg2rad(angle_deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, cx - c * cx + s * cy], [s, c, cy - s * cx - c * cy], [0, 0, 1]])


def test_inverse_of_a_rotation_maps_a_processed_box_onto_the_original():
    t = _rotation(90, 100, 100)  # original -> processed: 90 degrees about (100, 100)
    original_pts = np.array([[150.0, 100.0], [150.0, 120.0]])
    processed = map_points(t, original_pts)
    np.testing.assert_allclose(processed, [[100, 150], [80, 150]], atol=1e-9)
    box = [min(processed[:, 0]), min(processed[:, 1]), max(processed[:, 0]), max(processed[:, 1])]
    assert map_box(np.linalg.inv(t), box) == pytest.approx([150.0, 100.0, 150.0, 120.0], abs=0.1)


def test_inverse_of_a_perspective_warp_restores_the_points():
    import cv2

    src = np.float32([[40, 30], [600, 60], [620, 820], [20, 790]])  # page corners on a photo
    dst = np.float32([[0, 0], [560, 0], [560, 760], [0, 760]])  # the flattened page
    t = cv2.getPerspectiveTransform(src, dst)
    back = map_points(np.linalg.inv(t), dst)
    np.testing.assert_allclose(back, src, atol=1e-3)


def test_to_original_maps_words_lines_and_fields_and_says_so():
    ocr = receipt_rows(["SHOP", "TOTAL 9.05"])
    doc = extract_document(ocr, DocumentType.RECEIPT)
    shift = np.array([[1, 0, -50], [0, 1, -20], [0, 0, 1]], dtype=float)  # processed = original shifted by (-50, -20)
    ocr2, doc2 = to_original(ocr, doc, [shift])
    assert ocr2.coordinate_space == "original" and doc2.coordinate_space == "original"
    assert ocr.coordinate_space == "processed"  # the input is not modified
    before, after = doc.fields["total"].bbox, doc2.fields["total"].bbox
    assert after == pytest.approx([before[0] + 50, before[1] + 20, before[2] + 50, before[3] + 20])
    assert ocr2.words[0].bbox == pytest.approx([ocr.words[0].bbox[0] + 50, ocr.words[0].bbox[1] + 20,
                                                ocr.words[0].bbox[2] + 50, ocr.words[0].bbox[3] + 20])
    assert ocr2.lines[0].polygon[0] == pytest.approx([ocr.lines[0].polygon[0][0] + 50, ocr.lines[0].polygon[0][1] + 20])


@pytest.mark.parametrize("bad", [[[1, 0], [0, 1]], [[0, 0, 0], [0, 0, 0], [0, 0, 0]], [[1, 0, "x"], [0, 1, 0], [0, 0, 1]],
                                 [[float("nan"), 0, 0], [0, 1, 0], [0, 0, 1]]])
def test_unusable_matrices_are_rejected(bad):
    with pytest.raises(TransformError):
        as_matrix(bad)


def test_amount_fields_carry_the_currency():
    doc = extract_document(receipt_rows(["SHOP", "TOTAL RM 9.05"]), DocumentType.RECEIPT)
    assert doc.fields["total"].currency == "MYR" and doc.fields["currency"].value == "MYR"
    assert Decimal(doc.fields["total"].value) == Decimal("9.05")


def test_german_receipt_summe_bar_and_dotted_date():
    doc = extract_document(receipt_rows(["LIDL", "Artikel A 3,50", "Artikel B 3,66", "SUMME EUR 7,16", "BAR 10,00",
                                         "Rückgeld 2,84", "Datum 02.03.20 10:15"]), DocumentType.RECEIPT)
    got = {k: f.value for k, f in doc.fields.items()}
    assert got["total"] == "7.16" and got["date"] == "2020-03-02" and got["currency"] == "EUR"
    assert got["payment_method"] == "cash"
