"""HTTP adapter of the ocr-extractor: parse the request, call the runtime and core, wrap in the envelope."""
