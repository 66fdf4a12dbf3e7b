"""Reading an uploaded file within the configured limits, and decoding it into pages."""

import numpy as np
from fastapi import UploadFile

from iris_common.errors import InvalidInput
from iris_common.io.images import DecodedDocument, DecodeLimits, decode_document, decode_pages
from iris_common.settings import ServiceSettings


def read_upload(file: UploadFile, settings: ServiceSettings) -> bytes:
    """The upload's bytes; VAL001 when it is empty or larger than MAX_FILE_SIZE_MB."""
    limit = settings.max_file_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(
            f"{file.filename or 'the file'} is larger than the {settings.max_file_size_mb:g} MB limit",
            details={"max_bytes": limit},
            http_status=413,
        )
    if not data:
        raise InvalidInput(f"{file.filename or 'the file'} is empty (0 bytes)")
    return data


def limits_of(settings: ServiceSettings) -> DecodeLimits:
    return DecodeLimits(
        max_pixels=settings.max_image_pixels,
        min_side=settings.min_image_side,
        max_pdf_pages=settings.max_pdf_pages,
    )


def read_pages(file: UploadFile, settings: ServiceSettings) -> tuple[str, list[np.ndarray]]:
    """Read and decode an upload: (format, pages as BGR arrays)."""
    return decode_document(read_upload(file, settings), limits_of(settings))


def read_document(file: UploadFile, settings: ServiceSettings, page: int | None = None) -> DecodedDocument:
    """Read and decode an upload, every page or only `page` (0-based), knowing how many pages it has."""
    return decode_pages(read_upload(file, settings), limits_of(settings), page)
