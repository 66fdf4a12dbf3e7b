"""Pure OCR post-processing: layout (rows, reading order), language, value parsing and field extraction."""
