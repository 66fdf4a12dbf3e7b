"""The IRIS error codes: one table says what each means, its HTTP status and whether a retry can help."""

from enum import Enum


class ErrorCode(str, Enum):
    """Error codes of the original IRIS design (and AUTH001/AUTH002 of its authentication). `retryable` tells a caller whether trying again can succeed."""

    IMAGE_PROCESSING = "IP001"
    EMBEDDING = "ML001"
    CLASSIFICATION = "ML002"
    OCR = "OCR001"
    SERVICE_UNAVAILABLE = "SVC001"
    VALIDATION = "VAL001"
    GENERAL = "GEN001"
    UNAUTHENTICATED = "AUTH001"
    FORBIDDEN = "AUTH002"

    @property
    def retryable(self) -> bool:
        return _TABLE[self][1]

    @property
    def http_status(self) -> int:
        return _TABLE[self][0]

    @property
    def description(self) -> str:
        return _TABLE[self][2]


# code -> (default HTTP status, retryable, description)
_TABLE: dict[ErrorCode, tuple[int, bool, str]] = {
    ErrorCode.IMAGE_PROCESSING: (500, True, "image processing failed"),
    ErrorCode.EMBEDDING: (500, True, "embedding generation failed"),
    ErrorCode.CLASSIFICATION: (500, False, "document classification failed"),
    ErrorCode.OCR: (500, True, "OCR or field extraction failed"),
    ErrorCode.SERVICE_UNAVAILABLE: (503, True, "service or its model is unavailable"),
    ErrorCode.VALIDATION: (400, False, "the request or its file is invalid"),
    ErrorCode.GENERAL: (500, False, "unexpected internal error"),
    ErrorCode.UNAUTHENTICATED: (401, False, "missing or invalid bearer token"),
    ErrorCode.FORBIDDEN: (403, False, "the token may not do this (model changes need the admin token)"),
}
