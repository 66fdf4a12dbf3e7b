"""ml-classifier: document type from page embeddings (a scikit-learn estimator; the shared encoder of iris_models.encoders embeds an image sent to it)."""
