"""`iris eval` end to end: three generated receipts in IRIS's simple label format, through the four real services
started as local processes (the flow tests' fixtures), scored from the CLI's JSON output."""

import json
from pathlib import Path

import cv2
import pytest

import docgen
from tests.flows.conftest import flow_home, models_dir, services  # noqa: F401 - the same service processes as the flow tests
from tests.service_processes import ServiceProcess

pytestmark = pytest.mark.slow


def write_labelled_receipts(folder: Path) -> None:
    for seed, lang in ((11, "en"), (12, "es"), (13, "en")):
        doc = docgen.render("receipt", seed=seed, lang=lang)
        cv2.imwrite(str(folder / f"receipt-{seed}.png"), doc.image)
        fields = {k: doc.fields[k] for k in ("merchant_name", "date", "total")}
        (folder / f"receipt-{seed}.json").write_text(json.dumps({"document_type": "receipt", "fields": fields, "lines": doc.lines}))


def test_eval_on_generated_receipts(services: dict[str, ServiceProcess], tmp_path: Path,  # noqa: F811
                                    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from iris_cli.main import main

    for svc in services.values():
        monkeypatch.setenv(svc.env_var, svc.url)
    write_labelled_receipts(tmp_path)

    assert main(["eval", str(tmp_path), "--format", "iris", "--json", "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)

    assert (report["documents"], report["failed"]) == (3, 0)
    overall = report["overall"]
    assert overall["tp"] + overall["fn"] == 9  # 3 labelled fields x 3 documents, each scored
    assert overall["tp"] >= 6, report["scores"]  # clean synthetic receipts: most fields right
    assert {s["field"] for s in report["scores"]} == {"merchant_name", "date", "total", "(all)"}
    assert report["ocr"]["documents"] == 3 and report["ocr"]["cer"] < 0.25
    assert report["calibration"]["count"] >= 6 and 0 <= report["calibration"]["ece"] <= 1
    assert report["classification"]["documents"] == 3  # the classifier's answer is recorded beside the labelled type
    assert all(o["extraction_type"] == "receipt" and o["phase_seconds"].keys() >= {"preprocess", "embed", "classify", "extract"}
               for o in report["outcomes"])
    assert len(report["slowest"]) == 3 and report["slowest"][0]["seconds"] >= report["slowest"][-1]["seconds"]
