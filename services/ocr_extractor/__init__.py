"""ocr-extractor: OCR (PaddleOCR or Tesseract) plus rule-based field extraction, served on port 8004."""
