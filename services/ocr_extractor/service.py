"""The extraction a request asks for, apart from HTTP: the structured document of a given or routed type, checked
against its published schema, boxes mapped back to the upload. The routes call it; so does a benchmark that runs
the phases in process."""

from typing import Any

from iris_common.contract.error_codes import ErrorCode
from iris_common.contract.extraction import DocumentType, OcrResult, StructuredDocument
from iris_common.contract.routing import RoutingDecision
from iris_common.errors import IrisError

from ocr_extractor.core.document import extract_document
from ocr_extractor.core.geometry import document_in_original
from ocr_extractor.core.routing import given_type, route
from ocr_extractor.core.schemas import schema_errors, schema_id
from ocr_extractor.core.titles import titled_type
from ocr_extractor.models.runtime import OcrRuntime


class SchemaViolation(IrisError):
    """An output that breaks its own published schema is a bug in the extractor, never returned silently."""

    code = ErrorCode.GENERAL


def structured_document(
    runtime: OcrRuntime, ocr: OcrResult, threshold: float, transforms: list[Any] | None, *, day_first: bool,
    document_type: DocumentType | None = None, candidates: dict[DocumentType, float] | None = None,
) -> tuple[StructuredDocument, RoutingDecision]:
    """The structured document of the given type, or of the candidate type whose schema fills best (core.routing),
    checked against the type's published schema, with boxes mapped back through `transforms` when given."""

    def extract(doc_type: DocumentType) -> StructuredDocument:
        return extract_document(ocr, doc_type, confidence_threshold=threshold, default_day_first=day_first,
                                calibration=runtime.calibration)

    if document_type is not None:
        structured = extract(document_type)
        decision = given_type(structured)
    else:
        structured, decision = route(candidates or {}, extract, titled=titled_type(ocr), type_calibration=runtime.type_calibration)
    violations = schema_errors(structured)
    if violations:
        raise SchemaViolation(
            f"the {structured.document_type.value} output violates its schema {schema_id(structured.document_type)}",
            details={"violations": violations[:20], "schema": schema_id(structured.document_type)},
        )
    if transforms is not None:
        structured = document_in_original(structured, transforms)
    return structured, decision
