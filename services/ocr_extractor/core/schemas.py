"""The published JSON Schemas (one per document type, generated from the contract's pydantic models) and the
check every structured document passes before it is returned."""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from iris_common.contract.extraction import SCHEMA_VERSIONS, DocumentType, StructuredDocument, schema_model, schema_versions

SCHEMA_BASE = "https://iris.local/schemas"


class UnknownSchemaVersion(KeyError):
    """A version of a type's schema that is not served."""


def schema_id(document_type: DocumentType, version: str | None = None) -> str:
    return f"{SCHEMA_BASE}/{document_type.value}/{version or SCHEMA_VERSIONS[document_type]}.json"


@cache
def json_schema(document_type: DocumentType, version: str | None = None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a structured document of this type, with `$id` and version (default the
    current one; earlier versions stay served for clients that pinned them)."""
    version = version or SCHEMA_VERSIONS[document_type]
    if version not in schema_versions(document_type):
        raise UnknownSchemaVersion(f"{document_type.value} schema {version!r} is not served; versions: {schema_versions(document_type)}")
    schema = schema_model(document_type, version).model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id(document_type, version),
        "version": version,
        **schema,
    }


def field_names(document_type: DocumentType, version: str | None = None) -> list[str]:
    """The fields a document of this type always carries (empty for forms, whose keys are open-ended)."""
    fields = schema_model(document_type, version).model_fields["fields"].annotation
    return list(getattr(fields, "model_fields", {}))


@cache
def _validator(document_type: DocumentType) -> Draft202012Validator:
    return Draft202012Validator(json_schema(document_type))


def schema_errors(document: StructuredDocument) -> list[dict[str, str]]:
    """Every violation of the document's schema: [{path, message}] (empty when valid)."""
    payload = document.model_dump(mode="json")
    errors = sorted(_validator(document.document_type).iter_errors(payload), key=lambda e: list(e.path))
    return [{"path": "/".join(str(p) for p in e.path), "message": e.message} for e in errors]
