"""Payloads of the ml-classifier service (`data` of its envelopes): /classify, /train, /model."""

from datetime import datetime

from pydantic import BaseModel, Field


class ClassifyEmbeddingRequest(BaseModel):
    embedding: list[float] = Field(description="a vector from ml-embeddings, of the classifier's encoder dimension")
    text: str | None = Field(default=None, description="the page's OCR text (ocr-extractor /ocr); with it a model that reads text uses the words too")


class ClassificationResult(BaseModel):
    predicted_class: str
    confidence: float = Field(description="probability of the predicted class")
    scores: dict[str, float] = Field(description="probability of every class; sums to 1")
    model_version: str
    used_text: bool = Field(default=False, description="whether the page's words took part (text sent and the model reads text)")
    filename: str | None = None
    page: int = 0


class ClassifyResponse(ClassificationResult):
    """One page's result; multi-page uploads list every page in `pages` (the top level is page 0)."""

    pages: list[ClassificationResult] = Field(default_factory=list)


class TrainEmbeddingsRequest(BaseModel):
    embeddings: list[list[float]]
    labels: list[str]
    texts: list[str | None] | None = Field(default=None, description="the OCR text of each example (one per embedding); "
                                           "with every text present the new version also reads text")
    note: str = Field(default="", description="free text stored as the model's provenance")
    include_base: bool = Field(default=False, description="also train on the generated base set the default model was trained on")
    activate: bool = Field(default=False, description="also serve the new version, if it passes the hold-out check against the "
                           "active model (default: store it only; `POST /model/activate` serves it)")
    actor: str = Field(default="api", max_length=80, description="who asks (recorded with an activation)")


class ActivateRequest(BaseModel):
    version: str = Field(max_length=32, description="a stored version, e.g. 'v1' (the default model `iris setup` trained)")
    reason: str = Field(default="", max_length=500, description="why (recorded with the activation, shown by GET /model)")
    actor: str = Field(default="api", max_length=80, description="who asks (e.g. user@host; recorded with the activation)")


class ActivationRecord(BaseModel):
    version: str
    activated_at: datetime
    actor: str
    reason: str


class HoldoutReport(BaseModel):
    """How a new version did on a stratified hold-out of its own training data, beside the active model."""

    examples: int
    accuracy: float | None
    active_accuracy: float | None
    margin: float
    passed: bool
    reason: str


class ModelList(BaseModel):
    active: str | None
    versions: list[str]


class ModelDescription(BaseModel):
    version: str
    classes: list[str]
    training_size: dict[str, int] = Field(description="examples per class")
    training_total: int
    created_at: datetime
    encoder: dict[str, str | int] = Field(description="backend, model_id, dimension of the encoder it was trained on")
    estimator: str
    sklearn_version: str
    provenance: str = ""
    text_features: str | None = Field(default=None, description="what the text part reads (null: the model uses the image only)")
    active: bool = True
    activation: ActivationRecord | None = Field(default=None, description="who activated this version, when and why (the latest)")
    holdout: HoldoutReport | None = Field(default=None, description="/train with activate=true: the check that allowed it or not")
