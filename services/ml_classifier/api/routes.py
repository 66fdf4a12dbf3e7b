"""HTTP routes of ml-classifier: parse, call the runtime, wrap in the envelope."""

from typing import Any

from fastapi import APIRouter, Request

from iris_common.contract.classification import ActivateRequest, ClassifyResponse, ModelDescription, ModelList
from iris_common.contract.envelope import Envelope
from iris_common.errors import InvalidInput
from iris_common.web.auth import AdminDep
from iris_common.web.responses import envelope
from iris_common.web.uploads import read_pages
from ml_classifier.core.training import check_labels, check_texts
from ml_classifier.api.deps import ClassifyInputDep, RuntimeDep, SettingsDep, TrainInputDep

router = APIRouter(tags=["classification"])

_CLASSIFY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "text": {"type": "string", "description": "the page's OCR text (optional)"}}}
            },
            "application/json": {"schema": {"$ref": "#/components/schemas/ClassifyEmbeddingRequest"}},
        },
    }
}
_TRAIN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files", "labels"],
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        "labels": {"type": "array", "items": {"type": "string"}},
                        "texts": {"type": "array", "items": {"type": "string"}, "description": "OCR text per file (optional)"},
                        "note": {"type": "string"},
                        "include_base": {"type": "boolean"},
                        "activate": {"type": "boolean"},
                    },
                }
            },
            "application/json": {"schema": {"$ref": "#/components/schemas/TrainEmbeddingsRequest"}},
        },
    }
}


@router.post("/classify", response_model=Envelope[ClassifyResponse], openapi_extra=_CLASSIFY_BODY)
def classify(request: Request, body: ClassifyInputDep, settings: SettingsDep, runtime: RuntimeDep) -> Any:
    """Document type of an image (multipart `file`; every page of a PDF) or of an embedding from ml-embeddings (JSON).
    With the page's OCR `text` a model that reads text uses the words too (`used_text` says whether it did)."""
    if body.embedding is not None:
        result = runtime.classify_embedding(body.embedding, body.text)
        return envelope(request, ClassifyResponse(**result.model_dump(), pages=[result]), metadata={"input": "embedding"})
    assert body.upload is not None
    _, pages = read_pages(body.upload, settings)
    texts = [body.text] + [None] * (len(pages) - 1)  # the text sent belongs to the first page
    results = [r.model_copy(update={"filename": body.upload.filename, "page": i})
               for i, r in enumerate(runtime.classify_images(pages, texts))]
    data = ClassifyResponse(**results[0].model_dump(), pages=results)
    return envelope(request, data, metadata={"input": "image", "encoder": runtime.encoder.info.model_dump()})


# the routes that change what the service serves (a new version, the active one) need the admin token
@router.post("/train", response_model=Envelope[ModelDescription], openapi_extra=_TRAIN_BODY, dependencies=[AdminDep])
def train(request: Request, body: TrainInputDep, settings: SettingsDep, runtime: RuntimeDep) -> Any:
    """Fit a new model on labelled images or embeddings and store it as the next version. It is served only with
    `activate=true` and when it passes the hold-out check against the active model (`holdout` in the answer);
    otherwise `POST /model/activate` serves it."""
    if body.embeddings is not None:
        description = runtime.train(body.embeddings, body.labels, provenance=body.note or f"POST /train: {len(body.labels)} embeddings",
                                    texts=body.texts, include_base=body.include_base, activate=body.activate, actor=body.actor)
        return envelope(request, description)
    if len(body.uploads) != len(body.labels):
        raise InvalidInput(
            f"{len(body.uploads)} files but {len(body.labels)} labels: send one label per file",
            details={"files": len(body.uploads), "labels": len(body.labels)},
        )
    if len(body.uploads) > settings.train_max_examples:
        raise InvalidInput(f"{len(body.uploads)} files; at most {settings.train_max_examples} per training")
    # VAL001 before any decoding or embedding
    check_labels(body.labels, len(body.uploads), max_classes=settings.train_max_classes,
                 max_per_class=settings.train_max_examples_per_class)
    texts = check_texts(body.texts, len(body.uploads), max_chars=settings.text_max_chars)
    images, labels = [], []
    for upload, label in zip(body.uploads, body.labels):
        _, pages = read_pages(upload, settings)
        # one example per file: the first page carries the layout; kept reduced, not as the decoded full-size scan
        images.append(runtime.encoder.reduce(pages[0]))
        del pages
        labels.append(label)
    vectors = runtime.embed(images)
    description = runtime.train(vectors, labels, provenance=body.note or f"POST /train: {len(labels)} uploaded images",
                                texts=texts, include_base=body.include_base, activate=body.activate, actor=body.actor)
    return envelope(request, description)


@router.get("/model", response_model=Envelope[ModelDescription])
def describe_model(request: Request, runtime: RuntimeDep) -> Any:
    """The active model: version, classes, examples per class, creation date, encoder it expects, and who activated
    it, when and why."""
    return envelope(request, runtime.describe_active())


@router.get("/models", response_model=Envelope[ModelList])
def list_models(request: Request, runtime: RuntimeDep) -> Any:
    """Every stored version and the active one."""
    return envelope(request, ModelList(active=runtime.store.active_version(), versions=runtime.store.versions()))


@router.post("/model/activate", response_model=Envelope[ModelDescription], dependencies=[AdminDep])
def activate_model(request: Request, body: ActivateRequest, runtime: RuntimeDep) -> Any:
    """Serve a stored version from the next request on (e.g. restore the default after `iris train`)."""
    return envelope(request, runtime.activate(body.version, actor=body.actor, reason=body.reason))
