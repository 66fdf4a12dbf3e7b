"""Error paths of the `iris eval` runner, with the service calls replaced by a stub (named as such): a classifier
that is down must not stop the evaluation of documents whose type is known."""

import asyncio
import base64
from pathlib import Path
from typing import Any

from iris_cli.evaluation.runner import PipelineRunner
from iris_common.client.errors import ServiceCallError
from iris_common.contract.error_codes import ErrorCode


def _stub_calls_with_classifier_down(runner: PipelineRunner) -> list[str]:
    called: list[str] = []

    async def stub_call(client: Any, service: str, path: str, request_id: str, **request: Any) -> dict[str, Any]:
        called.append(service)
        if service == "image-processor":
            return {"pages": [{"image_base64": base64.b64encode(b"png").decode(), "transform": None}]}
        if service == "ml-embeddings":
            return {"items": [{"embedding": [0.0, 1.0]}]}
        if service == "ml-classifier":
            raise ServiceCallError("ml-classifier", ErrorCode.SERVICE_UNAVAILABLE, "classifier model not loaded", retryable=False)
        if path == "/ocr":
            return {"ocr": {"text": "INVOICE"}}
        return {"structured_document": {"fields": {}}}

    runner._call = stub_call  # type: ignore[method-assign]
    return called


def test_stub_classifier_down_with_a_known_type_still_extracts(tmp_path: Path) -> None:
    image = tmp_path / "doc.png"
    image.write_bytes(b"not read by the stub")
    runner = PipelineRunner(["http://127.0.0.1:1"])
    called = _stub_calls_with_classifier_down(runner)
    run = asyncio.run(runner.run(image, "invoice"))
    assert run.error is None and run.extraction_type == "invoice" and run.extractions
    assert run.classify_error is not None and "SVC001" in run.classify_error and run.classification is None
    assert called == ["image-processor", "ocr-extractor", "ml-embeddings", "ml-classifier", "ocr-extractor"]


def test_stub_classifier_down_without_a_type_fails_the_document(tmp_path: Path) -> None:
    image = tmp_path / "doc.png"
    image.write_bytes(b"not read by the stub")
    runner = PipelineRunner(["http://127.0.0.1:1"])
    _stub_calls_with_classifier_down(runner)
    run = asyncio.run(runner.run(image, None))
    assert run.error is not None and run.error.startswith("classify:") and not run.extractions


def test_stub_multi_page_document_travels_whole(tmp_path: Path) -> None:
    """Phase 1 returns 3 pages: /ocr and /extract_json get one 3-frame TIFF and one matrix per page, /embed the first."""
    import io
    import json

    from PIL import Image

    def png(shade: int) -> str:
        out = io.BytesIO()
        Image.new("L", (40, 30), shade).save(out, format="PNG")
        return base64.b64encode(out.getvalue()).decode()

    matrices = [[[1.0, 0.0, float(i)], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]] for i in range(3)]
    sent: dict[str, Any] = {}

    async def stub_call(client: Any, service: str, path: str, request_id: str, **request: Any) -> dict[str, Any]:
        if service == "image-processor":
            return {"pages": [{"image_base64": png(50 * i), "transform": matrices[i]} for i in range(3)]}
        if service == "ml-embeddings":
            sent["embed"] = request["files"]["file"]
            return {"items": [{"embedding": [0.0, 1.0]}]}
        if service == "ml-classifier":
            return {"predicted_class": "invoice", "confidence": 0.9}
        sent[path] = request
        return {"ocr": {"text": "INVOICE"}} if path == "/ocr" else {"structured_document": {"fields": {}}}

    document = tmp_path / "doc.pdf"
    document.write_bytes(b"not read by the stub")
    runner = PipelineRunner(["http://127.0.0.1:1"])
    runner._call = stub_call  # type: ignore[method-assign]
    run = asyncio.run(runner.run(document, "invoice"))
    assert run.error is None
    for path in ("/ocr", "/extract_json"):
        name, data, mime = sent[path]["files"]["file"]
        tiff = Image.open(io.BytesIO(data))
        assert mime == "image/tiff" and tiff.n_frames == 3
        tiff.seek(2)
        assert tiff.getpixel((0, 0)) == 100  # the pages in order
    assert json.loads(sent["/extract_json"]["data"]["source_transform"]) == matrices
    assert sent["embed"][2] == "image/png"
