"""Payloads of the ocr-extractor's `POST /extract`: extraction from OCR already done (one result per page), with the
document type given or chosen among the classifier's candidates by how well each type's schema fills.

Why routing lives beside extraction: only the extractor knows what a type's schema needs, so only it can tell
that a page the classifier called `other` reads as a complete receipt. The classifier's probabilities are the
prior; the evidence is what each candidate extraction found and whether its cross-field checks passed.
"""

from pydantic import BaseModel, Field, model_validator

from iris_common.contract.extraction import DocumentType, OcrResult, StructuredDocument

Matrix = list[list[float]]  # 3x3, original -> processed pixels


class ExtractRequest(BaseModel):
    """`pages`: the `data.ocr` of `POST /ocr` for each processed page, in page order (processed coordinates).
    Give `document_type` to extract as that type, or `candidates` (the classifier's `scores`) to let the
    extractor choose."""

    pages: list[OcrResult] = Field(min_length=1, description="one /ocr result per page (a multi-page result counts as its pages)")
    document_type: DocumentType | None = Field(default=None, description="extract as this type (no routing)")
    candidates: dict[DocumentType, float] | None = Field(
        default=None, description="probability of each type from the classifier; the types worth trying are extracted and compared")
    confidence_threshold: float | None = Field(default=None, ge=0, le=1, description="fields under it come back with value null")
    source_transforms: list[Matrix | None] | None = Field(
        default=None, description="one 3x3 matrix per page (image-processor `transform`); boxes then come back in the upload's pixels")

    @model_validator(mode="after")
    def _type_or_candidates(self) -> "ExtractRequest":
        if self.document_type is None and not self.candidates:
            raise ValueError("give document_type, or candidates (the classifier's scores) to choose among")
        if self.candidates and any(not 0.0 <= p <= 1.0 for p in self.candidates.values()):
            raise ValueError("candidate probabilities must lie within [0, 1]")
        return self


class RoutingTrial(BaseModel):
    """One type the extractor tried: the classifier's prior, what its schema filled, and the resulting score."""

    document_type: DocumentType
    prior: float = Field(description="the classifier's probability of this type, updated by the title's evidence when there is a title")
    fill: float = Field(description="0..1: confidence-weighted share of the type's key fields found (forms: confident pairs)")
    found: list[str] = Field(default_factory=list, description="key fields found above the confidence threshold")
    checks_passed: int = 0
    checks_failed: int = 0
    score: float = Field(description="prior x evidence: the highest score is chosen")


class RoutingDecision(BaseModel):
    chosen: DocumentType
    classifier_choice: DocumentType | None = Field(description="the classifier's top type (null when the type was given)")
    titled: DocumentType | None = Field(default=None, description="the type the first page's title names ('INVOICE', 'Factuur'), if any")
    given: bool = Field(description="the caller fixed the type: nothing was compared")
    confidence: float = Field(description="calibrated probability that the chosen type is right (1 when given); "
                                          "the classifier's probability of it when no calibration map is loaded")
    needs_review: bool = Field(description="the type is uncertain (confidence under the review threshold): check it")
    reason: str
    trials: list[RoutingTrial] = Field(default_factory=list)


class ExtractResponse(BaseModel):
    """`data` of `POST /extract`: the structured document of the chosen type and how the type was chosen.
    The OCR is not sent back: the caller has it."""

    structured_document: StructuredDocument
    routing: RoutingDecision
    pages: int
    timings: dict[str, float] = Field(default_factory=dict)
