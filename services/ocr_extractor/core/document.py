"""One OCR result -> the structured document of its type: find fields (core.fields), normalise them, run the
cross-field checks, derive calibrated confidences, blank what is under the threshold.

A document of several pages is read as such documents are printed: the type's finders run on each page;
header fields (number, dates, issuer, customer, period) come from the FIRST page that has them, the totals
(total, subtotal, tax) from the LAST page that has one printed under a keyword (a 'carried forward' subtotal
at the foot of page 1 gives way to the one on the last page), the currency from the whole document, and the
line items are every page's article rows in order ('carried forward' / 'brought forward' rows and repeated
table header rows are not articles). Every field, item, pair and block carries its `page`.

Every field of the type's schema is present in the output: a field looked for but not found has a null value and
confidence 0, so a client can tell 'not found' from 'not asked'; it needs review only when the type is expected to
print it (EXPECTED_FIELDS: a receipt's total, not its tax number).

EXTRACTION_REVISION is part of what the service reports loaded (`/info`), so the flow's cache key of the extract
phase changes with it: bump it when the same OCR reads give another structured document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from iris_common.contract.extraction import (
    EXPECTED_FIELDS,
    SCHEMA_VERSIONS,
    DocumentType,
    ExtractedField,
    KeyValuePair,
    LineItem,
    OcrResult,
    StructuredDocument,
    TextBlock,
)
from ocr_extractor.core.calibration import Calibration, features, group_of, uncalibrated
from ocr_extractor.core.fields import (
    Found,
    Row,
    build_rows,
    extract_customer,
    extract_date,
    extract_due_date,
    extract_gross_total,
    extract_invoice_number,
    extract_line_items,
    extract_merchant,
    extract_payment_method,
    extract_period,
    extract_recipient,
    extract_reference,
    extract_sender,
    extract_subject,
    extract_subtotal,
    extract_tax,
    extract_tax_id,
    extract_text_blocks,
    extract_time,
    extract_total,
    extract_vendor,
    slug,
)
from ocr_extractor.core.fields.key_values import link_key_values
from ocr_extractor.core.normalise import currencies_in, document_currency
from ocr_extractor.core.schemas import field_names
from ocr_extractor.core.validation import validate

# 2: a field not found needs review only when its type is expected to print it (EXPECTED_FIELDS)
EXTRACTION_REVISION = 2
AMOUNT_FIELDS = ("subtotal", "tax", "total")
_FOUR_DECIMALS = 4


def _currency(rows: Sequence[Row], language: str) -> Found | None:
    code, evidence = document_currency([row.text for row in rows], language)
    if code is None:
        return None
    printed = code if any(code in currencies_in(r.text) for r in rows) else "USD"  # a "$" read as the page's dollar
    row = next((r for r in rows if printed in currencies_in(r.text)), None)
    if row is None:  # no mark printed: the language's currency, without a box
        return Found(ExtractedField(value=code, raw=None, confidence=evidence), 1.0, evidence)
    mark_line = next((ln for ln in row.lines if printed in currencies_in(ln.text)), row.lines[0])
    return Found(
        ExtractedField(value=code, raw=mark_line.text, confidence=evidence, bbox=mark_line.bbox, page=mark_line.page),
        mark_line.confidence,
        evidence,
    )


def _receipt(rows: Sequence[Row], day_first: bool, language: str) -> dict[str, Found | None]:
    name, address = extract_merchant(rows, language)
    return {
        "merchant_name": name,
        "merchant_address": address,
        "merchant_tax_id": extract_tax_id(rows),
        "date": extract_date(rows, default_day_first=day_first),
        "time": extract_time(rows),
        "currency": _currency(rows, language),
        "subtotal": extract_subtotal(rows),
        "tax": extract_tax(rows),
        "total": extract_total(rows, whole_grand_total=True),
        "payment_method": extract_payment_method(rows),
    }


def _invoice(rows: Sequence[Row], day_first: bool, language: str) -> dict[str, Found | None]:
    _, address = extract_merchant(rows)
    period_start, period_end = extract_period(rows, day_first=day_first)
    return {
        "invoice_number": extract_invoice_number(rows),
        "date": extract_date(rows, default_day_first=day_first),
        "due_date": extract_due_date(rows, day_first=day_first),
        "vendor_name": extract_vendor(rows),
        "vendor_address": address,
        "vendor_tax_id": extract_tax_id(rows),
        "customer_name": extract_customer(rows),
        "currency": _currency(rows, language),
        "subtotal": extract_subtotal(rows),
        "tax": extract_tax(rows),
        "total": extract_gross_total(rows) or extract_total(rows),
        "period_start": period_start,
        "period_end": period_end,
    }


def _letter(rows: Sequence[Row], day_first: bool, language: str) -> dict[str, Found | None]:
    return {
        "sender": extract_sender(rows),
        "recipient": extract_recipient(rows),
        "date": extract_date(rows, default_day_first=day_first),
        "subject": extract_subject(rows),
    }


def _other(rows: Sequence[Row], day_first: bool, language: str) -> dict[str, Found | None]:
    """Generic fields of any document (schema 1.1.0 of `other`): nothing readable is lost when the type is unknown."""
    issuer, _ = extract_merchant(rows)
    return {
        "issuer": issuer,
        "date": extract_date(rows, default_day_first=day_first),
        "total": extract_gross_total(rows) or extract_total(rows),
        "currency": _currency(rows, language),
        "reference_number": extract_reference(rows),
    }


_EXTRACTORS: dict[DocumentType, Callable[[Sequence[Row], bool, str], dict[str, Found | None]]] = {
    DocumentType.RECEIPT: _receipt,
    DocumentType.INVOICE: _invoice,
    DocumentType.LETTER: _letter,
    DocumentType.OTHER: _other,
}


TOTAL_FIELDS = ("subtotal", "tax", "total")  # printed at the end: the last page that has one
DOCUMENT_FIELDS = ("currency",)  # evidence from every page
KEYED_EVIDENCE = 0.6  # a total found under a keyword (the unlabelled fallback has 0.5)


def pages_of(rows: Sequence[Row]) -> list[list[Row]]:
    """The rows of each page, pages in order (rows are in reading order, pages one after the other)."""
    pages: dict[int, list[Row]] = {}
    for row in rows:
        pages.setdefault(row.page, []).append(row)
    return [pages[p] for p in sorted(pages)]


def _by_page(extractor: Callable[[Sequence[Row], bool, str], dict[str, Found | None]], rows: Sequence[Row],
             day_first: bool, language: str) -> dict[str, Found | None]:
    """The type's fields of a document of one or more pages (the rules of the module docstring)."""
    pages = pages_of(rows)
    whole = extractor(rows, day_first, language)
    if len(pages) <= 1:
        return whole
    per_page = [extractor(page, day_first, language) for page in pages]
    out: dict[str, Found | None] = {}
    for name, found in whole.items():
        if name in DOCUMENT_FIELDS:
            out[name] = found
        elif name in TOTAL_FIELDS:
            keyed = [f[name] for f in per_page if f.get(name) is not None and f[name].evidence >= KEYED_EVIDENCE]  # type: ignore[union-attr]
            gross = [f for f in keyed if "gross_amount" in f.flags]  # type: ignore[union-attr]
            out[name] = (gross or keyed)[-1] if keyed else found  # a gross amount on any page beats a later net one
        else:
            out[name] = next((f[name] for f in per_page if f.get(name) is not None), None)
    return out


def _not_found(name: str, document_type: DocumentType) -> ExtractedField:
    return ExtractedField(value=None, confidence=0.0, needs_review=name in EXPECTED_FIELDS[document_type])


def apply_threshold(fields: dict[str, ExtractedField], threshold: float) -> list[str]:
    """Blank the value of every field under `threshold`, keep it as `candidate`; returns their names."""
    flagged = []
    for name, f in fields.items():
        if f.value is not None and f.confidence < threshold:
            f.candidate, f.value, f.needs_review = f.value, None, True
            flagged.append(name)
    return flagged


def _confidence(found: Found, group: str, passed: bool, failed: bool, calibration: Calibration | None) -> float:
    if calibration is None:
        value = uncalibrated(found.ocr, found.evidence, passed, failed)
    else:
        value = calibration.probability(features(found.ocr, found.evidence, passed, failed, group))
    return round(min(max(value, 0.0), 1.0), _FOUR_DECIMALS)


def extract_document(
    ocr: OcrResult,
    document_type: DocumentType,
    *,
    confidence_threshold: float = 0.0,
    default_day_first: bool = True,
    calibration: Calibration | None = None,
    today: date | None = None,
    features_out: dict[str, list[float]] | None = None,
) -> StructuredDocument:
    """Structured fields of one OCR result (see the module docstring). `features_out`, when given, receives
    each found field's calibration features (what `models.calibrate` fits on)."""
    rows = build_rows(ocr)
    day_first = default_day_first if ocr.language == "en" else True
    found: dict[str, Found | None] = {}
    extractor = _EXTRACTORS.get(document_type)
    if extractor is not None:
        found = _by_page(extractor, rows, day_first, ocr.language)
    line_items: list[LineItem] = []
    if document_type == DocumentType.OTHER and found.get("total") is not None and found.get("currency") is not None:
        found["total"].field.currency = found["currency"].field.value  # type: ignore[union-attr]
    if document_type in (DocumentType.RECEIPT, DocumentType.INVOICE):
        line_items = [item for page in pages_of(rows) for item in extract_line_items(page)]
        currency = found.get("currency")
        for name in AMOUNT_FIELDS:
            if found.get(name) is not None and currency is not None:
                found[name].field.currency = currency.field.value  # type: ignore[union-attr]
        for item in line_items:
            for part in (item.unit_price, item.amount):
                if part is not None and currency is not None:
                    part.currency = currency.field.value

    fields = {name: f.field for name, f in found.items() if f is not None}
    flags = {name: f.flags for name, f in found.items() if f is not None}
    checks = validate(fields, line_items, flags, today or date.today())
    passed = {n for c in checks if c.passed for n in c.fields}
    failed = {n for c in checks if not c.passed for n in c.fields}
    for c in checks:
        if not c.passed:
            for n in c.fields:
                if n in flags:
                    flags[n].append(f"check_failed:{c.name}")

    out: dict[str, ExtractedField] = {}
    for name, f in found.items():
        if f is None:
            out[name] = _not_found(name, document_type)
            continue
        f.field.confidence = _confidence(f, group_of(name), name in passed, name in failed, calibration)
        if features_out is not None:
            features_out[name] = features(f.ocr, f.evidence, name in passed, name in failed, group_of(name))
        f.field.flags = sorted(set(flags.get(name, [])))
        out[name] = f.field
    for name in field_names(document_type):  # schema fields no finder handles for this type
        out.setdefault(name, _not_found(name, document_type))

    key_values: list[KeyValuePair] = []
    text_blocks: list[TextBlock] = []
    if document_type == DocumentType.FORM:
        links = link_key_values(rows)
        key_values = [link.pair() for link in links]
        for i, (link, pair) in enumerate(zip(links, key_values, strict=True)):
            evidence = link.evidence  # 'Key: value' in one box surest, then a 'Key:' box and its neighbour, tables last
            pair_found = Found(ExtractedField(value=pair.value, confidence=pair.confidence), pair.confidence, evidence)
            pair.confidence = _confidence(pair_found, "pair", False, False, calibration)
            if features_out is not None:
                features_out[f"key_values[{i}]"] = features(pair_found.ocr, evidence, False, False, "pair")
            name, n = slug(pair.key), 2
            while name in out:
                name, n = f"{slug(pair.key)}_{n}", n + 1
            out[name] = ExtractedField(value=pair.value, raw=f"{pair.key}: {pair.value}", confidence=pair.confidence,
                                       bbox=pair.value_bbox, page=pair.page)
    if document_type in (DocumentType.LETTER, DocumentType.OTHER, DocumentType.FORM):
        text_blocks = extract_text_blocks(rows)
    flagged = apply_threshold(out, confidence_threshold)
    flagged += [name for name, f in out.items() if f.value is None and f.candidate is None and f.needs_review]
    return StructuredDocument(
        document_type=document_type,
        schema_version=SCHEMA_VERSIONS[document_type],
        language=ocr.language,
        fields=out,
        line_items=line_items,
        key_values=key_values,
        text_blocks=text_blocks,
        validation=checks,
        confidence_threshold=confidence_threshold,
        fields_needing_review=sorted(set(flagged)),
    )

