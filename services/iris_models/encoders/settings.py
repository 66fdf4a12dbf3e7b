"""The encoder knobs, shared by every service that embeds pages: ml-embeddings serves the encoder, ml-classifier
must embed an image exactly as its training pages were embedded, so both read the same settings."""

from pydantic import Field

from iris_common.settings import ServiceSettings

__all__ = ["EncoderSettings"]


class EncoderSettings(ServiceSettings):
    """OPENCLIP_MODEL + OPENCLIP_PRETRAINED switch the encoder to open_clip; otherwise the offline ONNX default runs.

    OPENCLIP_PRETRAINED is a pretrained tag (needs network access), a local weight file path,
    or `local-dir:/folder` (open_clip reads the model config and preprocessing from that folder).
    """

    openclip_model: str | None = Field(default=None, alias="OPENCLIP_MODEL")
    openclip_pretrained: str | None = Field(default=None, alias="OPENCLIP_PRETRAINED")
    document_features: bool = Field(default=True, alias="DOCUMENT_FEATURES")

    @property
    def use_open_clip(self) -> bool:
        return bool(self.openclip_model)
