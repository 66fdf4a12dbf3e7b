"""Payloads of the ml-embeddings service (`data` of its envelopes): /embed and /cluster."""

from pydantic import BaseModel, Field

DEFAULT_EMBED_MAX_BATCH = 64  # files per /embed request the service accepts unless EMBED_MAX_BATCH says otherwise


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
    names: list[str] | None = Field(default=None, description="one name per embedding (file names), used in the descriptions")
    types: list[str] | None = Field(default=None, description="the classifier's label per embedding: each cluster's majority label")
    confidences: list[float] | None = Field(default=None, description="the classifier's confidence per embedding")
    min_confidence: float = Field(default=0.5, ge=0, le=1, description="below this a document is a new-type candidate")
    outlier_factor: float = Field(default=3.0, gt=0, description="distance > median + factor x MAD of the batch: a candidate")


class ClusterDescription(BaseModel):
    cluster: int
    size: int
    examples: list[str] = Field(description="names (or indices) of the members nearest the centre")
    majority_type: str | None = None
    types: dict[str, int] = Field(default_factory=dict)
    mean_distance: float = Field(description="mean cosine distance of the members to the centre")


class NewTypeCandidate(BaseModel):
    index: int
    name: str
    cluster: int
    distance: float = Field(description="cosine distance to the nearest cluster centre")
    reasons: list[str]


class ClusterResponse(BaseModel):
    k: int
    labels: list[int]
    centroids: list[list[float]] = Field(description="L2-normalised cluster centres")
    quality: float | None = Field(description="mean silhouette (cosine) in [-1, 1]; null when undefined (k < 2 or k = n)")
    quality_metric: str = "silhouette_cosine"
    k_chosen_automatically: bool
    candidates: dict[str, float] = Field(default_factory=dict, description="silhouette of each k tried (automatic k)")
    clusters: list[ClusterDescription] = Field(default_factory=list, description="each cluster described")
    new_type_candidates: list[NewTypeCandidate] = Field(default_factory=list, description="documents far from every centre or unsure")
    distance_threshold: float | None = Field(default=None, description="the cosine distance above which a document is an outlier")
