"""Field extraction from an OCR result, per document type, with general layout rules (no per-file tuning).

Everything works on visual rows (lines that share a baseline), in reading order:
- receipt: merchant_name (first text-like rows), merchant_address (the rows under it, until a phone/tax id/date
  row), date (a row with a DATE/FECHA keyword first, else the first date), total (the largest amount on a row
  with a total keyword, ignoring subtotal, tax, change, cash, discount, quantity rows).
- invoice: invoice_number, date, vendor_name, total.
- form: key/value pairs from "Key: value", "Key:" + the box right of or under it, or a label with a value to its right.
- letter / other: text blocks (rows separated by a vertical gap), plus the date for letters.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from iris_common.contract.extraction import (
    DocumentType,
    ExtractedField,
    KeyValuePair,
    OcrLine,
    OcrResult,
    StructuredDocument,
    TextBlock,
)

from ocr_extractor.core.parsing import AmountMatch, DateMatch, find_amounts, find_dates, resolve_order


@dataclass
class Row:
    """Lines side by side, left to right; `text` joins them with spaces, `spans` maps characters back to lines."""

    index: int
    page: int
    lines: list[OcrLine]
    text: str = ""
    spans: list[tuple[int, int, OcrLine]] = field(default_factory=list)

    def __post_init__(self) -> None:
        parts: list[str] = []
        pos = 0
        for line in self.lines:
            self.spans.append((pos, pos + len(line.text), line))
            parts.append(line.text)
            pos += len(line.text) + 1
        self.text = " ".join(parts)

    @property
    def lower(self) -> str:
        return self.text.lower()

    @property
    def bbox(self) -> list[float]:
        return _union(line.bbox for line in self.lines)

    @property
    def confidence(self) -> float:
        return min(line.confidence for line in self.lines)

    def line_at(self, start: int, end: int) -> OcrLine:
        """The line holding characters start..end of `text` (the first one they touch)."""
        for s, e, line in self.spans:
            if start < e and s < end:
                return line
        return self.lines[-1]

    def lines_between(self, start: int, end: int) -> list[OcrLine]:
        return [line for s, e, line in self.spans if start < e and s < end] or [self.lines[-1]]


def _union(boxes: Iterable[Sequence[float]]) -> list[float]:
    boxes = list(boxes)
    return [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]


def build_rows(ocr: OcrResult) -> list[Row]:
    by_row: dict[int, list[OcrLine]] = {}
    for index in ocr.reading_order:
        line = ocr.lines[index]
        by_row.setdefault(line.row, []).append(line)
    return [
        Row(index=i, page=lines[0].page, lines=sorted(lines, key=lambda ln: ln.bbox[0]))
        for i, (_, lines) in enumerate(sorted(by_row.items()))
    ]


def _field(value: str, confidence: float, lines: Sequence[OcrLine], raw: str | None = None) -> ExtractedField:
    return ExtractedField(
        value=value,
        confidence=round(min(max(confidence, 0.0), 1.0), 4),
        bbox=_union(line.bbox for line in lines),
        raw_text=raw if raw is not None else " ".join(line.text for line in lines),
        page=lines[0].page,
    )


# ---------------------------------------------------------------- keywords (English and Spanish, OCR-tolerant)
_T = r"t[o0]ta[l1i]"  # TOTAL, T0TAL, TOTAI
_STRONG_TOTAL = re.compile(
    rf"grand\s*{_T}|{_T}\s*a\s*pagar|importe\s*(?:{_T}|a\s*pagar)|{_T}\s*(?:amount|due|payable|to\s*pay|incl|inclusive|"
    rf"\(incl|with|rounded|general|factura|eur|€|\$|usd|\(rm\)|rm\b|sales\s*\(?incl)|(?:amount|balance|total)\s*due|"
    rf"net(?:t)?\s*(?:{_T}|amt|amount)|{_T}\s*net[ao]?|amount\s*payable|rounded\s*{_T}|{_T}\s*after|(?:amount\s*)?to\s*be\s*paid|"
    rf"amount\s*to\s*pay|{_T}\s*amt",
    re.IGNORECASE,
)
_TOTAL = re.compile(rf"(?<![a-z]){_T}(?![a-z])|(?<![a-z])importe(?![a-z])|a\s*pagar|(?<![a-z])amount(?![a-z])", re.IGNORECASE)
_NOT_TOTAL = re.compile(
    rf"sub\s*-?\s*{_T}|subtotal|{_T}\s*(?:qty|quantity|item|items|pcs|units|unid|art[ií]culos|disc|discount|dto|"
    rf"savings?|saved|excl|exclusive|before|sin\s*iva|base|points?|tax\b|gst\s*(?:payable)?\s*$|vat\b|iva\b|\d+\s*$|"
    rf"number|no\b)|change|cambio|(?<![a-z])cash(?![a-z])|efectivo|tender|entregad|rounding|redondeo|discount|descuento|"
    rf"base\s*imponible|service\s*charge|propina|(?<![a-z])tip(?![a-z])|deposit|(?<![a-z])paid(?![a-z])|payment|"
    rf"pago|card|tarjeta|visa|master|credit|voucher|saving|balance\s*(?:points|b/f)|qty|item\s*count",
    re.IGNORECASE,
)
_PAID = re.compile(
    r"(?<![a-z])(cash|efectivo|tendered|tender|entregado|received|recibido|paid|pagado|payment|pago)(?![a-z])", re.IGNORECASE
)
_CHANGE = re.compile(r"(?<![a-z])(change|cambio|vuelto|devoluci[oó]n)(?![a-z])", re.IGNORECASE)
_ROUNDING = re.compile(r"round|redondeo", re.IGNORECASE)
_TAX_ONLY = re.compile(r"(?<![a-z])(tax|gst|vat|iva|igic)(?![a-z])", re.IGNORECASE)
_INCLUSIVE = re.compile(r"incl|inclusive|incluid|con\s*iva|with", re.IGNORECASE)
_DATE_KEY = re.compile(r"(?<![a-z])(date|dated|fecha|f\.|tarikh|issued|emisi[oó]n)(?![a-z])", re.IGNORECASE)
_NOT_DATE_KEY = re.compile(r"due\s*date|vencimiento|expir|valid|caduc|born|nacimiento|period", re.IGNORECASE)
_HEADER_WORDS = re.compile(
    r"^(tax\s*invoice|invoice|receipt|official\s*receipt|cash\s*(sale|bill|receipt)|simplified|factura(\s*simplificada)?|"
    r"ticket|recibo|copy|original|duplicate|welcome|bienvenid[oa]s?|gracias|thank|customer\s*copy|sales\s*receipt|"
    r"nota|albar[aá]n|bill)\b",
    re.IGNORECASE,
)
_CONTACT = re.compile(
    r"(?<![a-z])(tel|telf|tlf|phone|fax|h/?p|mobile|m[oó]vil|email|e-mail|www|http|gst\s*(id|no|reg)|co\.?\s*reg|"
    r"company\s*(reg|no)|co\.?\s*no|roc\s*no|reg\.?\s*no|registration|sst|nif|cif|rfc|vat\s*(no|reg|number)|tax\s*id|abn|ruc)(?![a-z])|@",
    re.IGNORECASE,
)
_STOP_ADDRESS = re.compile(
    r"(?<![a-z])(invoice|receipt|factura|ticket|recibo|cashier|cajero|table|mesa|date|fecha|bill|terminal|"
    r"document|doc\s*no|order|pedido|salesperson|server|member|customer|cliente)(?![a-z])",
    re.IGNORECASE,
)
_BOILERPLATE = re.compile(
    r"(?<![a-z])(thank|thanks|please|gracias|por\s*favor|returnable|refund|feedback|complaint|redeem|points|welcome|"
    r"bienvenid|visit|visite|follow|s[ií]guenos|come\s*again|vuelva)",
    re.IGNORECASE,
)
_COMPANY_SUFFIX = re.compile(
    r"(?<![a-z])(sdn\.?\s*bhd|bhd|s\.?\s*l\.?u?|s\.?\s*a\.?|ltd|limited|inc|llc|gmbh|co\.|corp|enterprise|trading)\.?\s*$",
    re.IGNORECASE,
)
_REG_ONLY = re.compile(r"^[\s(\[]*(?:[a-z.]*\s*)?[\d\-/ ]{4,}[a-z]?[\s)\]]*$", re.IGNORECASE)


def _letters_ratio(text: str) -> float:
    stripped = text.replace(" ", "")
    return sum(ch.isalpha() for ch in stripped) / len(stripped) if stripped else 0.0


def _is_texty(text: str) -> bool:
    return len(re.sub(r"[^A-Za-z0-9À-ÿ]", "", text)) >= 3 and _letters_ratio(text) >= 0.5


# ---------------------------------------------------------------- dates
@dataclass(frozen=True)
class _DateCandidate:
    match: DateMatch
    row: Row
    score: float


def extract_date(rows: Sequence[Row], *, default_day_first: bool = True) -> ExtractedField | None:
    """The document date: a date on a row with a date keyword (not a due/expiry date) wins; else the first date.
    Ambiguous numeric dates follow the order proven by other dates of the same document."""
    day_first = resolve_order([row.text for row in rows], default_day_first)
    best: _DateCandidate | None = None
    for position, row in enumerate(rows):
        for match in find_dates(row.text, day_first=day_first):
            score = 0.8
            if _DATE_KEY.search(row.text):
                score = 1.0
            if _NOT_DATE_KEY.search(row.text):
                score = 0.4
            if match.ambiguous:
                score -= 0.1
            score -= 0.0005 * position  # earlier rows win ties
            if best is None or score > best.score:
                best = _DateCandidate(match, row, score)
    if best is None:
        return None
    m = best.match
    lines = best.row.lines_between(m.start, m.end)
    certainty = 1.0 if best.score >= 0.9 else 0.85
    if m.ambiguous:
        certainty *= 0.8
    return _field(m.value.isoformat(), certainty * min(ln.confidence for ln in lines), lines, raw=m.raw)


# ---------------------------------------------------------------- amounts
def _row_amounts(row: Row) -> list[AmountMatch]:
    """Amounts of a row that are not part of a date or a percentage."""
    dates = find_dates(row.text)
    return [a for a in find_amounts(row.text) if not any(a.start < d.end and d.start < a.end for d in dates)]


def _total_strength(text: str) -> float:
    """1.0 strong total keyword, 0.8 plain TOTAL/IMPORTE, 0 otherwise (or an excluded kind of total)."""
    if _STRONG_TOTAL.search(text) and not re.search(r"sub\s*-?\s*t[o0]ta[l1i]|subtotal", text, re.IGNORECASE):
        if _TAX_ONLY.search(text) and not _INCLUSIVE.search(text):
            return 0.0
        return 1.0
    if not _TOTAL.search(text) or _NOT_TOTAL.search(text):
        return 0.0
    if _TAX_ONLY.search(text) and not _INCLUSIVE.search(text):
        return 0.0
    return 0.8


def _payment_total(rows: Sequence[Row]) -> Decimal | None:
    """Amount tendered minus change given, when both rows are readable: what was actually paid."""
    paid = change = None
    for row in rows:
        amounts = [a for a in _row_amounts(row) if a.value > 0]
        if not amounts:
            continue
        if _CHANGE.search(row.text):
            change = change if change is not None else amounts[-1].value
        elif _PAID.search(row.text) and not _total_strength(row.text):
            paid = paid if paid is not None else amounts[-1].value
    if paid is None or change is None or change >= paid:
        return None
    return paid - change


def extract_total(rows: Sequence[Row]) -> ExtractedField | None:
    """The amount on, or right under, a row with a total keyword (subtotal, tax, change, cash, discount and
    quantity rows do not count). Among the strongest keywords it prefers, in order: the amount that equals
    tendered minus change; after a rounding row, the first total below it (the rounded amount is what is paid);
    else the largest. Without any keyword: the largest amount seen at least twice, at a lower confidence."""
    candidates: list[tuple[Decimal, float, int, Row, AmountMatch]] = []
    for i, row in enumerate(rows):
        strength = _total_strength(row.text)
        if not strength:
            continue
        amounts = [a for a in _row_amounts(row) if a.value > 0]
        if amounts:
            candidates.append((amounts[-1].value, strength, i, row, amounts[-1]))
            continue
        # label alone on its row: the value is on the next row (or the one after), if that row is not a label itself
        for below in rows[i + 1 : i + 3]:
            if below.page != row.page or re.search(r"[A-Za-z]{3,}", re.sub(r"(?i)\b(rm|eur|usd)\b", "", below.text)):
                break
            below_amounts = [a for a in _row_amounts(below) if a.value > 0]
            if below_amounts:
                candidates.append((below_amounts[-1].value, strength * 0.9, i, below, below_amounts[-1]))
                break
    if candidates:
        top = max(c[1] for c in candidates)
        strong = [c for c in candidates if c[1] >= top - 0.2]
        paid = _payment_total(rows)
        rounding_at = [i for i, row in enumerate(rows) if _ROUNDING.search(row.text) and not _total_strength(row.text)]
        after_rounding = [c for c in candidates if rounding_at and c[2] > rounding_at[0]]
        if paid is not None and any(c[0] == paid for c in candidates):
            best, certainty = next(c for c in candidates if c[0] == paid), 1.0
        elif after_rounding:
            best, certainty = min(after_rounding, key=lambda c: c[2]), 0.95
        else:
            best, certainty = max(strong, key=lambda c: (c[0], c[1])), 1.0
        value, strength, _, row, match = best
        line = row.line_at(match.start, match.end)
        return _field(match.text, certainty * strength * line.confidence, [line], raw=line.text)
    counts: dict[Decimal, list[tuple[Row, AmountMatch]]] = {}
    for row in rows:
        if _CHANGE.search(row.text):
            continue
        for a in _row_amounts(row):
            if a.value > 0:
                counts.setdefault(a.value, []).append((row, a))
    if not counts:
        return None
    repeated = [v for v, hits in counts.items() if len(hits) > 1]
    value = max(repeated) if repeated else max(counts)
    row, match = counts[value][0]
    line = row.line_at(match.start, match.end)
    return _field(match.text, 0.5 * line.confidence, [line], raw=line.text)


# ---------------------------------------------------------------- merchant / vendor
def _header_rows(rows: Sequence[Row]) -> list[Row]:
    return [row for row in rows if row.page == rows[0].page] if rows else []


def _clean_name(text: str) -> str:
    """Drop what printers put around a trading name: a leading store/receipt number, a trailing
    registration number in brackets."""
    text = re.sub(r"^[#*\W]*\d{3,}\s+", "", text)
    text = re.sub(r"\s*[(\[][\w\s.:-]*\d{4,}[\w\s.:-]*[)\]]\s*$", "", text)
    return text.strip() or text


def extract_merchant(rows: Sequence[Row]) -> tuple[ExtractedField | None, ExtractedField | None]:
    """(merchant_name, merchant_address) from the top of the first page."""
    top = _header_rows(rows)[:12]
    name_at = None
    for i, row in enumerate(top):
        text = row.text.strip()
        if not _is_texty(text) or _HEADER_WORDS.search(text) or _CONTACT.search(text) or _BOILERPLATE.search(text):
            continue
        if find_dates(text) or find_amounts(text) or _total_strength(text):
            continue
        name_at = i
        break
    if name_at is None:
        return None, None
    name_rows = [top[name_at]]
    nxt = top[name_at + 1] if name_at + 1 < len(top) else None
    if nxt is not None and _COMPANY_SUFFIX.search(nxt.text) and not _COMPANY_SUFFIX.search(name_rows[0].text):
        if len(nxt.text) <= 30 and not _CONTACT.search(nxt.text):
            name_rows.append(nxt)
    name_lines = [ln for r in name_rows for ln in r.lines]
    name_text = _clean_name(" ".join(r.text for r in name_rows))
    name = _field(name_text, min(ln.confidence for ln in name_lines), name_lines, raw=" ".join(r.text for r in name_rows))

    address_rows: list[Row] = []
    for row in top[name_at + len(name_rows) :]:
        text = row.text.strip()
        if _CONTACT.search(text) or _STOP_ADDRESS.search(text) or find_dates(text) or _total_strength(text):
            if address_rows:
                break
            continue
        if _REG_ONLY.match(text) or not re.search(r"[A-Za-z]{2,}", text) or re.fullmatch(r"[\W_]+", text):
            if address_rows:
                break
            continue
        if _HEADER_WORDS.search(text):
            break
        address_rows.append(row)
        if len(address_rows) == 4:
            break
    address = None
    if address_rows:
        lines = [ln for r in address_rows for ln in r.lines]
        address = _field(" ".join(r.text for r in address_rows), min(ln.confidence for ln in lines), lines)
    return name, address


# ---------------------------------------------------------------- invoice number
_INVOICE_NO = re.compile(
    r"(?<![a-z])(?:invoice|inv|factura|bill|receipt|recibo|document|doc|ticket|n[uú]mero\s*de\s*factura)\.?\s*"
    r"(?:no|num|number|n[uú]mero|nº|n°|n\.?º?|#|id)?\.?\s*(?:de\s*factura)?\s*[:#.]?\s*(?P<value>[A-Z0-9][A-Z0-9\-/_.]{2,})",
    re.IGNORECASE,
)
_INVOICE_LABEL = re.compile(
    r"(?<![a-z])(?:invoice|inv|factura|bill|receipt|recibo)\.?\s*(?:no|num|number|n[uú]mero|nº|n°|#)\.?\s*[:#]?\s*$",
    re.IGNORECASE,
)


def extract_invoice_number(rows: Sequence[Row]) -> ExtractedField | None:
    """A code with a digit after INVOICE NO / Nº FACTURA (on the same row, else on the row below)."""
    for i, row in enumerate(rows):
        for m in _INVOICE_NO.finditer(row.text):
            value = m["value"].strip(".-/")
            if any(ch.isdigit() for ch in value) and not find_dates(value):
                lines = row.lines_between(m.start("value"), m.end("value"))
                return _field(value, min(ln.confidence for ln in lines), lines, raw=row.text)
        for s, e, line in row.spans:
            if _INVOICE_LABEL.search(line.text) and i + 1 < len(rows):
                token = rows[i + 1].text.split(" ")[0]
                if any(ch.isdigit() for ch in token):
                    first = rows[i + 1].lines[0]
                    return _field(token, 0.85 * first.confidence, [first], raw=first.text)
    return None


_VENDOR_LABEL = re.compile(r"^(?:from|vendor|supplier|seller|sold\s*by|proveedor|emisor|vendedor|de)\s*:\s*(?P<v>.+)$", re.IGNORECASE)


def extract_vendor(rows: Sequence[Row]) -> ExtractedField | None:
    for row in rows:
        m = _VENDOR_LABEL.match(row.text)
        if m and _is_texty(m["v"]):
            return _field(m["v"].strip(), min(ln.confidence for ln in row.lines), row.lines, raw=row.text)
    name, _ = extract_merchant(rows)
    return name


# ---------------------------------------------------------------- forms
_KEY_COLON = re.compile(r"^(?P<key>[^:]{1,40}?)\s*:\s*(?P<value>.*)$")


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower().strip()).strip("_")
    return slug or "field"


def extract_key_values(rows: Sequence[Row]) -> list[KeyValuePair]:
    """Key/value pairs: 'Key: value' in one box; 'Key:' with the value in the box to its right or right under it;
    a short label with one value box to its right on the same row."""
    pairs: list[KeyValuePair] = []
    used: set[int] = set()
    for i, row in enumerate(rows):
        for j, line in enumerate(row.lines):
            if line.index in used:
                continue
            m = _KEY_COLON.match(line.text)
            if m and _letters_ratio(m["key"]) >= 0.6:
                key, value = m["key"].strip(), m["value"].strip()
                value_line: OcrLine | None = None
                if not value and j + 1 < len(row.lines):
                    value_line = row.lines[j + 1]
                elif not value and i + 1 < len(rows) and rows[i + 1].page == row.page:
                    below = [ln for ln in rows[i + 1].lines if ln.bbox[0] < line.bbox[2] and line.bbox[0] < ln.bbox[2]]
                    if below and not _KEY_COLON.match(below[0].text):
                        value_line = below[0]
                if value_line is not None:
                    value = value_line.text
                    used.add(value_line.index)
                used.add(line.index)
                conf = min(line.confidence, value_line.confidence) if value_line else line.confidence
                pairs.append(
                    KeyValuePair(
                        key=key,
                        value=value,
                        confidence=conf,
                        key_bbox=line.bbox,
                        value_bbox=value_line.bbox if value_line else line.bbox,
                        page=line.page,
                    )
                )
        free = [ln for ln in row.lines if ln.index not in used]
        if len(free) == 2 and len(row.lines) == 2:
            label, value_line = free
            words = label.text.split()
            if 1 <= len(words) <= 5 and _letters_ratio(label.text) >= 0.8 and value_line.bbox[0] > label.bbox[2]:
                used.update({label.index, value_line.index})
                pairs.append(
                    KeyValuePair(
                        key=label.text.strip(),
                        value=value_line.text.strip(),
                        confidence=min(label.confidence, value_line.confidence),
                        key_bbox=label.bbox,
                        value_bbox=value_line.bbox,
                        page=label.page,
                    )
                )
    return pairs


# ---------------------------------------------------------------- text blocks
def extract_text_blocks(rows: Sequence[Row]) -> list[TextBlock]:
    """Paragraphs: consecutive rows whose vertical gap is under one median line height."""
    if not rows:
        return []
    heights = [ln.bbox[3] - ln.bbox[1] for row in rows for ln in row.lines]
    gap_limit = statistics.median(heights) if heights else 0.0
    blocks: list[list[Row]] = [[rows[0]]]
    for prev, row in zip(rows, rows[1:]):
        if row.page != prev.page or row.bbox[1] - prev.bbox[3] > gap_limit:
            blocks.append([row])
        else:
            blocks[-1].append(row)
    out = []
    for block in blocks:
        lines = [ln for r in block for ln in r.lines]
        out.append(
            TextBlock(
                text="\n".join(r.text for r in block),
                confidence=round(sum(ln.confidence for ln in lines) / len(lines), 4),
                bbox=_union(ln.bbox for ln in lines),
                line_indices=[ln.index for ln in lines],
                page=block[0].page,
            )
        )
    return out


# ---------------------------------------------------------------- assembly
def _receipt(rows: Sequence[Row], day_first: bool) -> dict[str, ExtractedField | None]:
    name, address = extract_merchant(rows)
    return {
        "merchant_name": name,
        "merchant_address": address,
        "date": extract_date(rows, default_day_first=day_first),
        "total": extract_total(rows),
    }


def _invoice(rows: Sequence[Row], day_first: bool) -> dict[str, ExtractedField | None]:
    return {
        "invoice_number": extract_invoice_number(rows),
        "date": extract_date(rows, default_day_first=day_first),
        "vendor_name": extract_vendor(rows),
        "total": extract_total(rows),
    }


def _letter(rows: Sequence[Row], day_first: bool) -> dict[str, ExtractedField | None]:
    return {"date": extract_date(rows, default_day_first=day_first)}


_EXTRACTORS: dict[DocumentType, Callable[[Sequence[Row], bool], dict[str, ExtractedField | None]]] = {
    DocumentType.RECEIPT: _receipt,
    DocumentType.INVOICE: _invoice,
    DocumentType.LETTER: _letter,
}


def apply_threshold(fields: dict[str, ExtractedField], threshold: float) -> list[str]:
    """Blank the value of every field under `threshold`, keep it as `candidate`; returns their names."""
    flagged = []
    for name, f in fields.items():
        if f.value is not None and f.confidence < threshold:
            f.candidate, f.value, f.needs_review = f.value, None, True
            flagged.append(name)
    return flagged


def extract_document(
    ocr: OcrResult,
    document_type: DocumentType,
    *,
    confidence_threshold: float = 0.0,
    default_day_first: bool = True,
) -> StructuredDocument:
    """Structured fields of one OCR result. Fields that were looked for but not found come back with a null
    value and confidence 0, so a client can tell 'not found' from 'not asked'."""
    rows = build_rows(ocr)
    day_first = default_day_first if ocr.language != "es" else True
    fields: dict[str, ExtractedField] = {}
    key_values: list[KeyValuePair] = []
    text_blocks: list[TextBlock] = []
    extractor = _EXTRACTORS.get(document_type)
    if extractor is not None:
        for name, found in extractor(rows, day_first).items():
            fields[name] = found or ExtractedField(value=None, confidence=0.0, needs_review=True)
    if document_type == DocumentType.FORM:
        key_values = extract_key_values(rows)
        for pair in key_values:
            name, n = _slug(pair.key), 2
            while name in fields:
                name, n = f"{_slug(pair.key)}_{n}", n + 1
            fields[name] = ExtractedField(
                value=pair.value,
                confidence=pair.confidence,
                bbox=pair.value_bbox,
                raw_text=f"{pair.key}: {pair.value}",
                page=pair.page,
            )
    if document_type in (DocumentType.LETTER, DocumentType.OTHER, DocumentType.FORM):
        text_blocks = extract_text_blocks(rows)
    flagged = apply_threshold(fields, confidence_threshold)
    flagged += [name for name, f in fields.items() if f.value is None and f.candidate is None]
    return StructuredDocument(
        document_type=document_type,
        language=ocr.language,
        fields=fields,
        key_values=key_values,
        text_blocks=text_blocks,
        confidence_threshold=confidence_threshold,
        fields_needing_review=sorted(set(flagged)),
    )
