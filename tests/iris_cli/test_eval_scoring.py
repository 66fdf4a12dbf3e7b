"""Scoring rules of `iris eval` (pure functions: no services)."""

from datetime import date
from decimal import Decimal

import pytest

from iris_cli.evaluation.scoring import (
    Comparator,
    Counts,
    TextRules,
    aligned_cer,
    calibration,
    edit_distance,
    field_kind,
    match_pairs,
    normalise_text,
    parse_amount,
    parse_date,
    score_field,
    sequence_cer,
)


@pytest.mark.parametrize(("text", "day_first", "expected"), [
    ("2017-12-28", True, date(2017, 12, 28)),       # ISO is year-first whatever the locale
    ("12/28/2017", True, date(2017, 12, 28)),       # a day above 12 wins over the locale
    ("01/02/2018", True, date(2018, 2, 1)),
    ("01/02/2018", False, date(2018, 1, 2)),
    ("23.09.2016", True, date(2016, 9, 23)),
    ("14-11-2013", True, date(2013, 11, 14)),
    ("17May15", True, date(2015, 5, 17)),           # WildReceipt: spaces removed upstream
    ("Apr01'18", False, date(2018, 4, 1)),
    ("JULY20,2011", False, date(2011, 7, 20)),
    ("14 ENE 2018", True, date(2018, 1, 14)),       # Spanish month
    ("Fecha: 03/03/2018 14:23", True, date(2018, 3, 3)),
    ("MAY2018", True, None),                        # no day: not a complete date
    ("TOTAL 15.00", True, None),
    ("", True, None),
])
def test_dates_are_read_as_calendar_dates(text: str, day_first: bool, expected: date | None) -> None:
    assert parse_date(text, day_first) == expected


@pytest.mark.parametrize(("text", "decimal_comma", "expected"), [
    ("15.00", None, Decimal("15.00")),
    ("RM 15.00", None, Decimal("15.00")),
    ("24,23", True, Decimal("24.23")),              # German decimal comma
    ("124,00€", None, Decimal("124.00")),
    ("1.234,56", None, Decimal("1234.56")),
    ("1,234.56", None, Decimal("1234.56")),
    ("£64,279.70", None, Decimal("64279.70")),
    ("1,234", None, Decimal("1234")),               # three digits after a lone separator: thousands
    ("1,234", True, Decimal("1.234")),              # unless the set writes decimal commas
    ("Total(ImpuestosIncl.)", None, None),
    ("IVA 8%", None, None),
])
def test_amounts_are_read_as_numbers(text: str, decimal_comma: bool | None, expected: Decimal | None) -> None:
    assert parse_amount(text, decimal_comma) == expected


def test_text_normalisation_nfkc_whitespace_case_and_set_rules() -> None:
    assert normalise_text("  Ｃafé\tDEL   Mar ") == "café del mar"  # full-width C folded by NFKC
    sroie = TextRules(remove_spaces=True, remove_punctuation=True)
    assert normalise_text("NO.2-1-1, JALAN SETIA", sroie) == normalise_text("no 2 1 1 jalan setia", sroie)
    assert normalise_text("THE ROUND TOWER", TextRules(remove_spaces=True)) == "theroundtower"


def test_field_kind_from_name() -> None:
    assert (field_kind("date"), field_kind("due_date"), field_kind("total"), field_kind("tax"), field_kind("merchant_name")) == \
        ("date", "date", "amount", "amount", "text")


def test_missing_field_is_a_false_negative() -> None:
    assert score_field(None, ["15.00"], "amount", Comparator()) == Counts(fn=1)
    assert score_field("  ", ["15.00"], "amount", Comparator()) == Counts(fn=1)


def test_wrong_value_is_a_false_positive_and_a_false_negative() -> None:
    assert score_field("16.00", ["15.00"], "amount", Comparator()) == Counts(fp=1, fn=1)


def test_value_for_a_field_labelled_absent_is_a_false_positive() -> None:
    assert score_field("B12345678", [], "text", Comparator()) == Counts(fp=1)
    assert score_field(None, [], "text", Comparator()) == Counts()


def test_right_values_in_other_notations_are_true_positives() -> None:
    german = Comparator(day_first=True, decimal_comma=True)
    assert score_field("2016-09-23", ["23.09.2016"], "date", german) == Counts(tp=1)
    assert score_field("152.00", ["152,00"], "amount", german) == Counts(tp=1)
    assert score_field("15", ["15.00"], "amount", Comparator()) == Counts(tp=1)
    assert score_field("Restoran  hassanbistro", ["RESTORAN HASSANBISTRO"], "text", Comparator()) == Counts(tp=1)


def test_locale_decides_ambiguous_dates() -> None:
    assert score_field("2018-02-01", ["01/02/2018"], "date", Comparator(day_first=True)) == Counts(tp=1)
    assert score_field("2018-02-01", ["01/02/2018"], "date", Comparator(day_first=False)) == Counts(fp=1, fn=1)
    mixed = Comparator(day_first=None)  # a set mixing locales without saying which: either reading
    assert score_field("2018-02-01", ["01/02/2018"], "date", mixed) == Counts(tp=1)
    assert score_field("2018-01-02", ["01/02/2018"], "date", mixed) == Counts(tp=1)
    assert score_field("2018-01-03", ["01/02/2018"], "date", mixed) == Counts(fp=1, fn=1)


def test_contains_mode_and_alternatives() -> None:
    assert Comparator().matches("LIDL Dienstleistung GmbH", ["lidl"], "text", "contains")
    assert not Comparator().matches("LIDL Dienstleistung GmbH", ["lidl"], "text", "exact")
    assert Comparator().matches("20.90", ["Total(ImpuestosIncl.)", "20,90"], "amount")


def test_counts_precision_recall_f1() -> None:
    c = Counts(tp=3, fp=1, fn=2)
    assert (c.precision, c.recall) == (0.75, 0.6)
    assert c.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert Counts().f1 == 0.0


def test_pairs_match_one_to_one_above_similarity() -> None:
    truth = [("Date:", "9/ 3/ 92"), ("Name:", "M. Hamann"), ("To:", "Dr. Smith")]
    predicted = [("DATE", "9/3/92"), ("Name", "M Hamann"), ("Name", "M. Hamann"), ("From", "Dr. Smith")]
    matches = match_pairs(truth, predicted)
    assert sorted(i for i, _ in matches) == [0, 1]  # To/From differ; the duplicate Name pair matches once
    assert dict(matches)[1] == 2                    # the closer duplicate wins


def test_expected_calibration_error_on_a_constructed_example() -> None:
    # 10 at 0.95 of which 9 right (gap 0.05); 10 at 0.55 of which 3 right (gap 0.25): ECE = 0.5*0.05 + 0.5*0.25 = 0.15
    samples = [(0.95, i < 9) for i in range(10)] + [(0.55, i < 3) for i in range(10)]
    cal = calibration(samples)
    assert cal.ece == pytest.approx(0.15)
    assert [(b.low, b.count) for b in cal.bins] == [(0.5, 10), (0.9, 10)]
    assert calibration([(1.0, True)]).bins[0].low == 0.9  # confidence 1.0 falls in the last bin
    assert calibration([]).ece is None


def test_edit_distance() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3


def test_aligned_cer_ignores_reading_order_and_counts_missing_text() -> None:
    truth = [("SUB TOTAL", [10, 100, 100, 120]), ("15.00", [300, 110, 350, 130]), ("THANK YOU", [10, 200, 120, 220])]
    ocr = [("15.00", [298, 108, 352, 132]), ("Sub Total", [8, 98, 102, 122]), ("*****", [10, 300, 100, 320])]
    counts = aligned_cer(truth, ocr)
    assert counts.edits == len("thankyou")  # the unread line is deleted; case and spaces do not count
    assert counts.chars == len("subtotal15.00thankyou")
    assert counts.extra_chars == 5          # decoration outside every labelled line is reported apart
    assert sequence_cer(["AB C"], ["abd"]).edits == 1
