"""Dependencies read from app.state (set once by build_app), so routes stay thin and testable."""

from typing import Annotated

from fastapi import Depends, Request

from iris_common.errors import ServiceUnavailable

from image_processor.models.runtime import ImageProcessorRuntime
from image_processor.settings import ImageProcessorSettings


def get_settings(request: Request) -> ImageProcessorSettings:
    return request.app.state.settings


def get_runtime(request: Request) -> ImageProcessorRuntime:
    runtime: ImageProcessorRuntime = request.app.state.runtime
    if not runtime.ready:
        raise ServiceUnavailable(f"OpenCV is not usable: {runtime.error or 'not loaded'}")
    return runtime


SettingsDep = Annotated[ImageProcessorSettings, Depends(get_settings)]
RuntimeDep = Annotated[ImageProcessorRuntime, Depends(get_runtime)]
