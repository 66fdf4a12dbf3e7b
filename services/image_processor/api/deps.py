"""Dependencies read from app.state (set once by build_app), so routes stay thin and testable."""

from typing import Annotated

from fastapi import Depends, Form, Request
from pydantic import ValidationError

from iris_common.contract.preprocess import ProcessOptions
from iris_common.errors import InvalidInput, ServiceUnavailable

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


def process_options(
    apply_unwarping: Annotated[
        str | None, Form(description="true/false (also 1/0, yes/no, on/off); default true")
    ] = None,
    enhance_quality: Annotated[
        str | None, Form(description="true/false (also 1/0, yes/no, on/off); default true")
    ] = None,
) -> ProcessOptions:
    """Form flags with a default of true.

    Declared as text on purpose: FastAPI reads a *missing* `bool` form field as an unchecked HTML checkbox
    (False), which would silently turn both options off for any client that leaves them out.
    """
    given = {k: v for k, v in {"apply_unwarping": apply_unwarping, "enhance_quality": enhance_quality}.items() if v is not None}
    try:
        return ProcessOptions.model_validate(given)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(f"invalid form field: {problems}", details={"fields": sorted(given)}) from exc


OptionsDep = Annotated[ProcessOptions, Depends(process_options)]
