"""Exceptions that carry an IRIS error code; the web layer renders any of them as an error envelope."""

from typing import Any

from iris_common.contract.envelope import ErrorInfo
from iris_common.contract.error_codes import ErrorCode


class IrisError(Exception):
    """Base of every error a service raises on purpose. `http_status` defaults to the code's status."""

    code: ErrorCode = ErrorCode.GENERAL

    def __init__(self, message: str, *, details: dict[str, Any] | None = None, http_status: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.http_status = http_status or self.code.http_status
        self.headers = headers or {}  # extra response headers (WWW-Authenticate of a 401)

    def to_info(self) -> ErrorInfo:
        return ErrorInfo(code=self.code, message=self.message, details=self.details, retryable=self.code.retryable)


class InvalidInput(IrisError):
    """VAL001: the caller sent something we cannot use; retrying the same request will fail again."""

    code = ErrorCode.VALIDATION


class ImageProcessingFailed(IrisError):
    code = ErrorCode.IMAGE_PROCESSING


class EmbeddingFailed(IrisError):
    code = ErrorCode.EMBEDDING


class ClassificationFailed(IrisError):
    code = ErrorCode.CLASSIFICATION


class OcrFailed(IrisError):
    code = ErrorCode.OCR


class ServiceUnavailable(IrisError):
    """SVC001: the service (or the model it needs) is not ready; a later retry may succeed."""

    code = ErrorCode.SERVICE_UNAVAILABLE


class Unauthenticated(IrisError):
    """AUTH001: no bearer token, or not one this service knows; the answer says `WWW-Authenticate: Bearer`."""

    code = ErrorCode.UNAUTHENTICATED

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(IrisError):
    """AUTH002: a valid token that may not do this (the service token on a route that changes the model)."""

    code = ErrorCode.FORBIDDEN
