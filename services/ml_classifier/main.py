"""ml-classifier entry point: `uvicorn --factory ml_classifier.main:build_app --port 8003`."""

from fastapi import FastAPI

from iris_common.contract.classification import ClassifyEmbeddingRequest, TrainEmbeddingsRequest
from iris_common.web.app_factory import create_app
from ml_classifier.api.routes import router
from ml_classifier.models.runtime import ClassifierRuntime
from ml_classifier.settings import ClassifierSettings

SERVICE_NAME = "ml-classifier"
DESCRIPTION = (
    "Document type (receipt, invoice, form, letter, other, or classes you train) from page embeddings: "
    "a versioned scikit-learn model stored under IRIS_MODELS_DIR/classifier/; an image sent instead is embedded with the "
    "ml-embeddings encoder, loaded on the first such request."
)


def _add_body_schemas(app: FastAPI) -> None:
    """The JSON bodies are parsed by a dependency (multipart or JSON), so publish their schemas for /docs."""
    original = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (ClassifyEmbeddingRequest, TrainEmbeddingsRequest):
            components.setdefault(model.__name__, model.model_json_schema(ref_template="#/components/schemas/{model}"))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def build_app(settings: ClassifierSettings | None = None) -> FastAPI:
    settings = settings or ClassifierSettings()
    app = create_app(
        service_name=SERVICE_NAME,
        settings=settings,
        runtime=ClassifierRuntime(settings),
        routers=[router],
        description=DESCRIPTION,
    )
    _add_body_schemas(app)
    return app
