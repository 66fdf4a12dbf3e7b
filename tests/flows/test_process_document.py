"""process_document against the real services under a Prefect test harness."""

import asyncio
import json
import shutil
from pathlib import Path

import httpx
import pytest

from tests.auth import api_headers
from tests.flows.conftest import write_document
from tests.service_processes import ServiceProcess, free_port

pytestmark = pytest.mark.slow


def _run(path: Path, **params: object):  # -> prefect State
    from iris_flows.document_flow import process_document

    return asyncio.run(process_document(path=str(path), return_state=True, **params))


def _task_runs(flow_run_id: str) -> list:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async def read() -> list:
        async with get_client() as client:
            return await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))

    return asyncio.run(read())


def _artifacts(flow_run_id: str) -> list:
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    async def read() -> list:
        async with get_client() as client:
            return await client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))

    return asyncio.run(read())


def _phase_requests(services: dict[str, ServiceProcess]) -> dict[str, int]:
    """Requests each service has served on its phase endpoints (from its own /metrics)."""
    counts = {}
    for name, svc in services.items():
        endpoints = httpx.get(f"{svc.url}/metrics", headers=api_headers()).json()["endpoints"]
        counts[name] = sum(e["requests"] for path, e in endpoints.items() if path.startswith("POST"))
    return counts


def test_document_completes_with_five_completed_task_runs(fresh_client: None, tmp_path: Path) -> None:
    doc = write_document(tmp_path, "receipt-a.png", seed=11)
    state = _run(doc)
    assert state.is_completed(), state.message
    result = state.result()
    assert list(result["phases"]) == ["preprocess", "embed", "ocr", "classify", "extract"]
    assert all(p["status"] == "completed" for p in result["phases"].values())
    assert result["pipeline_summary"]["phases_completed"] == 5
    # the page was read once: the classifier used its words, extraction got the same OCR (no image, no OCR of its own)
    assert result["phases"]["ocr"]["result"]["lines"] > 5
    assert result["phases"]["classify"]["result"]["used_text"] is True
    assert set(result["phases"]["extract"]["result"]["timings"]) == {"extraction"}
    assert result["page_count"] == 1
    # the type was routed: the classifier's candidates were tried and the choice is recorded with its reason
    routing = result["routing"]
    assert routing["given"] is False and routing["chosen"] == result["document_type"] == "receipt"
    assert routing["trials"][0]["document_type"] == "receipt" and "total" in routing["trials"][0]["found"]
    assert 0.0 < result["document_type_confidence"] <= 1.0
    assert result["pipeline_summary"]["bottleneck_phase"] in result["phases"]
    assert result["final_extraction"]["document_type"] == result["document_type"]
    # phase 1's transform went to the extractor: boxes are in the uploaded scan's pixels
    assert result["final_extraction"]["coordinate_space"] == "original"
    task_runs = _task_runs(result["pipeline_id"])
    assert sorted(t.name.split("-")[0] for t in task_runs) == ["classify", "embed", "extract", "ocr", "preprocess"]
    assert all(t.state.is_completed() for t in task_runs)
    json.dumps(result)  # the result is plain JSON
    artifacts = {a.key: a for a in _artifacts(result["pipeline_id"])}
    assert {"extracted-fields", "phase-timings"} <= set(artifacts)
    assert "| total |" in artifacts["extracted-fields"].data


def test_renamed_copy_is_served_from_cache_without_calling_services(
    fresh_client: None, services: dict[str, ServiceProcess], tmp_path: Path
) -> None:
    doc = write_document(tmp_path, "first.png", seed=12)
    assert _run(doc).is_completed()
    before = _phase_requests(services)
    copy = tmp_path / "renamed-copy.png"
    shutil.copy(doc, copy)
    state = _run(copy)
    assert state.is_completed(), state.message
    assert {p["status"] for p in state.result()["phases"].values()} == {"cached"}
    assert _phase_requests(services) == before


def test_val001_fails_at_preprocess_without_retries(fresh_client: None, tmp_path: Path) -> None:
    bad = tmp_path / "not-an-image.jpg"
    bad.write_text("this is text, not a JPEG")
    state = _run(bad)
    assert state.is_failed()
    assert "phase 'preprocess'" in state.message and "VAL001" in state.message and "request_id=iris-" in state.message
    task_runs = _task_runs(str(state.state_details.flow_run_id))
    assert [t.run_count for t in task_runs if t.name.startswith("preprocess")] == [1]


def test_stopped_service_fails_at_its_phase_with_svc001_and_opens_breaker(
    fresh_client: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from iris_common.client import BreakerState, IrisClient
    from iris_common.client.iris_client import read_breaker_states
    from iris_common.settings import ClientSettings

    monkeypatch.setenv("OCR_EXTRACTOR_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    doc = write_document(tmp_path, "receipt-down.png", seed=13)
    state = _run(doc)
    assert state.is_failed()
    assert "phase 'ocr'" in state.message and "SVC001" in state.message
    task_runs = _task_runs(str(state.state_details.flow_run_id))
    ocr_runs = [t for t in task_runs if t.name.startswith("ocr")]
    assert ocr_runs[0].run_count == ClientSettings().max_retries("ocr-extractor") + 1  # retried: SVC001 is retryable
    assert IrisClient.shared().breakers["ocr-extractor"].state is BreakerState.OPEN
    assert read_breaker_states(ClientSettings().breaker_state_file)["ocr-extractor"]["state"] == "open"


def test_503_twice_then_ok_is_retried_and_completes(
    fresh_client: None, services: dict[str, ServiceProcess], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.flows.flaky_proxy import FlakyProxy

    with FlakyProxy(services["ml-classifier"].url, failures=2) as proxy:
        monkeypatch.setenv("ML_CLASSIFIER_URL", proxy.url)
        state = _run(write_document(tmp_path, "flaky.png", seed=14))
    assert state.is_completed(), state.message
    assert proxy.seen_posts == 3
    task_runs = _task_runs(state.result()["pipeline_id"])
    assert [t.run_count for t in task_runs if t.name.startswith("classify")] == [3]


def _multi_page_tiff(folder: Path, name: str, kinds: list[str]) -> Path:
    import cv2
    from PIL import Image

    import docgen

    frames = [Image.fromarray(cv2.cvtColor(docgen.render(kind, seed=30 + i).image, cv2.COLOR_BGR2RGB)) for i, kind in enumerate(kinds)]
    path = folder / name
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="tiff_deflate")
    return path


def test_multi_page_document_is_processed_page_by_page_and_cached_per_page(
    fresh_client: None, services: dict[str, ServiceProcess], tmp_path: Path
) -> None:
    doc = _multi_page_tiff(tmp_path, "three-pages.tif", ["letter", "letter", "invoice"])  # the invoice's fields are on page 2
    state = _run(doc, document_type="invoice")
    assert state.is_completed(), state.message
    result = state.result()
    assert result["page_count"] == 3
    assert [p["page_index"] for p in result["phases"]["preprocess"]["result"]["pages"]] == [0, 1, 2]
    assert [p["page"] for p in result["phases"]["ocr"]["result"]["pages"]] == [0, 1, 2]
    assert all(p["lines"] > 3 for p in result["phases"]["ocr"]["result"]["pages"])
    # one task run per page for phases 1 and 5, one for the others
    names = sorted(t.name.rsplit("-p", 1)[0] if t.name.startswith(("preprocess", "ocr")) else t.name for t in _task_runs(result["pipeline_id"]))
    assert [n.split("-")[0] for n in names].count("preprocess") == 3 and [n.split("-")[0] for n in names].count("ocr") == 3
    assert [n.split("-")[0] for n in names].count("embed") == 1
    # extraction read all pages: fields come back on the page they were read on
    fields = result["final_extraction"]["fields"]
    assert fields["invoice_number"]["value"] and fields["invoice_number"]["page"] == 2
    assert fields["total"]["value"] and fields["total"]["page"] == 2
    assert result["routing"]["given"] is True
    # a re-run is a cache hit for every page, and no service is called
    before = _phase_requests(services)
    again = _run(doc, document_type="invoice")
    assert again.is_completed(), again.message
    assert {p["status"] for p in again.result()["phases"].values()} == {"cached"}
    assert _phase_requests(services) == before


def test_document_over_the_page_limit_fails_with_val001_naming_the_limit(fresh_client: None, tmp_path: Path) -> None:
    from iris_common.settings import ServiceSettings

    limit = ServiceSettings().max_pdf_pages
    doc = _multi_page_tiff(tmp_path, "too-long.tif", ["letter"] * (limit + 1))
    state = _run(doc)
    assert state.is_failed()
    assert "VAL001" in state.message and f"at most {limit}" in state.message and "MAX_PDF_PAGES" in state.message


@pytest.mark.parametrize("lang", ["en", "es"])
def test_three_page_invoice_pdf_reads_its_header_on_page_0_and_its_total_on_page_2(
    fresh_client: None, tmp_path: Path, lang: str
) -> None:
    """The document, not its first page, is the unit of work: the type IRIS chooses itself, fields from every page."""
    from docgen.multipage import render_multipage_invoice

    generated = render_multipage_invoice(seed=5, lang=lang)
    doc = tmp_path / f"invoice-{lang}.pdf"
    doc.write_bytes(generated.pdf_bytes())
    state = _run(doc)
    assert state.is_completed(), state.message
    result = state.result()
    assert result["page_count"] == 3 and result["document_type"] == "invoice"
    fields = result["final_extraction"]["fields"]
    assert fields["invoice_number"]["value"] == generated.fields["invoice_number"] and fields["invoice_number"]["page"] == 0
    assert fields["total"]["value"] == generated.fields["total"] and fields["total"]["page"] == 2
    assert {item["page"] for item in result["final_extraction"]["line_items"]} == {0, 1, 2}
    assert all(item["bbox"] for item in result["final_extraction"]["line_items"])


def test_small_faint_receipt_on_a_white_page_comes_back_as_a_receipt_with_its_total(fresh_client: None, tmp_path: Path) -> None:
    """A till slip scanned on a flatbed whose bed is as white as the paper: a fifth of the page's width, faint print.
    Before the narrow-content crop the default classifier called this page `other` (0.97) and the OCR, reading the
    whole page scaled down, did not find its total: the user got an empty result for a readable receipt."""
    import cv2
    import numpy as np

    import docgen

    generated = docgen.render("receipt", seed=3, lang="en", variant="clean", layout="classic")
    slip = generated.image
    h, w = slip.shape[:2]
    page = np.full((int(5 * w * 1.414), 5 * w, 3), 255, np.uint8)
    top, left = int(0.05 * (page.shape[0] - h)), (page.shape[1] - w) // 2
    page[top : top + h, left : left + w] = slip
    page = (255 - (255 - page.astype(np.float32)) * 0.5).astype(np.uint8)  # faint thermal print
    doc = tmp_path / "slip-on-a-white-bed.png"
    cv2.imwrite(str(doc), page)
    state = _run(doc)
    assert state.is_completed(), state.message
    result = state.result()
    assert result["document_type"] == "receipt", result["routing"]["reason"]
    assert result["final_extraction"]["fields"]["total"]["value"] == generated.fields["total"]
    assert '"name": "crop"' in json.dumps(result["phases"]["preprocess"]["result"])  # the operation is recorded
