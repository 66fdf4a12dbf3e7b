"""Request dependencies: settings/runtime from app.state, and body parsing that accepts multipart or JSON.

/classify and /train take either an upload (multipart) or embeddings (JSON). The body is read here, in an
async dependency, by content type; the routes themselves stay sync and run in the thread pool.
"""

from dataclasses import dataclass, field
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile  # what request.form() yields (FastAPI's UploadFile subclasses it)

from iris_common.contract.classification import ClassifyEmbeddingRequest, TrainEmbeddingsRequest
from iris_common.errors import InvalidInput
from iris_common.web.deps import app_state
from ml_classifier.models.runtime import ClassifierRuntime
from ml_classifier.settings import ClassifierSettings

ModelT = TypeVar("ModelT", bound=BaseModel)


SettingsDep = Annotated[ClassifierSettings, Depends(app_state("settings"))]
RuntimeDep = Annotated[ClassifierRuntime, Depends(app_state("runtime"))]


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def _json_body(request: Request, model: type[ModelT]) -> ModelT:
    raw = await request.body()
    if not raw.strip():
        raise InvalidInput("the request body is empty")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        problems = [{"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()]
        summary = "; ".join(f"{p['field'] or 'body'}: {p['problem']}" for p in problems)
        raise InvalidInput(f"invalid request: {summary}", details={"errors": problems}) from exc


def _unsupported(media_type: str, expected: str) -> InvalidInput:
    if not media_type:
        return InvalidInput(f"the request has no body; send {expected}")
    return InvalidInput(f"unsupported content type {media_type!r}; send {expected}", http_status=415)


@dataclass
class ClassifyInput:
    upload: UploadFile | None = None
    embedding: list[float] | None = None
    text: str | None = None


async def classify_input(request: Request) -> ClassifyInput:
    media_type = _media_type(request)
    expected = "multipart field `file` (an image; optional `text`) or JSON {\"embedding\": [...], \"text\": ...}"
    if media_type == "application/json":
        body = await _json_body(request, ClassifyEmbeddingRequest)
        return ClassifyInput(embedding=body.embedding, text=body.text)
    if media_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("missing multipart field `file` (an image)")
        text = form.get("text")
        return ClassifyInput(upload=upload, text=text if isinstance(text, str) else None)
    raise _unsupported(media_type, expected)


@dataclass
class TrainInput:
    uploads: list[UploadFile] = field(default_factory=list)
    embeddings: list[list[float]] | None = None
    labels: list[str] = field(default_factory=list)
    texts: list[str | None] | None = None
    note: str = ""
    include_base: bool = False
    activate: bool = False
    actor: str = "api"


def _form_flag(value: object, default: bool) -> bool:
    if not isinstance(value, str) or not value.strip():
        return default
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise InvalidInput(f"expected true or false, got {value!r}")


async def train_input(request: Request) -> TrainInput:
    media_type = _media_type(request)
    expected = "multipart `files` + `labels` (one per file) or JSON {\"embeddings\": [...], \"labels\": [...]}"
    if media_type == "application/json":
        body = await _json_body(request, TrainEmbeddingsRequest)
        return TrainInput(embeddings=body.embeddings, labels=body.labels, texts=body.texts, note=body.note,
                          include_base=body.include_base, activate=body.activate, actor=body.actor)
    if media_type == "multipart/form-data":
        form = await request.form()
        uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        labels = [v for v in form.getlist("labels") if isinstance(v, str)]
        if len(labels) == 1 and len(uploads) > 1 and "," in labels[0]:
            labels = [s.strip() for s in labels[0].split(",")]  # curl-friendly: -F labels=a,b,c
        if not uploads:
            raise InvalidInput("missing multipart field `files` (the training images)")
        if not labels:
            raise InvalidInput("missing multipart field `labels` (one label per file)")
        texts: list[str | None] = [v for v in form.getlist("texts") if isinstance(v, str)]
        note, actor = form.get("note"), form.get("actor")
        return TrainInput(uploads=uploads, labels=labels, texts=texts or None, note=note if isinstance(note, str) else "",
                          include_base=_form_flag(form.get("include_base"), False), activate=_form_flag(form.get("activate"), False),
                          actor=actor[:80] if isinstance(actor, str) and actor else "api")
    raise _unsupported(media_type, expected)


ClassifyInputDep = Annotated[ClassifyInput, Depends(classify_input)]
TrainInputDep = Annotated[TrainInput, Depends(train_input)]
