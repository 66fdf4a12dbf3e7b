"""HTTP surface of the image-processor: `POST /process`."""

from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile

from iris_common.contract.envelope import Envelope
from iris_common.contract.preprocess import ProcessResult
from iris_common.web.responses import envelope
from iris_common.web.uploads import read_pages

from image_processor.api.deps import OptionsDep, RuntimeDep, SettingsDep
from image_processor.service import process_document

router = APIRouter(tags=["image-processor"])


@router.post("/process", response_model=Envelope[ProcessResult])
def process(
    request: Request,
    settings: SettingsDep,
    runtime: RuntimeDep,
    options: OptionsDep,
    file: Annotated[UploadFile, File(description="JPEG, PNG, TIFF (all frames) or PDF (all pages)")],
) -> Envelope[Any]:
    """Unwarp, deskew, turn upright and clean up every page; returns the processed PNGs and what was done to each."""
    source_format, pages = read_pages(file, settings)
    result, warnings = process_document(source_format, pages, options, settings, runtime.read_lines)
    return envelope(request, result, warnings=warnings)
