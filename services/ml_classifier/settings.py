"""Settings of ml-classifier. It embeds an image with the shared encoder (iris_models.encoders), so it reads the
same encoder settings as ml-embeddings."""

from pydantic import Field

from iris_models.encoders import EncoderSettings


class ClassifierSettings(EncoderSettings):
    """Encoder knobs (OPENCLIP_*) are inherited: the classifier must embed exactly like its training data was."""

    train_max_examples: int = Field(default=2000, ge=2, alias="TRAIN_MAX_EXAMPLES")
    train_max_classes: int = Field(default=20, ge=2, alias="TRAIN_MAX_CLASSES")
    train_max_examples_per_class: int = Field(default=500, ge=1, alias="TRAIN_MAX_EXAMPLES_PER_CLASS")
    # /train with activate=true serves the new version only if its hold-out accuracy is at most this much below the
    # active model's on the same held-out examples
    train_activation_margin: float = Field(default=0.05, ge=0, le=1, alias="TRAIN_ACTIVATION_MARGIN")
    classifier_c: float = Field(default=100.0, gt=0, alias="CLASSIFIER_C")  # best held-out score on generated pages
    # weight of the page's words against the image embedding (0: never read text); chosen on doc_types.csv, docs/classification.md
    classifier_text_weight: float = Field(default=1.0, ge=0, alias="CLASSIFIER_TEXT_WEIGHT")
    text_max_chars: int = Field(default=200_000, ge=1, alias="CLASSIFIER_TEXT_MAX_CHARS")
