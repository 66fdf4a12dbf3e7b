"""Entry point: `uvicorn --factory ocr_extractor.main:build_app --port 8004`."""

from fastapi import FastAPI

from iris_common.web.app_factory import create_app

from ocr_extractor.api.routes import router
from ocr_extractor.models.runtime import OcrRuntime
from ocr_extractor.settings import SERVICE_NAME, OcrExtractorSettings


def build_app(settings: OcrExtractorSettings | None = None) -> FastAPI:
    """Build the app; the OCR engine loads in the lifespan (once per process), not here."""
    settings = settings or OcrExtractorSettings()
    return create_app(
        service_name=SERVICE_NAME,
        settings=settings,
        runtime=OcrRuntime(settings),
        routers=[router],
        description="OCR (PaddleOCR PP-OCRv6 on onnxruntime, or Tesseract) and rule-based field extraction "
        "for receipts, invoices, forms, letters and other documents.",
    )
