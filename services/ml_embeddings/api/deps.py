"""Request dependencies: the settings and runtime that the app factory put on app.state."""

from typing import Annotated

from fastapi import Depends

from iris_common.web.deps import app_state
from ml_embeddings.models.runtime import EncoderRuntime
from ml_embeddings.settings import EmbeddingsSettings

SettingsDep = Annotated[EmbeddingsSettings, Depends(app_state("settings"))]
RuntimeDep = Annotated[EncoderRuntime, Depends(app_state("runtime"))]
