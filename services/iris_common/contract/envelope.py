"""The standard response envelope of every IRIS JSON response."""

from datetime import datetime, timezone
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from iris_common.contract.error_codes import ErrorCode

DataT = TypeVar("DataT")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ErrorInfo(BaseModel):
    """What went wrong, in a form a caller can act on (`retryable`)."""

    code: ErrorCode
    message: str
    details: dict[str, Any] = Field(default_factory=dict)
    retryable: bool
    timestamp: datetime = Field(default_factory=utc_now)


class Envelope(BaseModel, Generic[DataT]):
    """success/data on success, success/error on failure; the same outer shape either way."""

    success: bool
    processing_time: float = Field(description="seconds spent serving this request")
    timestamp: datetime = Field(default_factory=utc_now)
    service_name: str
    service_version: str
    data: DataT | None = None
    error: ErrorInfo | None = None
    warnings: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
