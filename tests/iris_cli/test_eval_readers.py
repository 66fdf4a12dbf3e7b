"""Label readers of `iris eval`, each on a tiny folder written here in its format."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from iris_cli.evaluation.readers import read_labels


def image(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((40, 60, 3), 255, np.uint8))
    return path


def test_sroie_key_and_box(tmp_path: Path) -> None:
    for stem in ("001", "002"):
        image(tmp_path / "img" / f"{stem}.jpg")
    (tmp_path / "key").mkdir()
    (tmp_path / "key" / "001.json").write_text(json.dumps({"company": "ACME SDN BHD", "date": "28/12/2017",
                                                          "address": "NO. 1, JALAN", "total": "15.00"}))
    (tmp_path / "key" / "002.json").write_text(json.dumps({"company": "B", "date": "01/02/2018", "address": "X"}))  # no total
    (tmp_path / "key" / "003.json").write_text(json.dumps({"company": "C"}))  # no image
    (tmp_path / "box").mkdir()
    (tmp_path / "box" / "001.csv").write_text("72,27,680,27,680,81,72,81,ACME SDN BHD\n10,90,300,90,300,120,10,120,TOTAL: 15,00\n")
    labels = read_labels(tmp_path, "sroie")
    docs = {d.doc_id: d for d in labels.documents}
    assert set(docs) == {"001", "002"} and labels.skipped == [("003.json", "no image in img/")]
    assert docs["001"].fields == {"merchant_name": ["ACME SDN BHD"], "merchant_address": ["NO. 1, JALAN"],
                                  "date": ["28/12/2017"], "total": ["15.00"]}
    assert "total" not in docs["002"].fields  # not labelled: not scored
    assert docs["001"].lines == [("ACME SDN BHD", [72.0, 27.0, 680.0, 81.0]), ("TOTAL: 15,00", [10.0, 90.0, 300.0, 120.0])]
    assert docs["001"].document_type == "receipt"
    assert docs["001"].comparator.matches("Acme Sdn. Bhd.", ["ACME SDN BHD"], "text")  # light punctuation removed


def test_funsd_pairs_from_linking(tmp_path: Path) -> None:
    image(tmp_path / "images" / "f1.png")
    form = [
        {"id": 0, "label": "question", "text": "Date:", "box": [0, 0, 30, 10], "linking": [[0, 1]],
         "words": [{"text": "Date:", "box": [0, 0, 30, 10]}]},
        {"id": 1, "label": "answer", "text": "9/ 3/ 92", "box": [40, 0, 90, 10], "linking": [[0, 1]],
         "words": [{"text": "9/", "box": [40, 0, 50, 10]}, {"text": "3/", "box": [55, 0, 65, 10]}, {"text": "92", "box": [70, 0, 90, 10]}]},
        {"id": 2, "label": "question", "text": "Empty:", "box": [0, 20, 30, 30], "linking": [[2, 3]], "words": []},
        {"id": 3, "label": "answer", "text": "", "box": [40, 20, 90, 30], "linking": [[2, 3]], "words": []},
        {"id": 4, "label": "header", "text": "FORM", "box": [0, 40, 30, 50], "linking": [[4, 0]], "words": []},
    ]
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "f1.json").write_text(json.dumps({"form": form}))
    (doc,) = read_labels(tmp_path, "funsd").documents
    assert doc.pairs == [("Date:", "9/ 3/ 92")]  # empty answers and header links are not key/value pairs
    assert doc.document_type == "form" and [t for t, _ in doc.lines] == ["Date:", "9/", "3/", "92"]


def test_wildreceipt_class_list_subsets_and_unreadable_labels(tmp_path: Path) -> None:
    classes = ["Ignore", "Store_name_value", "Store_name_key", "Date_value", "Total_value", "Others"]
    (tmp_path / "class_list.txt").write_text("\n".join(classes) + "\n")
    image(tmp_path / "image_files" / "a.jpeg")
    image(tmp_path / "image_files" / "b.jpeg")
    a = {"file_name": "image_files/a.jpeg", "annotations": [
        {"box": [10, 10, 60, 10, 60, 20, 10, 20], "text": "THE", "label": 1},
        {"box": [70, 10, 120, 10, 120, 20, 70, 20], "text": "ROUND", "label": 1},
        {"box": [10, 40, 60, 40, 60, 50, 10, 50], "text": "06/05/13", "label": 3},
        {"box": [10, 60, 60, 60, 60, 70, 10, 70], "text": "Total(ImpuestosIncl.)", "label": 4}]}
    b = {"file_name": "image_files/b.jpeg", "annotations": [{"box": [0, 0, 5, 0, 5, 5, 0, 5], "text": "9,50€", "label": 4}]}
    (tmp_path / "test_subset.txt").write_text(json.dumps(a) + "\n" + json.dumps(b) + "\n")
    (tmp_path / "spanish_subset.txt").write_text(json.dumps(b) + "\n")
    labels = read_labels(tmp_path, "wildreceipt")
    docs = {d.doc_id: d for d in labels.documents}
    assert set(docs) == {"a", "b"}  # b is listed twice: run once, reported in both subsets
    assert sorted(docs["b"].groups) == ["spanish_subset", "test_subset"]
    assert docs["a"].fields["merchant_name"] == ["THE", "THEROUND", "ROUND"]
    assert "total" not in docs["a"].fields  # labelled, but no label reads as an amount: not scored
    assert docs["b"].fields == {"merchant_name": [], "date": [], "total": ["9,50€"]}  # no label: absent
    assert docs["a"].comparator.matches("2013-05-06", ["06/05/13"], "date")  # mixed locales: either reading
    assert docs["b"].comparator.day_first is True  # Spanish subset: day first
    only = read_labels(tmp_path, "wildreceipt", tmp_path / "spanish_subset.txt")
    assert [d.doc_id for d in only.documents] == ["b"]


def test_german_receipts_key_from_filename(tmp_path: Path) -> None:
    image(tmp_path / "lidl_02032020_02_00716.jpg")
    (tmp_path / "key_from_filename.json").write_text(json.dumps({
        "lidl_02032020_02_00716.jpg": {"merchant": "lidl", "date": "02.03.2020", "num_items": 2, "total": "7,16"},
        "gone.jpg": {"merchant": "x", "date": "01.01.2020", "total": "1,00"}}))
    labels = read_labels(tmp_path, "german_receipts")
    (doc,) = labels.documents
    assert doc.fields == {"merchant_name": ["lidl"], "date": ["02.03.2020"], "total": ["7,16"]}
    assert doc.comparator.matches("7.16", ["7,16"], "amount") and doc.comparator.matches("2020-03-02", ["02.03.2020"], "date")
    assert doc.match_modes["merchant_name"] == "contains" and labels.skipped == [("gone.jpg", "image missing")]


def test_invoice2data_fixtures(tmp_path: Path) -> None:
    image(tmp_path / "oyo.png")
    (tmp_path / "oyo.json").write_text(json.dumps([{"issuer": "OYO", "amount": 1939.0, "date": "2017-12-31",
                                                    "invoice_number": "IBZY2087", "currency": "INR"}]))
    (tmp_path / "orlen.json").write_text(json.dumps([{"issuer": "ORLEN", "amount": 1.0}]))
    (tmp_path / "orlen.txt").write_text("text only")
    labels = read_labels(tmp_path, "invoice2data")
    (doc,) = labels.documents
    assert doc.fields == {"vendor_name": ["OYO"], "total": ["1939.0"], "date": ["2017-12-31"], "invoice_number": ["IBZY2087"]}
    assert doc.document_type == "invoice" and labels.skipped[0][0] == "orlen.json"


def test_iris_simple_format(tmp_path: Path) -> None:
    image(tmp_path / "receipt.jpg")
    (tmp_path / "receipt.json").write_text(json.dumps({
        "document_type": "receipt", "fields": {"total": 12.5, "merchant_name": ["ACME", "ACME Ltd"], "merchant_tax_id": None,
                                               "line_items": [{"amount": "1"}]},
        "lines": ["ACME", "TOTAL 12.50"], "decimal_comma": True}))
    image(tmp_path / "sub" / "form.png")
    (tmp_path / "sub" / "form.json").write_text(json.dumps({"key_values": [{"key": "Name", "value": "Ana"}]}))
    (tmp_path / "notes.json").write_text("{}")  # no image beside it: not a label file
    docs = {d.doc_id: d for d in read_labels(tmp_path, "iris").documents}
    assert set(docs) == {"receipt", "sub/form"}
    assert docs["receipt"].fields == {"total": ["12.5"], "merchant_name": ["ACME", "ACME Ltd"], "merchant_tax_id": []}
    assert docs["receipt"].lines == [("ACME", None), ("TOTAL 12.50", None)]
    assert docs["receipt"].comparator.decimal_comma is True
    assert docs["sub/form"].document_type is None and docs["sub/form"].pairs == [("Name", "Ana")]


def test_unknown_format_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown label format"):
        read_labels(tmp_path, "cord")
    with pytest.raises(FileNotFoundError):
        read_labels(tmp_path / "nope", "iris")


def _deepform_folder(root: Path) -> None:
    """A tiny DeepForm layout: annotations.jsonl + images/ (first pages) + pdfs/ (same stems)."""
    rows = [
        {"image": "images/inv_000_aa.jpg", "fields": {"advertiser": "Bernie 2020", "contract_num": "2200-18567",
                                                      "gross_amount": "$10,910.00", "flight_from": "02/19/20", "flight_to": " 02/25/20"},
         "field_on_page1": {"advertiser": "page1", "contract_num": "page1", "gross_amount": "later_page_only (p3)",
                            "flight_from": "page1", "flight_to": "unknown (not matched in PDF OCR text layer)"}},
        {"image": "images/adbuy_001_bb.png", "fields": {"advertiser": "POL/AB PAC", "contract_num": "2485647-1",
                                                        "gross_amount": "$3,355.00", "flight_from": "04/21/20", "flight_to": "04/27/20"},
         "field_on_page1": {k: "page1" for k in ("advertiser", "contract_num", "gross_amount", "flight_from", "flight_to")}},
        {"image": "images/adbuy_002_cc.png", "fields": {"advertiser": "X"}, "field_on_page1": {"advertiser": "page1"}},
    ]
    (root / "annotations.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    image(root / "images" / "inv_000_aa.jpg")
    image(root / "images" / "adbuy_001_bb.png")
    (root / "pdfs").mkdir()
    for stem in ("inv_000_aa", "adbuy_001_bb"):
        (root / "pdfs" / f"{stem}.pdf").write_bytes(b"%PDF-1.4 not read by the reader")


def test_deepform_first_pages_score_only_page1_fields(tmp_path: Path) -> None:
    _deepform_folder(tmp_path)
    labels = read_labels(tmp_path / "images", "deepform")
    docs = {d.doc_id: d for d in labels.documents}
    assert set(docs) == {"inv_000_aa", "adbuy_001_bb"} and labels.skipped[0][0] == "images/adbuy_002_cc.png"
    assert docs["inv_000_aa"].fields == {"invoice_number": ["2200-18567"], "customer_name": ["Bernie 2020"],
                                         "period_start": ["02/19/20"]}  # total only on page 3, flight_to unknown
    assert docs["inv_000_aa"].groups == ["later_page_total"] and docs["adbuy_001_bb"].groups == ["total_on_page1"]
    assert docs["adbuy_001_bb"].fields["total"] == ["$3,355.00"] and docs["adbuy_001_bb"].document_type == "invoice"


def test_deepform_pdfs_score_every_field(tmp_path: Path) -> None:
    _deepform_folder(tmp_path)
    docs = {d.doc_id: d for d in read_labels(tmp_path / "pdfs", "deepform").documents}
    assert docs["inv_000_aa"].image.suffix == ".pdf"
    assert docs["inv_000_aa"].fields == {"invoice_number": ["2200-18567"], "customer_name": ["Bernie 2020"],
                                         "total": ["$10,910.00"], "period_start": ["02/19/20"], "period_end": ["02/25/20"]}
    with pytest.raises(FileNotFoundError, match="annotations.jsonl"):
        read_labels(_empty(tmp_path), "deepform")


def _empty(root: Path) -> Path:
    path = root / "nothing" / "here"
    path.mkdir(parents=True)
    return path


def test_deepform_vrdu_comparator(tmp_path: Path) -> None:
    _deepform_folder(tmp_path)
    doc = next(d for d in read_labels(tmp_path / "pdfs", "deepform").documents if d.doc_id == "inv_000_aa")
    c, modes = doc.comparator, doc.match_modes

    def right(name: str, predicted: str) -> bool:
        kind = "amount" if name == "total" else "date" if name.startswith("period") else "text"
        return c.matches(predicted, doc.fields[name], kind, modes.get(name, "exact"))  # type: ignore[arg-type]

    assert right("invoice_number", "220018567") and right("invoice_number", "# 2200 18567")  # digits only
    assert not right("invoice_number", "22001856")
    assert right("customer_name", "BERNIE-2020") and right("customer_name", "bernie 2020.")  # letters + digits, case-folded
    assert not right("customer_name", "Bernie 2024")
    assert right("total", "10910.00") and right("total", "10910.01") and not right("total", "10910.02")  # within 0.01
    assert right("total", "10910") and not right("total", "1091.00")
    assert right("period_start", "2020-02-19") and not right("period_start", "2020-02-18")
    assert right("period_end", "2020-02-25")
    assert c.matches("2020-03-02", ["02/03/20"], "date") and c.matches("2020-02-03", ["02/03/20"], "date")  # month/day may swap
