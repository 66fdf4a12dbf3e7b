"""Settings of ml-embeddings: which encoder to load (open_clip when configured) and request limits."""

from pydantic import Field

from iris_common.contract.embeddings import DEFAULT_EMBED_MAX_BATCH
from iris_common.settings import ServiceSettings


class EmbeddingsSettings(ServiceSettings):
    """OPENCLIP_MODEL + OPENCLIP_PRETRAINED switch the encoder to open_clip; otherwise the offline ONNX default runs.

    OPENCLIP_PRETRAINED is a pretrained tag (needs network access), a local weight file path,
    or `local-dir:/folder` (open_clip reads the model config and preprocessing from that folder).
    """

    openclip_model: str | None = Field(default=None, alias="OPENCLIP_MODEL")
    openclip_pretrained: str | None = Field(default=None, alias="OPENCLIP_PRETRAINED")
    document_features: bool = Field(default=True, alias="DOCUMENT_FEATURES")
    embed_max_batch: int = Field(default=DEFAULT_EMBED_MAX_BATCH, ge=1, alias="EMBED_MAX_BATCH")
    cluster_max_k: int = Field(default=10, ge=2, alias="CLUSTER_MAX_K")
    cluster_max_points: int = Field(default=10_000, ge=1, alias="CLUSTER_MAX_POINTS")

    @property
    def use_open_clip(self) -> bool:
        return bool(self.openclip_model)
