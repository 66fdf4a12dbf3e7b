"""HTTP surface of the image-processor: `POST /process`."""

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile

from iris_common.contract.envelope import Envelope
from iris_common.contract.preprocess import ProcessResult
from iris_common.web.responses import envelope
from iris_common.web.uploads import read_document

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
    page: Annotated[int | None, Form(ge=0, description="0-based page to process alone (the others are not decoded); "
                                           "default every page. `page_count` tells how many the document has")] = None,
) -> Envelope[Any]:
    """Unwarp, deskew, turn upright and clean up every page (or the one `page`); returns the processed PNGs and
    what was done to each. The flow asks page by page, so a long PDF never travels as one response."""
    with runtime.slots:  # decoding a large scan is as dear as processing it
        document = read_document(file, settings, page)
        result, warnings = process_document(document, options, settings, runtime.read_lines)
    return envelope(request, result, warnings=warnings)
