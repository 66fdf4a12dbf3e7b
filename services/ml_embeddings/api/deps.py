"""Request dependencies: the settings and runtime that the app factory put on app.state."""

from typing import Annotated

from fastapi import Depends, Request

from ml_embeddings.models.runtime import EncoderRuntime
from ml_embeddings.settings import EmbeddingsSettings


def get_settings(request: Request) -> EmbeddingsSettings:
    return request.app.state.settings


def get_runtime(request: Request) -> EncoderRuntime:
    return request.app.state.runtime


SettingsDep = Annotated[EmbeddingsSettings, Depends(get_settings)]
RuntimeDep = Annotated[EncoderRuntime, Depends(get_runtime)]
