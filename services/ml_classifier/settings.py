"""Settings of ml-classifier. It embeds with the ml_embeddings encoder, so it reads the same encoder settings."""

from pydantic import Field

from ml_embeddings.settings import EmbeddingsSettings


class ClassifierSettings(EmbeddingsSettings):
    """Encoder knobs (OPENCLIP_*) are inherited: the classifier must embed exactly like its training data was."""

    train_max_examples: int = Field(default=2000, ge=2, alias="TRAIN_MAX_EXAMPLES")
    classifier_c: float = Field(default=100.0, gt=0, alias="CLASSIFIER_C")  # best held-out score on generated pages
