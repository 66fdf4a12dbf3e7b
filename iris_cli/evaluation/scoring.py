"""Scoring rules of `iris eval`: how a predicted value is compared with a label, and the measures built on it.

The rules are independent of the extractor's own parsers on purpose: an evaluation that reads the ground truth
with the code under test would share its bugs. They are documented in docs/evaluation.md.
"""

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Literal

from dateutil import parser as date_parser

from iris_common.reliability import ReliabilityBin, expected_calibration_error, reliability_bins

FieldKind = Literal["text", "date", "amount"]
MatchMode = Literal["exact", "contains", "alnum", "digits"]
# exact: after the set's text rules; contains: the label inside the prediction; alnum: letters and digits only
# (VRDU's rule for names); digits: digits only (VRDU's rule for DeepForm contract numbers)

DATE_FIELDS = {"date", "due_date", "invoice_date", "issue_date", "period_start", "period_end"}
AMOUNT_FIELDS = {"total", "subtotal", "tax", "amount", "unit_price", "total_amount", "tip"}
LIGHT_PUNCTUATION = ".,;:'\"-"  # SROIE Task 3 removes these before comparing company and address
EDGE_PUNCTUATION = " .,;:'\"-_*#()[]"

# Month names and abbreviations a label may use, mapped to English for dateutil (Spanish, German, Dutch, French).
_MONTHS = {
    "ene": "jan", "enero": "jan", "feb": "feb", "febrero": "feb", "mar": "mar", "marzo": "mar", "abr": "apr", "abril": "apr",
    "may": "may", "mayo": "may", "jun": "jun", "junio": "jun", "jul": "jul", "julio": "jul", "ago": "aug", "agosto": "aug",
    "sep": "sep", "sept": "sep", "septiembre": "sep", "set": "sep", "oct": "oct", "octubre": "oct", "nov": "nov",
    "noviembre": "nov", "dic": "dec", "diciembre": "dec",
    "januar": "jan", "jän": "jan", "februar": "feb", "märz": "mar", "mrz": "mar", "mai": "may", "juni": "jun", "juli": "jul",
    "okt": "oct", "oktober": "oct", "dez": "dec", "dezember": "dec",
    "januari": "jan", "februari": "feb", "maart": "mar", "mei": "may", "augustus": "aug", "okt.": "oct",
}


def field_kind(name: str) -> FieldKind:
    """Dates and amounts are recognised by field name, the same names the extractor's schemas use."""
    if name in DATE_FIELDS or name.endswith("_date"):
        return "date"
    if name in AMOUNT_FIELDS or name.endswith(("_amount", "_total")):
        return "amount"
    return "text"


@dataclass(frozen=True)
class TextRules:
    """Per-set text comparison options on top of NFKC + case folding + whitespace collapsing."""

    remove_spaces: bool = False  # WildReceipt labels had their spaces removed upstream; SROIE compares without them
    remove_punctuation: bool = False  # SROIE: . , ; : ' " -


def normalise_text(text: str, rules: TextRules = TextRules()) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    if rules.remove_punctuation:
        text = text.translate({ord(c): " " for c in LIGHT_PUNCTUATION})
    text = " ".join(text.split())
    return text.replace(" ", "") if rules.remove_spaces else text


def parse_date(text: str | None, day_first: bool = True) -> date | None:
    """A calendar date from a label or a prediction, or None when it does not name one completely.

    ISO and other year-first forms are read year-first whatever the locale; otherwise `day_first` (from the set's
    locale) decides 01/02 vs 02/01; a day above 12 wins over the locale. Letters and digits are split
    (`17May15`, `Apr01'18`), Spanish / German / Dutch month names are understood. A date missing its day or year
    (different fill-ins give different answers) is None.
    """
    if not text:
        return None
    s = unicodedata.normalize("NFKC", text).casefold().strip()
    s = re.sub(r"(?<=[a-zñäöüé])(?=\d)|(?<=\d)(?=[a-zñäöüé])", " ", s)
    s = re.sub(r"[',]", " ", s)
    s = re.sub(r"[a-zñäöüé.]+", lambda m: _MONTHS.get(m.group(0), _MONTHS.get(m.group(0).rstrip("."), m.group(0))), s)
    year_first = bool(re.match(r"^\s*\d{4}\s*[-/.]", s))
    results = []
    for default in (date(2001, 1, 1), date(2002, 12, 28)):
        try:
            parsed = date_parser.parse(s, dayfirst=day_first and not year_first, yearfirst=year_first, fuzzy=True,
                                       default=_as_datetime(default))
        except (ValueError, OverflowError, TypeError):
            return None
        results.append(parsed.date())
    return results[0] if results[0] == results[1] else None


def _as_datetime(d: date):  # noqa: ANN202 - dateutil wants a datetime default
    from datetime import datetime

    return datetime(d.year, d.month, d.day)


_CURRENCY = re.compile(r"[^\W\d_]+\.?|[€$£₹¥]")  # words (EUR, RM, Rs., zł, TOTAL) and currency symbols


def parse_amount(text: str | None, decimal_comma: bool | None = None) -> Decimal | None:
    """A number from an amount as printed: currency symbols and codes dropped, decimal comma or point.

    With both separators the last one is the decimal mark; a single separator followed by one or two digits is
    decimal, by three digits a thousands separator, unless `decimal_comma` says which one the set uses.
    """
    if text is None:
        return None
    s = _CURRENCY.sub("", unicodedata.normalize("NFKC", str(text))).replace(" ", "").strip("*:=")
    negative = s.startswith("-") or s.endswith("-")
    s = s.strip("-+")
    if not re.fullmatch(r"[\d.,']+", s or "x") or not re.search(r"\d", s):
        return None
    s = s.replace("'", "")
    if "," in s and "." in s:
        decimal_mark = "," if s.rfind(",") > s.rfind(".") else "."
    elif "," in s or "." in s:
        mark = "," if "," in s else "."
        tail = s.rsplit(mark, 1)[1]
        if s.count(mark) > 1:
            decimal_mark = None if len(tail) == 3 else mark
        elif len(tail) == 3 and decimal_comma is not None:
            decimal_mark = mark if (mark == ",") == decimal_comma else None
        else:
            decimal_mark = None if len(tail) == 3 else mark
    else:
        decimal_mark = None
    if decimal_mark:
        whole, frac = s.rsplit(decimal_mark, 1)
        s = re.sub(r"[.,]", "", whole) + "." + frac
    else:
        s = re.sub(r"[.,]", "", s)
    try:
        value = Decimal(s)
    except InvalidOperation:
        return None
    return -value if negative else value


@dataclass(frozen=True)
class Comparator:
    """How one document's values compare: its set's text rules and locale. `day_first` None means the set mixes
    locales without saying which: an ambiguous date label (06/05/13) then accepts either reading."""

    text_rules: TextRules = TextRules()
    day_first: bool | None = True
    decimal_comma: bool | None = None
    amount_tolerance: Decimal = Decimal(0)  # VRDU: amounts equal within 0.01

    def canonical(self, value: str | None, kind: FieldKind) -> object | None:
        """The comparable form of a value, or None when it cannot be read as its kind."""
        if value is None:
            return None
        if kind == "date":
            return parse_date(value, self.day_first is not False)
        if kind == "amount":
            return parse_amount(value, self.decimal_comma)
        return normalise_text(value, self.text_rules) or None

    def readings(self, value: str | None, kind: FieldKind) -> set[object]:
        if kind == "date" and self.day_first is None and value is not None:
            return {d for d in (parse_date(value, True), parse_date(value, False)) if d is not None}
        canonical = self.canonical(value, kind)
        return set() if canonical is None else {canonical}

    def matches(self, predicted: str | None, truths: list[str], kind: FieldKind, mode: MatchMode = "exact") -> bool:
        if kind == "text" and mode in ("alnum", "digits"):
            return _reduced(predicted, mode) is not None and _reduced(predicted, mode) in {_reduced(t, mode) for t in truths}
        got = self.readings(predicted, kind)
        for truth in truths:
            want = self.readings(truth, kind)
            if got & want:
                return True
            if kind == "amount" and self.amount_tolerance and any(
                    abs(g - w) <= self.amount_tolerance for g in got for w in want):  # type: ignore[operator]
                return True
            if mode == "contains" and kind == "text" and any(str(w) in str(g) for w in want for g in got):
                return True
        return False


def _reduced(value: str | None, mode: MatchMode) -> str | None:
    """Only the letters and digits (alnum) or only the digits (digits) of a value, case-folded; None when empty."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).casefold()
    kept = re.sub(r"\D", "", text) if mode == "digits" else "".join(c for c in text if c.isalnum())
    return kept or None


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: "Counts") -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score_field(predicted: str | None, truths: list[str] | None, kind: FieldKind, comparator: Comparator,
                mode: MatchMode = "exact") -> Counts:
    """One labelled field of one document. `truths` lists the acceptable values ([] = the label says the field is
    absent). Missing or null prediction of a present field: FN. Wrong value: FP + FN. Value for an absent field: FP."""
    has_prediction = predicted is not None and str(predicted).strip() != ""
    if truths:
        if not has_prediction:
            return Counts(fn=1)
        return Counts(tp=1) if comparator.matches(predicted, truths, kind, mode) else Counts(fp=1, fn=1)
    return Counts(fp=1) if has_prediction else Counts()


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions), two-row dynamic programme."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        append = current.append
        for j, cb in enumerate(b, 1):
            append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def similarity(a: str, b: str) -> float:
    """1 - edit distance / length of the longer string; 1.0 for two empty strings."""
    if not a and not b:
        return 1.0
    return 1.0 - edit_distance(a, b) / max(len(a), len(b))


def pair_text(text: str) -> str:
    """Key/value text for pair matching: NFKC, case folding, punctuation at the edges dropped (a label `Date:` and an
    extracted key `Date` are the same key), whitespace removed (FUNSD words split `9/ 3/ 92` where OCR reads `9/3/92`)."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().strip(EDGE_PUNCTUATION).split()).strip(EDGE_PUNCTUATION)


def match_pairs(truth: list[tuple[str, str]], predicted: list[tuple[str, str]], threshold: float = 0.8) -> list[tuple[int, int]]:
    """One-to-one matches (truth index, predicted index) whose key AND value similarities are both >= threshold,
    best total similarity first."""
    t_norm = [(pair_text(k), pair_text(v)) for k, v in truth]
    p_norm = [(pair_text(k), pair_text(v)) for k, v in predicted]
    candidates = []
    for i, (tk, tv) in enumerate(t_norm):
        for j, (pk, pv) in enumerate(p_norm):
            ks = similarity(tk, pk)
            if ks < threshold:
                continue
            vs = similarity(tv, pv)
            if vs >= threshold:
                candidates.append((ks + vs, i, j))
    used_t: set[int] = set()
    used_p: set[int] = set()
    matches = []
    for _, i, j in sorted(candidates, reverse=True):
        if i not in used_t and j not in used_p:
            used_t.add(i)
            used_p.add(j)
            matches.append((i, j))
    return matches



@dataclass
class Calibration:
    ece: float | None
    count: int
    bins: list[ReliabilityBin] = field(default_factory=list)


def calibration(samples: list[tuple[float, bool]], n_bins: int = 10) -> Calibration:
    """Expected calibration error over equal-width confidence bins (`iris_common.reliability`), with the bins."""
    if not samples:
        return Calibration(ece=None, count=0)
    bins = reliability_bins(samples, n_bins)
    return Calibration(ece=expected_calibration_error(bins), count=len(samples), bins=bins)


def reading_order_text(items: list[tuple[str, list[float]]]) -> str:
    """Text of boxes (text, [x0, y0, x1, y1]) in reading order, case-folded, without whitespace: rows grouped by
    vertical overlap of box centres, top to bottom, left to right within a row."""
    boxes = [(t, b) for t, b in items if t and t.strip()]
    boxes.sort(key=lambda tb: (tb[1][1] + tb[1][3]) / 2)
    rows: list[list[tuple[str, list[float]]]] = []
    for text, box in boxes:
        centre, height = (box[1] + box[3]) / 2, max(box[3] - box[1], 1.0)
        if rows:
            row = rows[-1]
            row_centre = sum((b[1] + b[3]) / 2 for _, b in row) / len(row)
            row_height = sum(max(b[3] - b[1], 1.0) for _, b in row) / len(row)
            if abs(centre - row_centre) < 0.5 * min(height, row_height):
                row.append((text, box))
                continue
        rows.append([(text, box)])
    return "".join(ocr_text(t) for row in rows for t, _ in sorted(row, key=lambda tb: tb[1][0]))


def ocr_text(text: str) -> str:
    """What the character error rate compares: NFKC, case folded (SROIE's annotators typed most lines in capitals),
    whitespace removed (transcriptions and engines split words differently)."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def map_box(box: list[float], transform: list[list[float]]) -> list[float]:
    """An axis-aligned box through a 3x3 homography (the bounding box of its four mapped corners)."""
    xs, ys = [], []
    for x, y in ((box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3])):
        w = transform[2][0] * x + transform[2][1] * y + transform[2][2] or 1e-9
        xs.append((transform[0][0] * x + transform[0][1] * y + transform[0][2]) / w)
        ys.append((transform[1][0] * x + transform[1][1] * y + transform[1][2]) / w)
    return [min(xs), min(ys), max(xs), max(ys)]


def _overlap(a: list[float], b: list[float]) -> float:
    """Intersection over the smaller box's area."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / smaller if smaller > 0 else 0.0


@dataclass
class CerCounts:
    edits: int
    chars: int
    aligned_chars: int  # reference characters in a region where the OCR found some text
    extra_chars: int = 0  # OCR text over no reference box (logos, decoration rules the annotators left out)


def aligned_cer(truth: list[tuple[str, list[float]]], ocr: list[tuple[str, list[float]]], min_overlap: float = 0.5) -> CerCounts:
    """Character errors independent of reading order: reference boxes and OCR lines that overlap (by at least half
    of the smaller box) form regions; each region's texts, in reading order, are compared by edit distance. A
    reference box no OCR line covers counts as deleted. OCR lines over no reference box are not errors against the
    transcription (annotators leave out logos and decoration) and are counted apart in `extra_chars`."""
    truth = [(t, b) for t, b in truth if ocr_text(t)]
    ocr = [(t, b) for t, b in ocr if ocr_text(t)]
    parent = list(range(len(truth) + len(ocr)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (_, tb) in enumerate(truth):
        for j, (_, ob) in enumerate(ocr):
            if _overlap(tb, ob) >= min_overlap:
                parent[find(i)] = find(len(truth) + j)
    regions: dict[int, tuple[list, list]] = defaultdict(lambda: ([], []))
    for i, item in enumerate(truth):
        regions[find(i)][0].append(item)
    for j, item in enumerate(ocr):
        regions[find(len(truth) + j)][1].append(item)
    edits = chars = aligned = extra = 0
    for ref_items, ocr_items in regions.values():
        ref, got = reading_order_text(ref_items), reading_order_text(ocr_items)
        if not ref_items:
            extra += len(got)
            continue
        edits += edit_distance(ref, got)
        chars += len(ref)
        aligned += len(ref) if ocr_items else 0
    return CerCounts(edits, chars, aligned, extra)


def sequence_cer(truth: list[str], ocr: list[str]) -> CerCounts:
    """Character errors of two transcriptions given in reading order (labels without boxes)."""
    ref, got = "".join(ocr_text(t) for t in truth), "".join(ocr_text(t) for t in ocr)
    return CerCounts(edit_distance(ref, got), len(ref), len(ref))
