"""Dependencies read from `app.state` (set once by `build_app`)."""

from typing import Annotated

from fastapi import Depends

from iris_common.web.deps import app_state
from ocr_extractor.models.runtime import OcrRuntime
from ocr_extractor.settings import OcrExtractorSettings

SettingsDep = Annotated[OcrExtractorSettings, Depends(app_state("settings"))]
RuntimeDep = Annotated[OcrRuntime, Depends(app_state("runtime"))]
