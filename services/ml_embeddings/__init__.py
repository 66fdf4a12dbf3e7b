"""ml-embeddings: image embeddings of document pages (offline EfficientNet-Lite0 via ONNX, or open_clip) and clustering."""
