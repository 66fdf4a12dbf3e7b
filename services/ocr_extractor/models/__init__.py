"""Model preparation (offline, at setup) and the runtime that loads the OCR engine once per process."""
