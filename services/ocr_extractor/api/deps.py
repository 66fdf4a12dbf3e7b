"""Dependencies read from `app.state` (set once by `build_app`)."""

from typing import Annotated

from fastapi import Depends, Request

from ocr_extractor.models.runtime import OcrRuntime
from ocr_extractor.settings import OcrExtractorSettings


def get_settings(request: Request) -> OcrExtractorSettings:
    return request.app.state.settings


def get_runtime(request: Request) -> OcrRuntime:
    return request.app.state.runtime


SettingsDep = Annotated[OcrExtractorSettings, Depends(get_settings)]
RuntimeDep = Annotated[OcrRuntime, Depends(get_runtime)]
