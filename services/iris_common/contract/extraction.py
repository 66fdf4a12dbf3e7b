"""Payload of the ocr-extractor service (`POST /extract_json`): the OCR result and the structured document.

Boxes are axis-aligned `[x0, y0, x1, y1]` in pixels of the page the text is on; lines also carry the
4-point polygon the detector returned (clockwise from top-left), so rotated text keeps its true outline.
"""

from enum import Enum
from typing import Any

from pydantic import BaseModel, Field


class DocumentType(str, Enum):
    RECEIPT = "receipt"
    INVOICE = "invoice"
    FORM = "form"
    LETTER = "letter"
    OTHER = "other"


BBox = list[float]  # [x0, y0, x1, y1]
Polygon = list[list[float]]  # 4 x [x, y]


class OcrWord(BaseModel):
    text: str
    confidence: float = Field(ge=0, le=1)
    bbox: BBox
    line_index: int
    page: int = 0
    estimated_bbox: bool = Field(
        default=False, description="true when the engine gives line boxes only and the word box is interpolated"
    )


class OcrLine(BaseModel):
    index: int
    text: str
    confidence: float = Field(ge=0, le=1)
    bbox: BBox
    polygon: Polygon
    page: int = 0
    row: int = Field(default=0, description="visual row of the page this line belongs to (lines side by side share it)")


class OcrPage(BaseModel):
    index: int
    width: int
    height: int


class OcrResult(BaseModel):
    engine: str
    language: str = Field(description="'en' or 'es', from stop-word counts of the recognised text")
    language_scores: dict[str, int] = Field(default_factory=dict)
    mean_confidence: float = Field(ge=0, le=1)
    text: str = Field(description="all lines in reading order, one per line")
    pages: list[OcrPage]
    lines: list[OcrLine]
    words: list[OcrWord]
    reading_order: list[int] = Field(description="indices into `lines`, top-to-bottom then left-to-right")


class ExtractedField(BaseModel):
    """One field. Under the request's confidence threshold `value` is null, `needs_review` is true and the
    value found is kept in `candidate`, so a reviewer can confirm it."""

    value: str | None
    confidence: float = Field(ge=0, le=1)
    bbox: BBox | None = None
    raw_text: str | None = None
    needs_review: bool = False
    candidate: str | None = None
    page: int = 0


class KeyValuePair(BaseModel):
    key: str
    value: str
    confidence: float = Field(ge=0, le=1)
    key_bbox: BBox
    value_bbox: BBox | None = None
    page: int = 0


class TextBlock(BaseModel):
    text: str
    confidence: float = Field(ge=0, le=1)
    bbox: BBox
    line_indices: list[int]
    page: int = 0


class StructuredDocument(BaseModel):
    document_type: DocumentType
    language: str
    fields: dict[str, ExtractedField] = Field(default_factory=dict)
    key_values: list[KeyValuePair] = Field(default_factory=list)
    text_blocks: list[TextBlock] = Field(default_factory=list)
    confidence_threshold: float = Field(ge=0, le=1)
    fields_needing_review: list[str] = Field(default_factory=list)


class ExtractionResult(BaseModel):
    """`data` of a successful `POST /extract_json` envelope."""

    ocr: OcrResult
    structured_document: StructuredDocument
    source_format: str
    timings: dict[str, float] = Field(default_factory=dict, description="seconds spent in OCR and in field extraction")


class EngineInfo(BaseModel):
    """`GET /engines`: the engine this process loaded and what it is made of."""

    engine: str
    loaded: bool
    error: str | None = None
    models: list[dict[str, Any]] = Field(default_factory=list)
    versions: dict[str, str] = Field(default_factory=dict)
    weights_source: str | None = None
    languages: list[str] = Field(default_factory=list)
    available_engines: list[str] = Field(default_factory=list)
