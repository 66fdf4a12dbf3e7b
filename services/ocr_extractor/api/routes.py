"""Routes of the ocr-extractor: `POST /extract_json` and `GET /engines`."""

import time
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile

from iris_common.contract.envelope import Envelope
from iris_common.contract.extraction import DocumentType, EngineInfo, ExtractionResult
from iris_common.errors import InvalidInput
from iris_common.web.responses import envelope
from iris_common.web.uploads import read_pages

from ocr_extractor.api.deps import RuntimeDep, SettingsDep
from ocr_extractor.core.fields import extract_document

router = APIRouter(tags=["ocr"])

_TYPES = [t.value for t in DocumentType]


def _document_type(value: str) -> DocumentType:
    try:
        return DocumentType(value.strip().lower())
    except ValueError:
        raise InvalidInput(
            f"unknown document_type {value!r}; expected one of {', '.join(_TYPES)}",
            details={"field": "document_type", "allowed": _TYPES},
        ) from None


def _threshold(value: float | None, default: float) -> float:
    if value is None:
        return default
    if not 0.0 <= value <= 1.0:  # also rejects NaN
        raise InvalidInput(
            f"confidence_threshold must be within [0, 1], got {value}",
            details={"field": "confidence_threshold", "minimum": 0, "maximum": 1},
        )
    return value


@router.post("/extract_json", response_model=Envelope[ExtractionResult])
def extract_json(
    request: Request,
    settings: SettingsDep,
    runtime: RuntimeDep,
    file: Annotated[UploadFile, File(description="image (JPEG, PNG, TIFF, BMP, WebP) or PDF; every PDF page is read")],
    document_type: Annotated[str, Form(description=f"one of {', '.join(_TYPES)}")] = DocumentType.OTHER.value,
    confidence_threshold: Annotated[
        float | None, Form(description="fields under it come back with value null and needs_review true")
    ] = None,
) -> Envelope[Any]:
    """OCR a document and extract the fields of its type. Cheap checks run before the file is decoded."""
    doc_type = _document_type(document_type)
    threshold = _threshold(confidence_threshold, settings.default_confidence_threshold)
    source_format, pages = read_pages(file, settings)
    started = time.perf_counter()
    ocr = runtime.recognize(pages)
    ocr_seconds = time.perf_counter() - started
    started = time.perf_counter()
    structured = extract_document(ocr, doc_type, confidence_threshold=threshold, default_day_first=settings.date_day_first)
    result = ExtractionResult(
        ocr=ocr,
        structured_document=structured,
        source_format=source_format,
        timings={"ocr": round(ocr_seconds, 4), "extraction": round(time.perf_counter() - started, 4)},
    )
    warnings = [f"{name}: below the confidence threshold or not found" for name in structured.fields_needing_review]
    return envelope(request, result, warnings=warnings, metadata={"engine": ocr.engine, "pages": len(pages)})


@router.get("/engines", response_model=EngineInfo)
def read_engines(runtime: RuntimeDep) -> EngineInfo:
    """The engine this process loaded (model ids, versions, where the weights came from)."""
    info = runtime.describe()
    return EngineInfo(**{k: v for k, v in info.items() if k in EngineInfo.model_fields})
