"""Field finders: general layout and keyword rules (English, Spanish, German) on the OCR rows; no per-file tuning.

Each finder returns a `Found`: the field with its box and raw text, plus the evidence its confidence is derived
from. `core.document` assembles them per document type, normalises, validates and calibrates.

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

from iris_common.contract.extraction import ExtractedField, KeyValuePair, LineItem, OcrLine, OcrResult, TextBlock

from ocr_extractor.core.normalise import TaxIdMatch, TimeMatch, find_tax_id, find_times
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


@dataclass
class Found:
    """A field as the rules found it: the contract's field plus what its confidence is derived from:
    `ocr` (the recogniser's confidence of the weakest line it came from) and `evidence` (how strongly the
    rules point at it: keyword on the row, grammar of the value, position), both in [0, 1]."""

    field: ExtractedField
    ocr: float
    evidence: float
    group: str = "other"
    flags: list[str] = field(default_factory=list)


def _field(value: str, evidence: float, lines: Sequence[OcrLine], raw: str | None = None) -> Found:
    ocr = min(line.confidence for line in lines)
    evidence = min(max(evidence, 0.0), 1.0)
    return Found(
        ExtractedField(
            value=value,
            confidence=round(ocr * evidence, 4),
            bbox=_union(line.bbox for line in lines),
            raw=raw if raw is not None else " ".join(line.text for line in lines),
            page=lines[0].page,
        ),
        ocr,
        evidence,
    )


# ---------------------------------------------------------------- keywords (English and Spanish, OCR-tolerant)
_T = r"t[o0]ta[l1i]"  # TOTAL, T0TAL, TOTAI
_STRONG_TOTAL = re.compile(
    rf"grand\s*{_T}|{_T}\s*a\s*pagar|importe\s*(?:{_T}|a\s*pagar)|{_T}\s*(?:amount|due|payable|to\s*pay|incl|inclusive|"
    rf"\(incl|with|rounded|general|factura|eur|€|\$|usd|\(rm\)|rm\b|sales\s*\(?incl)|(?:amount|balance|total)\s*due|"
    rf"net(?:t)?\s*(?:{_T}|amt|amount)|{_T}\s*net[ao]?|amount\s*payable|rounded\s*{_T}|{_T}\s*after|(?:amount\s*)?to\s*be\s*paid|"
    rf"amount\s*to\s*pay|{_T}\s*amt|{_T}\s*ttc|net\s*[àa]\s*payer|totaal|factuur\s*totaal|(?<![a-z])(?:gesamt\s*)?summe(?![a-z])|zu\s*zahlen|endbetrag|gesamtbetrag|(?<![a-z])gesamt(?![a-z])",
    re.IGNORECASE,
)
_TOTAL = re.compile(
    rf"(?<![a-z]){_T}(?![a-z])|(?<![a-z])importe(?![a-z])|a\s*pagar|(?<![a-z])amount(?![a-z])|(?<![a-z])betrag(?![a-z])", re.IGNORECASE
)
_NOT_TOTAL = re.compile(
    rf"sub\s*-?\s*{_T}|subtotal|{_T}\s*(?:qty|quantity|item|items|pcs|units|unid|art[ií]culos|disc|discount|dto|"
    rf"savings?|saved|excl|exclusive|before|sin\s*iva|base|points?|tax\b|gst\s*(?:payable)?\s*$|vat\b|iva\b|\d+\s*$|"
    rf"number|no\b)|change|cambio|(?<![a-z])cash(?![a-z])|efectivo|tender|entregad|rounding|redondeo|discount|descuento|"
    rf"base\s*imponible|service\s*charge|propina|(?<![a-z])tip(?![a-z])|deposit|(?<![a-z])paid(?![a-z])|payment|"
    rf"pago|card|tarjeta|visa|master|credit|voucher|saving|balance\s*(?:points|b/f)|qty|item\s*count|zwischensumme|"
    rf"r[üu]ckgeld|gegeben|(?<![a-z])netto(?![a-z])|kartenzahlung|ec[\s-]*karte|{_T}\s*ht(?![a-z])|hors\s*taxe|excl\.?\s*btw",
    re.IGNORECASE,
)
_PAID = re.compile(
    r"(?<![a-z])(cash|efectivo|tendered|tender|entregado|received|recibido|paid|pagado|payment|pago|gegeben|bar)(?![a-z])", re.IGNORECASE
)
_CHANGE = re.compile(r"(?<![a-z])(change|cambio|vuelto|devoluci[oó]n|r[üu]ckgeld|zur[üu]ck)(?![a-z])", re.IGNORECASE)
_ROUNDING = re.compile(r"(?<![a-z])round|redondeo|rundung", re.IGNORECASE)
_TAX_ONLY = re.compile(r"(?<![a-z])(tax|gst|vat|iva|igic|mwst|ust)(?![a-z])", re.IGNORECASE)
_INCLUSIVE = re.compile(r"incl|inclusive|incluid|con\s*iva|with|inkl|brutto", re.IGNORECASE)
_DATE_KEY = re.compile(r"(?<![a-z])(date|dated|fecha|f\.|tarikh|issued|emisi[oó]n|[a-z]*datum)(?![a-z])", re.IGNORECASE)
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
    r"(?<![a-z])(sdn\.?\s*bhd|bhd|berhad|[s5]/b|s\.?\s*l\.?u?|s\.?\s*a\.?|ltd|limited|inc|llc|gmbh|co\.|corp|enterprise|trading)\.?\s*$",
    re.IGNORECASE,
)
_REG_ONLY = re.compile(r"^[\s(\[]*(?:[a-z.]*\s*)?[\d\-/ ]{4,}[a-z]?[\s)\]]*$", re.IGNORECASE)


def _letters_ratio(text: str) -> float:
    stripped = text.replace(" ", "")
    return sum(ch.isalpha() for ch in stripped) / len(stripped) if stripped else 0.0


_REG_IN_BRACKETS = re.compile(r"[(\[][\w\s.:-]*\d{4,}[\w\s.:-]*[)\]]")


def _is_texty(text: str) -> bool:
    """Mostly letters, once a bracketed registration number ('(519537-X)') is set aside."""
    text = _REG_IN_BRACKETS.sub(" ", text)
    return len(re.sub(r"[^A-Za-z0-9À-ÿ]", "", text)) >= 3 and _letters_ratio(text) >= 0.5


# ---------------------------------------------------------------- dates
@dataclass(frozen=True)
class _DateCandidate:
    match: DateMatch
    row: Row
    score: float


def extract_date(rows: Sequence[Row], *, default_day_first: bool = True) -> Found | None:
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
    return _field(m.value.isoformat(), certainty, lines, raw=m.raw)


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


_WHOLE_AMOUNT = re.compile(r"(?:₹|€|\$|£|\b(?:rs\.?|rm|eur|usd|inr|gbp|myr))\s*(?P<v>\d{1,3}(?:,\d{3})+|\d+)(?![\d.,]\d)", re.IGNORECASE)


def _whole_amounts(text: str) -> list[AmountMatch]:
    """Amounts without decimals, only right after a currency mark ('Grand Total Rs 1939')."""
    return [AmountMatch(Decimal(m["v"].replace(",", "")), m.start("v"), m.end("v"), m.group(0)) for m in _WHOLE_AMOUNT.finditer(text)
            if Decimal(m["v"].replace(",", "")) > 0]


def _rounded_total(rows: Sequence[Row], rounding_at: list[int], total: Decimal) -> tuple[Row, AmountMatch] | None:
    """After a rounding row, an amount a few cents from the total (and not the rounding itself) is the rounded
    total that was paid ('Rounding RM 42.35' under 'Total Sales 42.33')."""
    if not rounding_at:
        return None
    for row in rows[rounding_at[0] : rounding_at[0] + 4]:
        if _CHANGE.search(row.text):
            continue
        for a in reversed(_row_amounts(row)):
            if a.value != total and abs(a.value - total) <= Decimal("0.05") and a.value > Decimal("0.10"):
                return row, a
    return None


def extract_total(rows: Sequence[Row]) -> Found | None:
    """The amount on, or right under, a row with a total keyword (subtotal, tax, change, cash, discount and
    quantity rows do not count). Among the strongest keywords it prefers, in order: the amount that equals
    tendered minus change; after a rounding row, the first total below it (the rounded amount is what is paid);
    else the largest. Without any keyword: the largest amount seen at least twice, at a lower confidence."""
    candidates: list[tuple[Decimal, float, int, Row, AmountMatch]] = []
    for i, row in enumerate(rows):
        strength = _total_strength(row.text)
        if not strength:
            continue
        amounts = [a for a in _row_amounts(row) if a.value > 0] or _whole_amounts(row.text)
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
        strong = [c for c in candidates if c[1] >= top - 0.15]  # a strong keyword beats a plain TOTAL
        paid = _payment_total(rows)
        rounding_at = [i for i, row in enumerate(rows) if _ROUNDING.search(row.text) and not _total_strength(row.text)]
        after_rounding = [c for c in candidates if rounding_at and c[2] > rounding_at[0]]
        if paid is not None and any(c[0] == paid for c in candidates):
            best, certainty = next(c for c in candidates if c[0] == paid), 1.0
        elif after_rounding:
            best, certainty = min(after_rounding, key=lambda c: c[2]), 0.95
        else:
            best, certainty = max(strong, key=lambda c: (c[0], c[1])), 1.0
            rounded = _rounded_total(rows, rounding_at, best[0])
            if rounded is not None:
                row, match = rounded
                line = row.line_at(match.start, match.end)
                return _field(match.text, 0.9 * best[1], [line], raw=line.text)
        value, strength, _, row, match = best
        line = row.line_at(match.start, match.end)
        return _field(match.text, certainty * strength, [line], raw=line.text)
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
    return _field(match.text, 0.5, [line], raw=line.text)


# ---------------------------------------------------------------- merchant / vendor
def _header_rows(rows: Sequence[Row]) -> list[Row]:
    return [row for row in rows if row.page == rows[0].page] if rows else []


def _clean_name(text: str) -> str:
    """Drop what printers put around a trading name: a leading store/receipt number, a trailing
    registration number in brackets."""
    text = re.sub(r"^[#*\W]*\d{3,}\s+", "", text)
    text = re.sub(r"\s*[(\[][\w\s.:-]*\d{4,}[\w\s.:-]*[)\]]\s*$", "", text)
    return text.strip() or text


_LEGAL_SUFFIX = re.compile(
    r"(?<![a-z])(?:sdn\.?\s*bhd|berhad|bhd|[s5]/b|s\.\s*l\.?u?|s\.\s*a\.?|s\.?l\.?u\.?|ltd|limited|inc|llc|gmbh|corp|plc)\.?\s*$",
    re.IGNORECASE,
)


def _could_be_name(text: str) -> bool:
    if not _is_texty(text) or _HEADER_WORDS.search(text) or _CONTACT.search(text) or _BOILERPLATE.search(text):
        return False
    return not (find_dates(text) or find_amounts(text) or _total_strength(text))


def extract_merchant(rows: Sequence[Row]) -> tuple[Found | None, Found | None]:
    """(merchant_name, merchant_address) from the top of the first page."""
    top = _header_rows(rows)[:12]
    names = [i for i, row in enumerate(top) if _could_be_name(row.text.strip())]
    if not names:
        return None, None
    # the legal name (SDN BHD, S.L., LTD ...) near the top is the merchant, even under a brand or a greeting
    legal = [i for i in names if i < 8 and _LEGAL_SUFFIX.search(_clean_name(top[i].text))]
    name_at = legal[0] if legal else names[0]
    name_rows = [top[name_at]]
    before = [w for w in _LEGAL_SUFFIX.split(_clean_name(top[name_at].text))[0].split()
              if not re.fullmatch(r"(?i)co\.?|\(m\)|&|and|y|de|und", w)]  # 'CO. (M)' is part of the suffix
    if legal and len(before) <= 1 and name_at - 1 in names and not re.search(r"\d", top[name_at - 1].text):
        name_rows.insert(0, top[name_at - 1])  # 'WESTERN EASTERN' / 'STATIONERY SDN BHD' on two rows
        name_at -= 1
    elif not legal:
        nxt = top[name_at + 1] if name_at + 1 < len(top) else None
        if nxt is not None and _COMPANY_SUFFIX.search(_clean_name(nxt.text)) and not _COMPANY_SUFFIX.search(name_rows[0].text):
            if len(nxt.text) <= 30 and not _CONTACT.search(nxt.text):
                name_rows.append(nxt)
    name_lines = [ln for r in name_rows for ln in r.lines]
    name_text = _clean_name(" ".join(r.text for r in name_rows))
    suffix = bool(legal) or any(_COMPANY_SUFFIX.search(_clean_name(r.text)) for r in name_rows)
    name = _field(name_text, 1.0 if suffix else 0.8, name_lines, raw=" ".join(r.text for r in name_rows))

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
        address = _field(" ".join(r.text for r in address_rows), 0.8, lines)
    return name, address


# ---------------------------------------------------------------- invoice number
_INVOICE_NO = re.compile(
    r"(?<![a-z])(?:invoice|inv|factura|facture|factuur|rechnung|bill|receipt|recibo|document|doc|ticket|booking|n[uú]mero\s*de\s*factura)\.?\s*"
    r"(?:nummer|number|no|num|n[uú]mero|nr|nº|n°|n\.?º?|#|id)?\.?\s*(?:de\s*factura)?\s*[:#.]?\s*(?P<value>[A-Z0-9][A-Z0-9\-/_.]{2,})",
    re.IGNORECASE,
)
_INVOICE_LABEL = re.compile(
    r"(?<![a-z])(?:invoice|inv|factura|bill|receipt|recibo)\.?\s*(?:no|num|number|n[uú]mero|nº|n°|#)\.?\s*[:#]?\s*$",
    re.IGNORECASE,
)


def extract_invoice_number(rows: Sequence[Row]) -> Found | None:
    """A code with a digit after INVOICE NO / Nº FACTURA (on the same row, else on the row below)."""
    for i, row in enumerate(rows):
        for m in _INVOICE_NO.finditer(row.text):
            value = m["value"].strip(".-/")
            if any(ch.isdigit() for ch in value) and not find_dates(value):
                lines = row.lines_between(m.start("value"), m.end("value"))
                return _field(value, 1.0, lines, raw=row.text)
        for s, e, line in row.spans:
            if _INVOICE_LABEL.search(line.text) and i + 1 < len(rows):
                token = rows[i + 1].text.split(" ")[0]
                if any(ch.isdigit() for ch in token):
                    first = rows[i + 1].lines[0]
                    return _field(token, 0.85, [first], raw=first.text)
    return None


_VENDOR_LABEL = re.compile(r"^(?:from|vendor|supplier|seller|sold\s*by|proveedor|emisor|vendedor|de)\s*:\s*(?P<v>.+)$", re.IGNORECASE)


def extract_vendor(rows: Sequence[Row]) -> Found | None:
    for row in rows:
        m = _VENDOR_LABEL.match(row.text)
        if m and _is_texty(m["v"]):
            return _field(m["v"].strip(), 1.0, row.lines, raw=row.text)
    name, _ = extract_merchant(rows)
    return name


# ---------------------------------------------------------------- forms
_KEY_COLON = re.compile(r"^(?P<key>[^:]{1,40}?)\s*:\s*(?P<value>.*)$")


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower().strip()).strip("_")
    return slug or "field"


_COLON = re.compile(r":(?!\d\d)")


def _inline_pairs(text: str) -> list[tuple[str, str, int, int]]:
    """'Key: value  Other key: value' in one recognised line -> [(key, value, key_start, value_end)]. The first key
    starts the line (up to 6 words); a later key is the word before its colon (two when the first is short, 'R&D
    Group'), since the words before it end the previous value."""
    colons = [m.start() for m in _COLON.finditer(text)]
    keys: list[tuple[int, int]] = []  # (key start, colon position)
    for c in colons:
        head = text[:c]
        words = list(re.finditer(r"\S+", head))
        if not words:
            continue
        if not keys and len(words) <= 6 and _letters_ratio(head) >= 0.6:
            keys.append((words[0].start(), c))
            continue
        if keys and words[-1].start() <= keys[-1][1]:
            continue
        first = len(words) - 1
        if first > 0 and len(words[first - 1].group(0)) <= 4 and words[first - 1].start() > (keys[-1][1] if keys else -1):
            first -= 1
        key_text = text[words[first].start() : c]
        if _letters_ratio(key_text) >= 0.6 and re.match(r"[A-Za-zÀ-ÿ#(]", key_text):
            keys.append((words[first].start(), c))
    out = []
    for k, (ks, c) in enumerate(keys):
        value_end = keys[k + 1][0] if k + 1 < len(keys) else len(text)
        out.append((text[ks:c].strip(), text[c + 1 : value_end].strip(), ks, value_end))
    return out


def _continuation(rows: Sequence[Row], i: int, key_line: OcrLine, used: set[int]) -> list[OcrLine]:
    """Lines under a value that carry on its text: single lines starting right of the key's left edge, one line
    height apart at most, without a key of their own."""
    out: list[OcrLine] = []
    height = key_line.bbox[3] - key_line.bbox[1]
    last = key_line
    for row in rows[i + 1 : i + 10]:
        free = [ln for ln in row.lines if ln.index not in used]
        if row.page != key_line.page or len(free) != 1 or len(row.lines) != 1:
            break
        line = free[0]
        if line.bbox[1] - last.bbox[3] > 0.8 * height or line.bbox[0] < key_line.bbox[0] - height or _COLON.search(line.text):
            break
        out.append(line)
        last = line
    return out


def extract_key_values(rows: Sequence[Row]) -> list[KeyValuePair]:
    """Key/value pairs: 'Key: value' (several in one box, a value carried on over the lines under it); 'Key:' with
    the value in the box to its right or right under it; a short label with one value box to its right."""
    pairs: list[KeyValuePair] = []
    used: set[int] = set()
    for i, row in enumerate(rows):
        for j, line in enumerate(row.lines):
            if line.index in used:
                continue
            inline = _inline_pairs(line.text)
            if not inline:
                continue
            used.add(line.index)
            for n, (key, value, _, _) in enumerate(inline):
                value_lines: list[OcrLine] = []
                last = n == len(inline) - 1
                if not value and last and j + 1 < len(row.lines) and row.lines[j + 1].index not in used:
                    value_lines = [row.lines[j + 1]]
                elif not value and last and i + 1 < len(rows) and rows[i + 1].page == row.page:
                    below = [ln for ln in rows[i + 1].lines if ln.bbox[0] < line.bbox[2] and line.bbox[0] < ln.bbox[2]]
                    if below and below[0].index not in used and not _inline_pairs(below[0].text):
                        value_lines = [below[0]]
                elif value and last:
                    value_lines = _continuation(rows, i, line, used)
                    value = " ".join([value, *(ln.text for ln in value_lines)])
                    value_lines = [line, *value_lines]
                if value_lines and not value:
                    value = " ".join(ln.text for ln in value_lines)
                used.update(ln.index for ln in value_lines)
                if not value:
                    continue
                conf = min([line.confidence, *(ln.confidence for ln in value_lines)])
                pairs.append(
                    KeyValuePair(
                        key=key,
                        value=value,
                        confidence=conf,
                        key_bbox=line.bbox,
                        value_bbox=_union(ln.bbox for ln in value_lines) if value_lines else line.bbox,
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


# ---------------------------------------------------------------- subtotal, tax, time, tax id, payment, line items
_SUBTOTAL = re.compile(
    rf"sub\s*-?\s*{_T}|base\s*imponible|zwischensumme|importe\s*neto|{_T}\s*(?:excl|excluding|before\s*tax|sin\s*iva|sales\s*\(?excl)|"
    r"net\s*amount|(?<![a-z])netto(?![a-z])",
    re.IGNORECASE,
)
_TAX_ROW = re.compile(r"(?<![a-z])(tax|gst|vat|iva|igic|mwst|ust|sst|cuota)(?![a-z])", re.IGNORECASE)
_TIME_KEY = re.compile(r"(?<![a-z])(time|hora|zeit|uhrzeit)(?![a-z])", re.IGNORECASE)


def _last_amount(row: Row) -> AmountMatch | None:
    amounts = _row_amounts(row)
    return amounts[-1] if amounts else None


def extract_subtotal(rows: Sequence[Row]) -> Found | None:
    """The amount on a SUBTOTAL / BASE IMPONIBLE / ZWISCHENSUMME row."""
    for row in rows:
        if _SUBTOTAL.search(row.text):
            match = _last_amount(row)
            if match is not None and match.value >= 0:
                line = row.line_at(match.start, match.end)
                return _field(match.text, 1.0, [line], raw=row.text)
    return None


def extract_tax(rows: Sequence[Row]) -> Found | None:
    """The tax amount: the last amount of a TAX / GST / VAT / IVA / MwSt row that is not a total including tax,
    a subtotal or a tax-registration row. A 'total tax' row wins over a rate row."""
    best: tuple[float, Row, AmountMatch] | None = None
    for row in rows:
        text = row.text
        if not _TAX_ROW.search(text) or _SUBTOTAL.search(text) or _total_strength(text) or _CONTACT.search(text):
            continue
        if re.search(r"(?i)\b(no|reg|id|nr|number|n[ºo°])\b[.:]?\s*\d", text):
            continue
        match = _last_amount(row)
        if match is None or match.value < 0:
            continue
        score = 1.0 if re.search(rf"(?i){_T}", text) else 0.85
        if best is None or score > best[0]:
            best = (score, row, match)
    if best is None:
        return None
    score, row, match = best
    return _field(match.text, score, [row.line_at(match.start, match.end)], raw=row.text)


def extract_time(rows: Sequence[Row]) -> Found | None:
    """A clock time, preferring one on the date row or after TIME / HORA."""
    best: tuple[float, Row, TimeMatch] | None = None
    for row in rows:
        for m in find_times(row.text):
            score = 1.0 if (_DATE_KEY.search(row.text) or find_dates(row.text) or _TIME_KEY.search(row.text)) else 0.7
            if best is None or score > best[0]:
                best = (score, row, m)
    if best is None:
        return None
    score, row, m = best
    return _field(m.value, score, row.lines_between(m.start, m.end), raw=m.raw)


def extract_tax_id(rows: Sequence[Row]) -> Found | None:
    """The issuer's tax id: after a tax-id keyword, or a NIF/CIF/NIE shape; the first on the page (the issuer's
    header comes before the customer's). A failed checksum keeps the value but lowers its evidence and flags it."""
    fallback: tuple[Row, TaxIdMatch] | None = None
    for row in rows:
        m = find_tax_id(row.text)
        if m is None:
            continue
        if m.keyed:
            return _tax_id_found(row, m)
        if fallback is None and m.checksum_valid is not None:
            fallback = (row, m)
    return _tax_id_found(*fallback) if fallback else None


def _tax_id_found(row: Row, m: TaxIdMatch) -> Found:
    found = _field(m.value, 1.0 if m.keyed else 0.7, row.lines_between(m.start, m.end), raw=m.raw)
    if m.checksum_valid is False:
        found.evidence *= 0.4
        found.flags.append("tax_id_checksum_failed")
    elif m.checksum_valid:
        found.flags.append("tax_id_checksum_ok")
    return found


_PAYMENT_METHODS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), name)
    for p, name in (
        (r"(?<![a-z])visa(?![a-z])", "visa"),
        (r"master\s*card|(?<![a-z])mc(?![a-z])", "mastercard"),
        (r"(?<![a-z])amex(?![a-z])|american\s*express", "amex"),
        (r"debit|d[eé]bito|ec[\s-]*karte|girocard|maestro|(?<![a-z])nets(?![a-z])", "debit_card"),
        (r"credit\s*card|cr[eé]dito|tarjeta|(?<![a-z])card(?![a-z])|karte|kartenzahlung", "card"),
        (r"(?<![a-z])(cash|efectivo|contado|bargeld)(?![a-z])|(?<![a-z])bar(?![a-z])(?=.*\d)", "cash"),
        (r"paypal", "paypal"),
    )
)


def extract_payment_method(rows: Sequence[Row]) -> Found | None:
    """How it was paid, from the payment rows under the total (cash, card, visa, ...). Rows above the first
    amount (the merchant's header: 'BAR EL PUERTO') are not payment rows."""
    first_amount = next((i for i, row in enumerate(rows) if _row_amounts(row)), len(rows))
    for row in rows[first_amount:]:
        for pattern, name in _PAYMENT_METHODS:
            m = pattern.search(row.text)
            if m:
                return _field(name, 0.9 if _row_amounts(row) else 0.7, row.lines_between(m.start(), m.end()), raw=row.text)
    return None


_QTY = re.compile(r"^\s*(?P<q>\d{1,3})\s*[xX*@]\s+|\s(?P<q2>\d{1,3})\s*[xX*@]\s*(?=\d)")


def extract_line_items(rows: Sequence[Row], *, stop_at: int | None = None) -> list[LineItem]:
    """Article rows: text then an amount at the end, between the header and the first subtotal/total row."""
    items: list[LineItem] = []
    seen_amount = False
    for i, row in enumerate(rows):
        if stop_at is not None and i >= stop_at:
            break
        text = row.text
        if _SUBTOTAL.search(text) or _total_strength(text) or (seen_amount and _TOTAL.search(text)):
            if seen_amount:
                break
            continue
        amounts = _row_amounts(row)
        if not amounts or _TAX_ROW.search(text) or _PAID.search(text) or _CHANGE.search(text) or _CONTACT.search(text):
            continue
        last = amounts[-1]
        head = text[: amounts[0].start].strip()
        description = re.sub(r"^\s*\d{1,3}\s*[xX*@]\s+", "", head).strip(" :-*")
        if not re.search(r"[A-Za-zÀ-ÿ]{2,}", description) or find_dates(text):
            continue
        seen_amount = True
        q = _QTY.search(text)
        qty = (q["q"] or q["q2"]) if q else None
        line = row.line_at(last.start, last.end)
        desc_lines = row.lines_between(0, max(len(head), 1))
        item = LineItem(
            description=_field(description, 0.8, desc_lines, raw=head).field,
            quantity=_field(qty, 0.8, desc_lines, raw=q.group(0).strip()).field if qty else None,
            unit_price=(_field(amounts[-2].text, 0.7, [row.line_at(amounts[-2].start, amounts[-2].end)], raw=amounts[-2].raw).field
                        if len(amounts) >= 2 else None),
            amount=_field(last.text, 0.9, [line], raw=last.raw).field,
            bbox=row.bbox,
            page=row.page,
        )
        items.append(item)
    return items


# ---------------------------------------------------------------- invoice parties, due date
_DUE_KEY = re.compile(r"due\s*date|payment\s*due|vencimiento|f[aä]llig|zahlbar\s*bis|pay\s*by", re.IGNORECASE)
_CUSTOMER_LABEL = re.compile(
    r"^(?:bill(?:ed)?\s*to|sold\s*to|invoice\s*to|customer(?:\s*name)?|client|cliente|facturar\s*a|destinatario|kunde|rechnung\s*an)\s*[:.]?\s*(?P<v>.*)$",
    re.IGNORECASE,
)


def extract_due_date(rows: Sequence[Row], *, day_first: bool) -> Found | None:
    for row in rows:
        if _DUE_KEY.search(row.text):
            for m in find_dates(row.text, day_first=day_first):
                return _field(m.value.isoformat(), 1.0, row.lines_between(m.start, m.end), raw=m.raw)
    return None


def extract_customer(rows: Sequence[Row]) -> Found | None:
    """The name after BILL TO / CLIENTE (same row, else the row below)."""
    for i, row in enumerate(rows):
        m = _CUSTOMER_LABEL.match(row.text.strip())
        if not m:
            continue
        value = m["v"].strip(" :")
        if _is_texty(value):
            return _field(value, 1.0, row.lines, raw=row.text)
        if i + 1 < len(rows) and _is_texty(rows[i + 1].text):
            return _field(rows[i + 1].text.strip(), 0.85, rows[i + 1].lines)
    return None


# ---------------------------------------------------------------- letters
_SUBJECT = re.compile(r"^(?:subject|re|asunto|ref(?:erencia)?|betreff|objeto)\s*[:.]\s*(?P<v>.+)$", re.IGNORECASE)
_SALUTATION = re.compile(r"^(?:dear|estimad[oa](?:/a)?|querid[oa]|sehr\s*geehrte[r]?|hello|hola)\s+(?P<v>[^,:]+)[,:]?\s*$", re.IGNORECASE)


def extract_subject(rows: Sequence[Row]) -> Found | None:
    for row in rows:
        m = _SUBJECT.match(row.text.strip())
        if m:
            return _field(m["v"].strip(), 1.0, row.lines, raw=row.text)
    return None


def extract_recipient(rows: Sequence[Row]) -> Found | None:
    """The name in the salutation (Dear X, / Estimado/a X,), else the name on a TO / PARA row."""
    for row in rows:
        m = _SALUTATION.match(row.text.strip())
        if m and _is_texty(m["v"]):
            return _field(m["v"].strip(), 0.9, row.lines, raw=row.text)
    for row in rows:
        m = re.match(r"^(?:to|para|an)\s*:\s*(?P<v>.+)$", row.text.strip(), re.IGNORECASE)
        if m and _is_texty(m["v"]):
            return _field(m["v"].strip(), 0.9, row.lines, raw=row.text)
    return None


def extract_sender(rows: Sequence[Row]) -> Found | None:
    """The letterhead: the first text-like row of the page (a name or a company)."""
    for row in _header_rows(rows)[:6]:
        text = row.text.strip()
        if _SALUTATION.match(text) or _SUBJECT.match(text):
            break  # the letterhead is above the salutation and the subject
        if _is_texty(text) and not find_dates(text) and not _CONTACT.search(text):
            return _field(text, 0.7, row.lines)
    return None
