"""The published JSON Schemas (one per document type, generated from the contract's pydantic models) and the
check every structured document passes before it is returned."""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from iris_common.contract.extraction import SCHEMA_MODELS, SCHEMA_VERSIONS, DocumentType, StructuredDocument

SCHEMA_BASE = "https://iris.local/schemas"


def schema_id(document_type: DocumentType) -> str:
    return f"{SCHEMA_BASE}/{document_type.value}/{SCHEMA_VERSIONS[document_type]}.json"


@cache
def json_schema(document_type: DocumentType) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a structured document of this type, with `$id` and version."""
    schema = SCHEMA_MODELS[document_type].model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id(document_type),
        "version": SCHEMA_VERSIONS[document_type],
        **schema,
    }


def field_names(document_type: DocumentType) -> list[str]:
    """The fields a document of this type always carries (empty for forms, whose keys are open-ended)."""
    fields = SCHEMA_MODELS[document_type].model_fields["fields"].annotation
    return list(getattr(fields, "model_fields", {}))


@cache
def _validator(document_type: DocumentType) -> Draft202012Validator:
    return Draft202012Validator(json_schema(document_type))


def schema_errors(document: StructuredDocument) -> list[dict[str, str]]:
    """Every violation of the document's schema: [{path, message}] (empty when valid)."""
    payload = document.model_dump(mode="json")
    errors = sorted(_validator(document.document_type).iter_errors(payload), key=lambda e: list(e.path))
    return [{"path": "/".join(str(p) for p in e.path), "message": e.message} for e in errors]
