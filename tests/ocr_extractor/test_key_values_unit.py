"""The form key/value linker on hand-placed OCR boxes: which cell is a key, which value it takes, where from."""

from ocr_helpers import ocr_of

from ocr_extractor.core.fields import build_rows
from ocr_extractor.core.fields.key_values import extract_key_values, key_strength, link_key_values


def _pairs(rows):
    return [(kv.key, kv.value) for kv in extract_key_values(build_rows(ocr_of(rows)))]


def test_key_left_of_value_in_separate_boxes():
    assert _pairs([[("Name:", 10), ("Lucia Gomez", 200)], [("Company", 10), ("Bright Office Co", 200)]]) == [
        ("Name", "Lucia Gomez"),
        ("Company", "Bright Office Co"),
    ]


def test_colon_inline_splits_one_box_and_cuts_its_box():
    links = link_key_values(build_rows(ocr_of([[("Date: 9/3/92", 10), ("R&D Group: Licensee", 300)]])))
    assert [(lk.pair().key, lk.pair().value, lk.how) for lk in links] == [
        ("Date", "9/3/92", "inline"),
        ("R&D Group", "Licensee", "inline"),
    ]
    key, value = links[0].pair().key_bbox, links[0].pair().value_bbox
    assert key[2] <= value[0] and key[0] == 10  # the key's box ends where the value's begins


def test_key_above_value_when_nothing_on_its_right():
    assert _pairs([[("Return this form to:", 10)], [("AAAS Meetings Office", 10)]]) == [("Return this form to", "AAAS Meetings Office")]


def test_value_carries_on_over_aligned_lines_below():
    rows = [
        [("Suggestion:", 10), ("Discontinue coal retention", 150)],
        [("analyses on licensee samples.", 150)],
        [("Date:", 10), ("9/3/92", 150)],
    ]
    assert _pairs(rows) == [("Suggestion", "Discontinue coal retention analyses on licensee samples."), ("Date", "9/3/92")]


def test_a_number_or_date_is_never_a_key():
    assert _pairs([[("1985", 10), ("May 1, 1985", 200)], [("24.75 mm", 10), ("13.58", 200)]]) == []
    assert key_strength(build_rows_cell("12/05/2020")) == 0
    assert key_strength(build_rows_cell("May 1, 1985")) == 0


def test_a_label_is_not_taken_as_the_value_of_the_label_before_it():
    # 'Approved By: ... Date' with blank lines to fill: no 'Approved By' -> 'Date'
    assert _pairs([[("Approved By:", 10), ("Date", 400)]]) == []


def test_two_plain_labels_side_by_side_are_not_a_pair():
    assert _pairs([[("Domestic", 10), ("Export", 200)]]) == []


def test_sentence_is_not_a_key():
    assert _pairs([[("Please deliver this as soon as possible to the office.", 10), ("Room 4", 700)]]) == []


def test_table_column_headers_and_row_labels_pair_with_each_number():
    rows = [[("TAR", 200), ("NIC", 300)], [("Brand A", 10), ("9.1", 200), ("0.88", 300)], [("Brand B", 10), ("5.5", 200), ("0.55", 300)]]
    got = set(_pairs(rows))
    assert {("TAR", "9.1"), ("TAR", "5.5"), ("NIC", "0.88"), ("NIC", "0.55")} <= got
    assert {("Brand A", "9.1"), ("Brand A", "0.88"), ("Brand B", "5.5"), ("Brand B", "0.55")} <= got
    assert ("TAR", "NIC") not in got


def test_spanish_label_words_make_keys_without_colon():
    assert _pairs([[("Fecha", 10), ("3 de enero de 2019", 200)], [("Nombre", 10), ("Lucía Gómez", 200)]]) == [
        ("Fecha", "3 de enero de 2019"),
        ("Nombre", "Lucía Gómez"),
    ]


def build_rows_cell(text):
    from ocr_extractor.core.fields.key_values import build_cells

    return build_cells(build_rows(ocr_of([[(text, 10)]])))[0][0]


def test_unit_printed_apart_joins_its_number_and_is_never_a_key():
    assert _pairs([[("Tipping Length", 10), ("25", 250), ("mm", 290)]]) == [("Tipping Length", "25 mm")]
    assert key_strength(build_rows_cell("mm")) == 0


def test_bracketed_qualifier_under_a_header_joins_it():
    rows = [[("Total", 200), ("Male", 300)], [("(205)", 200), ("(99)", 300)], [("KOOL", 10), ("53", 200), ("60", 300)],
            [("Bright", 10), ("39", 200), ("34", 300)]]
    got = set(_pairs(rows))
    assert {("Total (205)", "53"), ("Total (205)", "39"), ("Male (99)", "60")} <= got


def test_value_a_little_off_the_keys_baseline_is_still_beside_it():
    # the row grouping puts the value on its own row (written 8 px higher); boxes still share most of their height
    from ocr_extractor.core.layout import build_ocr_result
    from ocr_extractor.core.types import RawLine, RawPage

    def line(text, x0, y0):
        x1 = x0 + 10 * len(text)
        return RawLine(text, 0.95, ((x0, y0), (x1, y0), (x1, y0 + 20), (x0, y0 + 20)))

    ocr = build_ocr_result("test", [RawPage(width=800, height=200, lines=(line("PROJECT NO.", 10, 58), line("642-138", 300, 50)))])
    assert [(kv.key, kv.value) for kv in extract_key_values(build_rows(ocr))] == [("PROJECT NO.", "642-138")]


def test_value_carries_on_past_a_stamp_in_the_margin():
    rows = [
        [("Distribution:", 10), ("Mr. L. Bass", 150), ("50599", 700)],
        [("Dr. L. O'Conner is leaving", 150)],
    ]
    assert _pairs(rows) == [("Distribution", "Mr. L. Bass Dr. L. O'Conner is leaving")]


def test_hyphenated_label_goes_on_in_the_line_under_it():
    rows = [[("Bright KS white tip-", 10), ("5.5", 300), (".55", 400)], [("ping masked", 10)]]
    assert ("Bright KS white tip- ping masked", "5.5") in _pairs(rows)


def test_value_cut_in_two_boxes_on_its_line_is_joined():
    # 'May 1,' ends at x=120 and '1985' starts 5 px later: one value; 'Replaces:' farther on is the next key
    rows = [[("Date:", 0), ("May 1,", 60), ("1985", 125), ("Replaces:", 330), ("New", 430)]]
    assert _pairs(rows) == [("Date", "May 1, 1985"), ("Replaces", "New")]


def test_label_on_two_overlapping_lines_is_one_key():
    # line height 20, rows 18 px apart: the boxes overlap, as lines of one printed label do
    rows = [[("Total number of pages", 10)], [("including this page:", 10), ("4", 300)]]
    ocr = ocr_of(rows, line_height=20.0)
    ocr = ocr.model_copy(update={"lines": [ln.model_copy(update={"bbox": [ln.bbox[0], ln.bbox[1] - 12 * (ln.row > 0),
                                                                       ln.bbox[2], ln.bbox[3] - 12 * (ln.row > 0)]})
                                           for ln in ocr.lines]})
    assert [(kv.key, kv.value) for kv in extract_key_values(build_rows(ocr))] == [("Total number of pages including this page", "4")]


def test_labels_on_separate_lines_stay_apart():
    assert _pairs([[("Brand", 10), ("PHOENIX", 200)], [("Title", 10), ("HEAD IN WATER", 200)]]) == [
        ("Brand", "PHOENIX"),
        ("Title", "HEAD IN WATER"),
    ]


def test_boxed_form_row_of_labels_takes_the_values_under_them():
    rows = [[("12. Employer", 10), ("13. Signature", 300), ("14. Date of birth", 600)],
            [("Delta Logistics", 10), ("Peter Brown", 300), ("20/08/2020", 600)]]
    assert _pairs(rows) == [("12. Employer", "Delta Logistics"), ("13. Signature", "Peter Brown"), ("14. Date of birth", "20/08/2020")]


def test_after_a_colon_key_a_value_may_hold_label_words():
    assert _pairs([[("Return this form to:", 10), ("AAAS Meetings Office", 300)], [("REF. NO.: 4471-B", 10)]]) == [
        ("Return this form to", "AAAS Meetings Office"),
        ("REF. NO.", "4471-B"),  # an abbreviation's full stop does not make the key a sentence
    ]
