"""IRIS on Prefect 3: `process_document` (one task per phase) and `process_folder` (the nightly batch)."""
