"""benchmarks/pipeline_eval.py's scoring of result JSONs: types, misses for failures, the gap, the targets.

No services and no Prefect here: `summarise_set` is fed result JSONs shaped as `process_document` writes them.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

from iris_cli.evaluation.readers import GERMAN_COMPARATOR, LATER_PAGE_TOTAL, LabelledDocument

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "pipeline_eval.py"
spec = importlib.util.spec_from_file_location("pipeline_eval", BENCHMARK)
pe = sys.modules["pipeline_eval"] = importlib.util.module_from_spec(spec)  # dataclasses look their module up
spec.loader.exec_module(pe)  # type: ignore[union-attr]
KNOWN = pe.iris_types()


def _doc(doc_id: str, doc_type: str = "receipt", groups: list[str] | None = None, **fields: str) -> LabelledDocument:
    return LabelledDocument(doc_id, Path(f"/data/{doc_id}.jpg"), doc_type, GERMAN_COMPARATOR,
                            {k: [v] for k, v in fields.items()}, groups=groups or [])


def _result(doc_type: str, classifier: str, **fields: str) -> dict:
    """A result JSON as the flow writes it (routing and classify record included)."""
    return {"document_type": doc_type, "total_processing_time": 2.0,
            "phases": {"ocr": {"status": "completed", "processing_time": 1.5},
                       "classify": {"status": "completed", "processing_time": 0.1,
                                    "result": {"predicted_class": classifier, "confidence": 0.6}}},
            "routing": {"chosen": doc_type, "classifier_choice": classifier, "reason": "test"},
            "final_extraction": {"fields": {k: {"value": v, "confidence": 0.9} for k, v in fields.items()}}}


def test_typed_right_counts_a_type_iris_lacks_as_other() -> None:
    assert pe.typed_right("handwritten", "other", KNOWN)
    assert pe.typed_right("scientific_publication", "scientific_publication", KNOWN)
    assert not pe.typed_right("receipt", "other", KNOWN)
    assert not pe.typed_right("handwritten", "form", KNOWN)
    assert not pe.typed_right("receipt", None, KNOWN)  # failed: typed wrong


def test_spread_takes_subsets_in_turn() -> None:
    docs = [_doc(f"a{i}", groups=["a"]) for i in range(5)] + [_doc("b0", groups=["b"]), _doc("c0", groups=["c"])]
    assert [d.doc_id for d in pe.spread(docs, 4)] == ["a0", "b0", "c0", "a1"]
    assert len(pe.spread(docs, 50)) == 7


def test_link_folder_gives_unique_names(tmp_path: Path) -> None:
    real = tmp_path / "x.jpg"
    real.write_bytes(b"jpg")
    docs = [LabelledDocument("img/1/x", real, "receipt", GERMAN_COMPARATOR), LabelledDocument("img/1/x", real, "receipt", GERMAN_COMPARATOR)]
    names = pe.link_folder(docs, tmp_path / "in")
    assert sorted(names) == ["img__1__x-2.jpg", "img__1__x.jpg"]
    assert all((tmp_path / "in" / n).resolve() == real for n in names)


def test_summary_end_to_end_beside_type_given() -> None:
    docs = [_doc("r1", date="01.02.2024", total="12,50"), _doc("r2", date="03.04.2024", total="7,00"),
            _doc("r3", date="05.06.2024", total="1,00")]
    run = pe.SetRun(pe.SETS["german"], docs, [], batch_seconds=30.0, given_seconds=5.0)
    run.results = {
        "r1": _result("receipt", "receipt", date="2024-02-01", total="12.50"),
        # routed to other by the classifier: its receipt fields are lost end to end
        "r2": _result("other", "other", issuer="ACME"),
    }
    run.errors = {"r3": "EXT001: quarantined"}  # failed in the batch: a miss, never skipped
    run.given = {"r1": _result("receipt", "receipt", date="2024-02-01", total="12.50"),
                 "r2": _result("receipt", "other", date="2024-04-03", total="7.00")}
    run.given_errors = {"r3": "Failed: again"}
    m = pe.summarise_set(run, KNOWN)["measure"]
    assert (m["documents"], m["failed"], m["typed_right"], m["classifier_right"]) == (3, 1, 1, 1)
    assert m["value"] == pytest.approx(0.5, abs=1e-3)  # tp 2, fp 0, fn 4 (both fields of r2 and r3): 2tp / (2tp + fp + fn)
    assert m["given_value"] == pytest.approx(0.8, abs=1e-3)  # tp 4, fn 2: r3 still missed
    assert m["gap"] == pytest.approx(m["given_value"] - m["value"], abs=1e-3)
    assert m["docs_per_minute"] == 6.0
    assert not m["met"]
    assert {x["document"] for x in m["mistyped"]} == {"r2", "r3"}


def test_summary_tolerates_missing_keys() -> None:
    run = pe.SetRun(pe.SETS["german"], [_doc("r1", total="1,00")], [], batch_seconds=1.0)
    run.results = {"r1": {"document_type": "receipt", "routing": None, "final_extraction": None}}
    m = pe.summarise_set(run, KNOWN)["measure"]
    assert m["typed_right"] == 1 and m["value"] == 0.0


def test_routing_fixed_and_broke_are_told_apart() -> None:
    docs = [_doc("a"), _doc("b", doc_type="form")]
    run = pe.SetRun(pe.SETS["doc_types"], docs, [], batch_seconds=1.0)
    run.results = {"a": _result("receipt", "other"), "b": _result("receipt", "form")}
    m = pe.summarise_set(run, KNOWN)["measure"]
    assert (m["routed_off_classifier"], m["routing_fixed"], m["routing_broke"]) == (2, 1, 1)
    assert m["value"] == 0.5 and "given_value" not in m


def test_later_page_amounts_and_scaled_target() -> None:
    docs = [_doc(f"p{i}", doc_type="invoice", groups=[LATER_PAGE_TOTAL], total="10.00") for i in range(3)]
    run = pe.SetRun(pe.SETS["deepform_pdfs"], docs, [], batch_seconds=1.0)
    run.results = {"p0": _result("invoice", "invoice", total="10.00"), "p1": _result("invoice", "invoice", total="10.00"),
                   "p2": _result("invoice", "invoice", total="99.00")}
    summary = pe.summarise_set(run, KNOWN)
    assert summary["measure"]["later_page_amounts"] == (2, 3)
    [line] = pe.overall_targets([summary])
    assert line["value"].startswith("2 of 3") and "scaled" in line["target"] and not line["met"]  # 2/3 < 12/17


def test_no_data_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert pe.main(["--data", str(tmp_path / "absent")]) == 0
    assert "no labelled data" in capsys.readouterr().out
