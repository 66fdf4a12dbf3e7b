"""ml-classifier: document type from page embeddings (the ml_embeddings encoder + a scikit-learn estimator)."""
