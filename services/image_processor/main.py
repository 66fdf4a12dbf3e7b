"""Entry point: `uvicorn --factory image_processor.main:build_app --port 8001`."""

from fastapi import FastAPI

from iris_common.web.app_factory import create_app

from image_processor.api.routes import router
from image_processor.models.runtime import ImageProcessorRuntime
from image_processor.settings import ImageProcessorSettings

SERVICE_NAME = "image-processor"


def build_app(settings: ImageProcessorSettings | None = None) -> FastAPI:
    settings = settings or ImageProcessorSettings()
    return create_app(
        service_name=SERVICE_NAME,
        settings=settings,
        runtime=ImageProcessorRuntime(settings.cpu_threads, settings.models_dir, settings.auto_orient, settings.cpu_mem_arena),
        routers=[router],
        description="Unwarps, deskews, turns upright and cleans up scanned or photographed pages; reports what it did and why.",
    )
