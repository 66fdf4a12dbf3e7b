"""Settings of the services that embed with the shared encoder (iris_models.encoders): ml-embeddings and ml-classifier
(both inherit EncoderSettings, so the classifier embeds exactly like its training data was)."""

from pathlib import Path
from typing import TypeVar

from iris_models.encoders import EncoderSettings

S = TypeVar("S", bound=EncoderSettings)


def offline_encoder_settings(settings_cls: type[S], models_dir: Path, **overrides: object) -> S:
    """The offline ONNX encoder from `models_dir` (never open_clip, whatever the environment says)."""
    values = {"IRIS_MODELS_DIR": str(models_dir), "OPENCLIP_MODEL": None, "OPENCLIP_PRETRAINED": None, "LOG_LEVEL": "WARNING"}
    values.update(overrides)
    return settings_cls(**values)
