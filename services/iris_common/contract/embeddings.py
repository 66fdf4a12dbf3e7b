"""Payloads of the ml-embeddings service (`data` of its envelopes): /embed and /cluster."""

from pydantic import BaseModel, Field


class EncoderInfo(BaseModel):
    """Which encoder produced the vectors: callers must not mix vectors of different encoders."""

    backend: str = Field(description="'onnx-efficientnet' (offline default) or 'open_clip'")
    model_id: str
    dimension: int
    version: str = ""
    weights_source: str = ""


class EmbeddedItem(BaseModel):
    filename: str | None = None
    page: int = Field(default=0, description="0-based page of a multi-page upload (TIFF, PDF)")
    embedding: list[float] = Field(description="L2-normalised vector (norm 1)")


class EmbedResponse(BaseModel):
    backend: str
    model_id: str
    dimension: int
    count: int
    items: list[EmbeddedItem]


class ClusterRequest(BaseModel):
    embeddings: list[list[float]] = Field(description="vectors of one encoder, all the same dimension")
    k: int | None = Field(default=None, ge=1, description="number of clusters; null chooses k by silhouette")


class ClusterResponse(BaseModel):
    k: int
    labels: list[int]
    centroids: list[list[float]] = Field(description="L2-normalised cluster centres")
    quality: float | None = Field(description="mean silhouette (cosine) in [-1, 1]; null when undefined (k < 2 or k = n)")
    quality_metric: str = "silhouette_cosine"
    k_chosen_automatically: bool
    candidates: dict[str, float] = Field(default_factory=dict, description="silhouette of each k tried (automatic k)")
