"""Payload of the ocr-extractor service (`POST /ocr`, `POST /extract_json`): the OCR result and the structured document.

Boxes are axis-aligned `[x0, y0, x1, y1]` in pixels of the page the text is on; lines also carry the
4-point polygon the detector returned (clockwise from top-left), so rotated text keeps its true outline.
When the caller passes the image-processor's `transform`, every box and polygon is mapped back to the
original upload and `coordinate_space` says `original`.

The per-type models at the end (ReceiptDocument, ...) generate the versioned JSON Schemas the service
publishes at `GET /schemas/{type}` and validates every structured document against.
"""

from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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
    language: str = Field(description="'en', 'es' or 'de', from stop-word counts of the recognised text")
    language_scores: dict[str, int] = Field(default_factory=dict)
    mean_confidence: float = Field(ge=0, le=1)
    text: str = Field(description="all lines in reading order, one per line")
    pages: list[OcrPage]
    lines: list[OcrLine]
    words: list[OcrWord]
    reading_order: list[int] = Field(description="indices into `lines`, top-to-bottom then left-to-right")
    coordinate_space: Literal["original", "processed"] = Field(
        default="processed", description="'original' when boxes were mapped back through the image-processor's transform"
    )


class ExtractedField(BaseModel):
    """One field. Under the request's confidence threshold `value` is null, `needs_review` is true and the
    value found is kept in `candidate`, so a reviewer can confirm it. `value` is normalised (dates ISO 8601,
    amounts decimal strings with a point); `raw` is the text as printed."""

    value: str | None
    raw: str | None = Field(default=None, description="the text as printed, before normalisation")
    confidence: float = Field(ge=0, le=1, description="calibrated probability that `value` (or `candidate`) is right")
    bbox: BBox | None = None
    page: int = 0
    needs_review: bool = False
    candidate: str | None = None
    currency: str | None = Field(default=None, description="ISO 4217 code of an amount field, when known")
    flags: list[str] = Field(default_factory=list, description="why confidence was lowered (failed checks, checksum)")


class LineItem(BaseModel):
    """One article row of a receipt or invoice."""

    description: ExtractedField | None = None
    quantity: ExtractedField | None = None
    unit_price: ExtractedField | None = None
    amount: ExtractedField | None = None
    bbox: BBox | None = None
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


class ValidationCheck(BaseModel):
    """A cross-field check; a failed one lowers the confidence of the `fields` it names."""

    name: str = Field(description="line_items_sum | subtotal_plus_tax | date_plausible | tax_id_checksum")
    passed: bool
    details: str
    fields: list[str] = Field(default_factory=list)


CoordinateSpace = Literal["original", "processed"]


class StructuredDocument(BaseModel):
    document_type: DocumentType
    schema_version: str = Field(default="", description="version of the JSON Schema (GET /schemas/{type}) this output satisfies")
    language: str
    coordinate_space: CoordinateSpace = Field(
        default="processed",
        description="'original' when boxes were mapped back through the image-processor's transform, else the pixels of the uploaded page",
    )
    fields: dict[str, ExtractedField] = Field(default_factory=dict)
    line_items: list[LineItem] = Field(default_factory=list)
    key_values: list[KeyValuePair] = Field(default_factory=list)
    text_blocks: list[TextBlock] = Field(default_factory=list)
    validation: list[ValidationCheck] = Field(default_factory=list)
    confidence_threshold: float = Field(ge=0, le=1)
    fields_needing_review: list[str] = Field(default_factory=list)


# ---------------------------------------------------------------- per-type schemas (GET /schemas)
# The models below exist to generate the published JSON Schemas; they constrain what the generic
# models above allow (which fields a type has, value grammars). Every output is validated against them.
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
ISO_TIME = r"^\d{2}:\d{2}(:\d{2})?$"
DECIMAL = r"^-?\d+\.\d{2}$"
NUMBER = r"^-?\d+(\.\d+)?$"
CURRENCY = r"^[A-Z]{3}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextFieldSchema(ExtractedField, _Strict):
    pass


class DateFieldSchema(ExtractedField, _Strict):
    value: str | None = Field(pattern=ISO_DATE)
    candidate: str | None = Field(default=None, pattern=ISO_DATE)


class TimeFieldSchema(ExtractedField, _Strict):
    value: str | None = Field(pattern=ISO_TIME)
    candidate: str | None = Field(default=None, pattern=ISO_TIME)


class AmountFieldSchema(ExtractedField, _Strict):
    value: str | None = Field(pattern=DECIMAL)
    candidate: str | None = Field(default=None, pattern=DECIMAL)
    currency: str | None = Field(default=None, pattern=CURRENCY)


class NumberFieldSchema(ExtractedField, _Strict):
    value: str | None = Field(pattern=NUMBER)
    candidate: str | None = Field(default=None, pattern=NUMBER)


class CurrencyFieldSchema(ExtractedField, _Strict):
    value: str | None = Field(pattern=CURRENCY)
    candidate: str | None = Field(default=None, pattern=CURRENCY)


class LineItemSchema(LineItem, _Strict):
    description: TextFieldSchema | None = None
    quantity: NumberFieldSchema | None = None
    unit_price: AmountFieldSchema | None = None
    amount: AmountFieldSchema | None = None


class ReceiptFields(_Strict):
    merchant_name: TextFieldSchema
    merchant_address: TextFieldSchema
    merchant_tax_id: TextFieldSchema
    date: DateFieldSchema
    time: TimeFieldSchema
    currency: CurrencyFieldSchema
    subtotal: AmountFieldSchema
    tax: AmountFieldSchema
    total: AmountFieldSchema
    payment_method: TextFieldSchema


class InvoiceFieldsV1_0(_Strict):
    """Invoice fields of schema 1.0.0 (still served at `GET /schemas/invoice?version=1.0.0`)."""

    invoice_number: TextFieldSchema
    date: DateFieldSchema
    due_date: DateFieldSchema
    vendor_name: TextFieldSchema
    vendor_address: TextFieldSchema
    vendor_tax_id: TextFieldSchema
    customer_name: TextFieldSchema
    currency: CurrencyFieldSchema
    subtotal: AmountFieldSchema
    tax: AmountFieldSchema
    total: AmountFieldSchema


class InvoiceFields(InvoiceFieldsV1_0):
    """1.1.0: the service period (an ad buy's flight dates, a subscription's period) as `period_start` / `period_end`;
    `invoice_number` also holds a contract / order number when no invoice number is printed."""

    period_start: DateFieldSchema
    period_end: DateFieldSchema


class LetterFields(_Strict):
    sender: TextFieldSchema
    recipient: TextFieldSchema
    date: DateFieldSchema
    subject: TextFieldSchema


class _EmptyFields(_Strict):
    pass


class _DocumentSchema(StructuredDocument, _Strict):
    line_items: list[LineItemSchema] = Field(default_factory=list)


class ReceiptDocument(_DocumentSchema):
    document_type: Literal[DocumentType.RECEIPT]
    fields: ReceiptFields


class InvoiceDocument(_DocumentSchema):
    document_type: Literal[DocumentType.INVOICE]
    fields: InvoiceFields


class InvoiceDocumentV1_0(_DocumentSchema):
    document_type: Literal[DocumentType.INVOICE]
    fields: InvoiceFieldsV1_0


class FormDocument(_DocumentSchema):
    """Forms have open-ended keys: `fields` holds one text field per key (slug of the key text)."""

    document_type: Literal[DocumentType.FORM]
    fields: dict[str, TextFieldSchema] = Field(default_factory=dict)
    line_items: list[LineItemSchema] = Field(default_factory=list, max_length=0)


class LetterDocument(_DocumentSchema):
    document_type: Literal[DocumentType.LETTER]
    fields: LetterFields
    line_items: list[LineItemSchema] = Field(default_factory=list, max_length=0)


class OtherFields(_Strict):
    """1.1.0: what any document may carry, so that a document routed to `other` loses nothing readable: who issued
    it (`issuer`, the letterhead's first text-like row), its `date`, a `total` with its `currency`, and the number
    it is filed under (`reference_number`: invoice / order / contract / reference / case number)."""

    issuer: TextFieldSchema
    date: DateFieldSchema
    total: AmountFieldSchema
    currency: CurrencyFieldSchema
    reference_number: TextFieldSchema


class OtherDocument(_DocumentSchema):
    document_type: Literal[DocumentType.OTHER]
    fields: OtherFields
    line_items: list[LineItemSchema] = Field(default_factory=list, max_length=0)


class OtherDocumentV1_0(_DocumentSchema):
    document_type: Literal[DocumentType.OTHER]
    fields: _EmptyFields = Field(default_factory=_EmptyFields)
    line_items: list[LineItemSchema] = Field(default_factory=list, max_length=0)


SCHEMA_MODELS: dict[DocumentType, type[StructuredDocument]] = {
    DocumentType.RECEIPT: ReceiptDocument,
    DocumentType.INVOICE: InvoiceDocument,
    DocumentType.FORM: FormDocument,
    DocumentType.LETTER: LetterDocument,
    DocumentType.OTHER: OtherDocument,
}
# The fields a document of the type is expected to print. One of these not found needs review; any other field not
# found is null with confidence 0 and no review (most receipts print no subtotal, tax number or payment method).
EXPECTED_FIELDS: dict[DocumentType, tuple[str, ...]] = {
    DocumentType.RECEIPT: ("merchant_name", "date", "total"),
    DocumentType.INVOICE: ("invoice_number", "date", "vendor_name", "total"),
    DocumentType.LETTER: ("sender", "date"),
    DocumentType.FORM: (),
    DocumentType.OTHER: (),
}
SCHEMA_VERSIONS: dict[DocumentType, str] = {t: "1.0.0" for t in DocumentType} | {DocumentType.INVOICE: "1.1.0", DocumentType.OTHER: "1.1.0"}
# earlier versions still served (`GET /schemas/{type}?version=...`), oldest first; outputs follow SCHEMA_VERSIONS
PREVIOUS_SCHEMA_MODELS: dict[DocumentType, dict[str, type[StructuredDocument]]] = {
    DocumentType.INVOICE: {"1.0.0": InvoiceDocumentV1_0},
    DocumentType.OTHER: {"1.0.0": OtherDocumentV1_0},
}


def schema_versions(document_type: DocumentType) -> list[str]:
    """Every version of a type's schema that is served, oldest first; the last is what outputs satisfy."""
    return [*PREVIOUS_SCHEMA_MODELS.get(document_type, {}), SCHEMA_VERSIONS[document_type]]


def schema_model(document_type: DocumentType, version: str | None = None) -> type[StructuredDocument]:
    """The pydantic model of a type's schema at `version` (default: the current one); KeyError if not served."""
    if version is None or version == SCHEMA_VERSIONS[document_type]:
        return SCHEMA_MODELS[document_type]
    return PREVIOUS_SCHEMA_MODELS.get(document_type, {})[version]


class SchemaSummary(BaseModel):
    document_type: DocumentType
    version: str = Field(description="the current version: what outputs satisfy")
    schema_id: str = Field(description="the schema's $id")
    fields: list[str] = Field(description="field names (empty for open-ended forms)")
    expected_fields: list[str] = Field(default_factory=list,
                                       description="the fields this type is expected to print: one not found needs review")
    versions: list[str] = Field(default_factory=list, description="every version served, oldest first (`?version=`)")


class SchemaList(BaseModel):
    """`GET /schemas`."""

    schemas: list[SchemaSummary]


class OcrResponse(BaseModel):
    """`data` of a successful `POST /ocr` envelope: every page's text in processed-page coordinates. The flow gives
    the text to the classifier and `ocr` back to `POST /extract_json` (form field `ocr`), so the page is read once."""

    ocr: OcrResult
    source_format: str
    timings: dict[str, float] = Field(
        default_factory=dict, description="seconds spent in OCR (`ocr`: 0 when supplied) and in field extraction"
    )


class ExtractionResult(OcrResponse):
    """`data` of a successful `POST /extract_json` envelope: the OCR response plus the structured document."""

    structured_document: StructuredDocument


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
