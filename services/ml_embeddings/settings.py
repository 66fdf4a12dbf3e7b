"""Settings of ml-embeddings: the encoder's (shared with ml-classifier, see iris_models.encoders) and request limits."""

from pydantic import Field

from iris_common.contract.embeddings import DEFAULT_EMBED_MAX_BATCH
from iris_models.encoders import EncoderSettings


class EmbeddingsSettings(EncoderSettings):
    """Which encoder to load (OPENCLIP_*, DOCUMENT_FEATURES: inherited) and how much one request may ask."""

    embed_max_batch: int = Field(default=DEFAULT_EMBED_MAX_BATCH, ge=1, alias="EMBED_MAX_BATCH")
    cluster_max_k: int = Field(default=10, ge=2, alias="CLUSTER_MAX_K")
    cluster_max_points: int = Field(default=10_000, ge=1, alias="CLUSTER_MAX_POINTS")
