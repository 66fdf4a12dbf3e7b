"""Model code that two services truly need, kept in one place so that no service imports another's package.

- `iris_models.encoders`: the page image encoders (offline EfficientNet-Lite0 on onnxruntime, or open_clip),
  their settings and the offline preparation of the default encoder's weights. ml-embeddings serves them;
  ml-classifier embeds with them only when it is given an image (the flow sends it the page's vector).
- `iris_models.ocr_weights`: where the PP-OCRv6 detection and recognition weights live under the models folder
  and their preparation from the rapidocr wheel. The ocr-extractor reads with both; the image-processor runs
  the recogniser alone to tell which way up a page is.

Like `iris_common`, it imports no service package; services import it.
"""
