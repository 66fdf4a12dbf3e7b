"""Routes of the ocr-extractor: `POST /ocr`, `POST /extract` (JSON: from the pages' OCR, type given or routed),
`POST /extract_json` (multipart: a file, read or with its OCR supplied), `GET /schemas`, `GET /schemas/{type}` and
`GET /engines`."""

import json
import time
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import ValidationError

from iris_common.contract.envelope import Envelope
from iris_common.contract.extraction import (
    EXPECTED_FIELDS,
    SCHEMA_VERSIONS,
    DocumentType,
    EngineInfo,
    ExtractionResult,
    OcrResponse,
    OcrResult,
    SchemaList,
    SchemaSummary,
    schema_versions,
)
from iris_common.contract.routing import ExtractRequest, ExtractResponse
from iris_common.errors import InvalidInput
from iris_common.web.responses import envelope
from iris_common.web.uploads import read_pages

from ocr_extractor.api.deps import RuntimeDep, SettingsDep
from ocr_extractor.core.geometry import TransformError, as_matrix, ocr_in_original
from ocr_extractor.core.layout import join_pages, mismatches
from ocr_extractor.core.schemas import UnknownSchemaVersion, field_names, json_schema, schema_id
from ocr_extractor.models.runtime import OcrRuntime
from ocr_extractor.service import structured_document

router = APIRouter(tags=["ocr"])

_TYPES = [t.value for t in DocumentType]

DocumentUpload = Annotated[UploadFile, File(description="image (JPEG, PNG, TIFF, BMP, WebP) or PDF; every PDF page is read")]


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


def _transforms(value: str | None, pages: int) -> list[Any] | None:
    """`source_transform`: one 3x3 matrix (page 1) or a list of them (one per page, null for none)."""
    if value is None or not value.strip():
        return None
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise _bad_transform(str(exc)) from None
    if isinstance(parsed, list) and parsed and isinstance(parsed[0], list) and parsed[0] and isinstance(parsed[0][0], (int, float)):
        parsed = [parsed]
    return _matrices(parsed, pages)


def _matrices(parsed: Any, pages: int) -> list[Any]:
    """One checked, invertible matrix (or None) per page."""
    try:
        if not isinstance(parsed, list) or len(parsed) > pages:
            raise TransformError(f"expected a 3x3 matrix or a list of at most {pages} (one per page)")
        return [as_matrix(m) if m is not None else None for m in parsed]
    except (ValueError, TransformError) as exc:
        raise _bad_transform(str(exc)) from None


def _bad_transform(problem: str) -> InvalidInput:
    return InvalidInput(
        f"source_transform is not a usable 3x3 transform: {problem}",
        details={"field": "source_transform", "expected": "JSON 3x3 matrix, original -> processed pixels"},
    )


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _bad_ocr(problem: str, **details: Any) -> InvalidInput:
    return InvalidInput(f"ocr {problem}", details={"field": "ocr", "expected": "the data.ocr of POST /ocr for this file", **details})


def _supplied_ocr(value: str | None, pages: list[np.ndarray]) -> OcrResult | None:
    """`ocr`: the OcrResult `POST /ocr` returned for this same file, reused instead of recognising the pages again.
    It must be in processed coordinates (`source_transform` maps the boxes afterwards) and describe these pages."""
    if value is None or not value.strip():
        return None
    try:
        parsed = json.loads(value, parse_constant=_no_constant)
    except ValueError as exc:
        raise _bad_ocr(f"is not JSON: {exc}") from None
    try:
        ocr = OcrResult.model_validate(parsed)
    except ValidationError as exc:
        errors = [{"loc": ".".join(map(str, e["loc"])) or "(root)", "msg": e["msg"]} for e in exc.errors()]
        shown = "; ".join(f"{e['loc']}: {e['msg']}" for e in errors[:3]) + (f" (+{len(errors) - 3} more)" if len(errors) > 3 else "")
        raise _bad_ocr(f"does not validate as an OcrResult: {shown}", errors=errors[:20]) from None
    if ocr.coordinate_space != "processed":
        raise _bad_ocr(f"is in {ocr.coordinate_space!r} coordinates; send it as /ocr returned it ('processed') "
                       "and pass source_transform to map the boxes")
    problems = mismatches(ocr, [(int(p.shape[1]), int(p.shape[0])) for p in pages])
    if problems:
        raise _bad_ocr(f"does not match the uploaded file: {'; '.join(problems[:3])}", problems=problems[:20])
    return ocr


def _recognise(runtime: OcrRuntime, pages: list[np.ndarray]) -> tuple[OcrResult, float]:
    """OCR the pages and how long it took (the one measure of OCR time both endpoints report)."""
    started = time.perf_counter()
    ocr = runtime.recognize(pages)
    return ocr, round(time.perf_counter() - started, 4)


def _joined_pages(pages: list[OcrResult]) -> OcrResult:
    """The document's OCR from its pages' results; each must be as `/ocr` returned it (processed coordinates)."""
    for i, page in enumerate(pages):
        if page.coordinate_space != "processed":
            raise _bad_ocr(f"page {i} is in {page.coordinate_space!r} coordinates; send it as /ocr returned it ('processed')")
    ocr = join_pages(pages)
    problems = mismatches(ocr, [(p.width, p.height) for p in ocr.pages])
    if problems:
        raise _bad_ocr(f"is not consistent: {'; '.join(problems[:3])}", problems=problems[:20])
    return ocr


@router.post("/ocr", response_model=Envelope[OcrResponse])
def recognise(
    request: Request,
    settings: SettingsDep,
    runtime: RuntimeDep,
    file: DocumentUpload,
) -> Envelope[Any]:
    """OCR a document without extracting fields: the flow classifies the page on this text, then hands it to
    `/extract_json` (form field `ocr`) so the page is recognised once."""
    source_format, pages = read_pages(file, settings)
    ocr, ocr_seconds = _recognise(runtime, pages)
    result = OcrResponse(ocr=ocr, source_format=source_format, timings={"ocr": ocr_seconds})
    return envelope(request, result, metadata={"engine": ocr.engine, "pages": len(pages)})


@router.post("/extract", response_model=Envelope[ExtractResponse])
def extract_from_ocr(request: Request, settings: SettingsDep, runtime: RuntimeDep, body: ExtractRequest) -> Envelope[Any]:
    """Extract from OCR already done, one `/ocr` result per page (no image travels again). With `candidates` (the
    classifier's scores) the extractor tries the types worth trying and keeps the one whose schema fills best;
    `data.routing` records every type tried and why one was chosen."""
    ocr = _joined_pages(body.pages)
    transforms = _matrices(body.source_transforms, len(ocr.pages)) if body.source_transforms else None
    threshold = _threshold(body.confidence_threshold, settings.default_confidence_threshold)
    started = time.perf_counter()
    structured, decision = structured_document(runtime, ocr, threshold, transforms, day_first=settings.date_day_first,
                                               document_type=body.document_type, candidates=body.candidates)
    result = ExtractResponse(structured_document=structured, routing=decision, pages=len(ocr.pages),
                             timings={"extraction": round(time.perf_counter() - started, 4)})
    warnings = [f"{name}: below the confidence threshold or not found" for name in structured.fields_needing_review]
    if decision.needs_review:
        warnings.append(f"document type {decision.chosen.value} needs review: {decision.reason}")
    return envelope(request, result, warnings=warnings, metadata={"pages": len(ocr.pages), "routing": decision.reason})


@router.post("/extract_json", response_model=Envelope[ExtractionResult])
def extract_json(
    request: Request,
    settings: SettingsDep,
    runtime: RuntimeDep,
    file: DocumentUpload,
    document_type: Annotated[str, Form(description=f"one of {', '.join(_TYPES)}")] = DocumentType.OTHER.value,
    confidence_threshold: Annotated[
        float | None, Form(description="fields under it come back with value null and needs_review true")
    ] = None,
    source_transform: Annotated[
        str | None,
        Form(description="JSON 3x3 matrix (or one per page) from the image-processor's `transform`: original -> "
             "processed pixels; boxes are then returned in the original image's coordinates"),
    ] = None,
    ocr: Annotated[
        str | None,
        Form(description="JSON of the `data.ocr` that POST /ocr returned for this same file (processed coordinates): "
             "used instead of recognising the pages again"),
    ] = None,
) -> Envelope[Any]:
    """OCR a document (or reuse the OCR supplied) and extract the fields of its type. Cheap checks run before the
    file is decoded."""
    doc_type = _document_type(document_type)
    threshold = _threshold(confidence_threshold, settings.default_confidence_threshold)
    source_format, pages = read_pages(file, settings)
    transforms = _transforms(source_transform, len(pages))
    supplied = _supplied_ocr(ocr, pages)
    ocr_result, ocr_seconds = (supplied, 0.0) if supplied is not None else _recognise(runtime, pages)
    started = time.perf_counter()
    structured, _ = structured_document(runtime, ocr_result, threshold, transforms, day_first=settings.date_day_first,
                                        document_type=doc_type)
    if transforms is not None:
        ocr_result = ocr_in_original(ocr_result, transforms)
    result = ExtractionResult(
        ocr=ocr_result,
        structured_document=structured,
        source_format=source_format,
        timings={"ocr": ocr_seconds, "extraction": round(time.perf_counter() - started, 4)},
    )
    warnings = [f"{name}: below the confidence threshold or not found" for name in structured.fields_needing_review]
    metadata = {"engine": ocr_result.engine, "pages": len(pages), "ocr": "recognised" if supplied is None else "supplied"}
    return envelope(request, result, warnings=warnings, metadata=metadata)


@router.get("/schemas", response_model=SchemaList)
def list_schemas() -> SchemaList:
    """The versioned JSON Schema of each document type's `structured_document`: the current version (what outputs
    satisfy) and every version still served."""
    return SchemaList(
        schemas=[
            SchemaSummary(document_type=t, version=SCHEMA_VERSIONS[t], schema_id=schema_id(t), fields=field_names(t),
                          expected_fields=list(EXPECTED_FIELDS[t]), versions=schema_versions(t))
            for t in DocumentType
        ]
    )


@router.get("/schemas/{document_type}")
def read_schema(document_type: str, version: str | None = None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every `structured_document` of this type is validated against; `?version=`
    serves an earlier one (VAL001 naming the served versions when it is not)."""
    doc_type = _document_type(document_type)
    try:
        return json_schema(doc_type, version)
    except UnknownSchemaVersion:
        raise InvalidInput(
            f"{doc_type.value} schema version {version!r} is not served; versions: {', '.join(schema_versions(doc_type))}",
            details={"field": "version", "allowed": schema_versions(doc_type)},
        ) from None


@router.get("/engines", response_model=EngineInfo)
def read_engines(runtime: RuntimeDep) -> EngineInfo:
    """The engine this process loaded (model ids, versions, where the weights came from)."""
    info = runtime.describe()
    return EngineInfo(**{k: v for k, v in info.items() if k in EngineInfo.model_fields})
