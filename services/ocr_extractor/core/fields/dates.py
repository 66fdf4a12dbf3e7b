"""Dates and times: the document date, its clock time and an invoice's due date."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ocr_extractor.core.fields.keywords import DATE_KEY, NOT_DATE_KEY, cell_below
from ocr_extractor.core.fields.rows import Found, Row, make_found
from ocr_extractor.core.normalise import TimeMatch, find_times
from ocr_extractor.core.parsing import DateMatch, find_dates, resolve_order


# ---------------------------------------------------------------- dates
@dataclass(frozen=True)
class _DateCandidate:
    match: DateMatch
    row: Row
    score: float


def _column_headers(rows: Sequence[Row]) -> dict[int, str]:
    """id(line) -> the header cell printed above it, for rows under a table header row (several cells, no date)."""
    headers: dict[int, str] = {}
    for i, row in enumerate(rows):
        if len(row.lines) < 2 or find_dates(row.text) or not DATE_KEY.search(row.text):
            continue
        for line in row.lines:
            below = cell_below(rows, i, line, max_rows=1)
            if below is not None:
                headers.setdefault(id(below[1]), line.text)
    return headers


# a month name with the recogniser's zero for its O ('0ct30'18', 'N0v 5, 2019'); same length, so spans hold
_ZERO_FOR_O = re.compile(r"(?<![^\W_])(?P<pre>n?)0(?P<post>ct|v)(?=(?:ober|ember)?[\s\d'.,-])", re.IGNORECASE)


def _dates_in(text: str, day_first: bool) -> list[DateMatch]:
    """The dates of a row; if none, those read with a month's zero taken for its O."""
    return find_dates(text, day_first=day_first) or find_dates(
        _ZERO_FOR_O.sub(lambda m: f"{m['pre']}O{m['post']}", text), day_first=day_first)


def extract_date(rows: Sequence[Row], *, default_day_first: bool = True) -> Found | None:
    """The document date: a date on a row with a date keyword (not a due/expiry date), or under a table header
    cell that is one, wins; else the first date. Ambiguous numeric dates follow the order proven by other dates
    of the same document."""
    day_first = resolve_order([row.text for row in rows], default_day_first)
    headers = _column_headers(rows)
    best: _DateCandidate | None = None
    for position, row in enumerate(rows):
        for match in _dates_in(row.text, day_first):
            score = 0.8
            header = headers.get(id(row.line_at(match.start, match.end)))
            if header is not None:  # 'Factuur datum | Vervaldatum' over '8-9-2022 | 22-9-2022'
                score = 0.4 if NOT_DATE_KEY.search(header) else 1.0 if DATE_KEY.search(header) else 0.8
            elif DATE_KEY.search(row.text):
                score = 1.0
            if header is None and NOT_DATE_KEY.search(row.text):
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
    return make_found(m.value.isoformat(), certainty, lines, raw=best.row.text[m.start : m.end])  # as printed




_TIME_KEY = re.compile(r"(?<![a-z])(time|hora|zeit|uhrzeit)(?![a-z])", re.IGNORECASE)


def extract_time(rows: Sequence[Row]) -> Found | None:
    """A clock time, preferring one on the date row or after TIME / HORA."""
    best: tuple[float, Row, TimeMatch] | None = None
    for row in rows:
        for m in find_times(row.text):
            score = 1.0 if (DATE_KEY.search(row.text) or find_dates(row.text) or _TIME_KEY.search(row.text)) else 0.7
            if best is None or score > best[0]:
                best = (score, row, m)
    if best is None:
        return None
    score, row, m = best
    return make_found(m.value, score, row.lines_between(m.start, m.end), raw=m.raw)




_DUE_KEY = re.compile(r"due\s*date|payment\s*due|vencimiento|f[aä]llig|zahlbar\s*bis|pay\s*by|verval|[ée]ch[ée]ance", re.IGNORECASE)


def extract_due_date(rows: Sequence[Row], *, day_first: bool) -> Found | None:
    """A date on a row with a due-date keyword, or under a header cell that is one."""
    for row in rows:
        if _DUE_KEY.search(row.text):
            for m in find_dates(row.text, day_first=day_first):
                return make_found(m.value.isoformat(), 1.0, row.lines_between(m.start, m.end), raw=m.raw)
    for i, row in enumerate(rows):
        for line in row.lines if len(row.lines) > 1 else ():
            below = cell_below(rows, i, line, max_rows=1) if _DUE_KEY.search(line.text) else None
            if below is not None:
                for m in find_dates(below[1].text, day_first=day_first):
                    return make_found(m.value.isoformat(), 0.9, [below[1]], raw=m.raw)
    return None


# ---------------------------------------------------------------- service period (flight dates of an ad buy)
# 'Flight Dates | 02/19/20 - 02/25/20', 'Order Flight', 'Schedule Dates', 'Period:'; an invoicing period is the
# weakest (it is when the bill was cut, not when the service ran)
_PERIOD_KEYS: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"flight(?:\s*dates?)?|campaign\s*(?:dates?|period)|air\s*dates|run\s*dates|service\s*period|"
                r"periodo\s*de\s*(?:servicio|campa[ñn]a)|leistungszeitraum", re.IGNORECASE), 1.0),
    (re.compile(r"schedule(?:d)?\s*dates?|contract\s*dates?|(?<![a-z])dates?\s*(?=:)|(?<![a-z])per[ií]od[oe]?(?![a-z])|zeitraum",
                re.IGNORECASE), 0.9),
)
_BILLING_PERIOD = re.compile(r"(?:invoice|billing|bill|factura(?:ci[oó]n)?|rechnungs)\s*(?:period|periodo|zeitraum)", re.IGNORECASE)
_START_KEY = re.compile(r"(?<![a-z])(?:flight\s*|campaign\s*)?(?:start|begin(?:ning)?|from|desde|inicio)\s*(?:date)?\s*[:#]", re.IGNORECASE)
_END_KEY = re.compile(r"(?<![a-z])(?:flight\s*|campaign\s*)?(?:end|ending|to|thru|until|hasta|fin)\s*(?:date)?\s*[:#]", re.IGNORECASE)
_DATE_TOKEN = re.compile(r"(?<![\d/.])(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4})(?![\d/])")
_RANGE_GAP = re.compile(r"^\s*(?:-|–|—|to|thru|through|until|al|hasta|bis)?\s*$", re.IGNORECASE)


def _date_tokens(text: str, day_first: bool) -> list[tuple[re.Match[str], DateMatch]]:
    """Numeric dates one by one: a range printed without spaces ('04/24/20-05/03/20', '12/30/2019-1/26/2020') is
    two dates, which a search for dates in running text may read as one odd one."""
    out = []
    for m in _DATE_TOKEN.finditer(text):
        found = find_dates(m.group(0), day_first=day_first)
        if found and found[0].start == 0 and found[0].end == len(m.group(0)):
            out.append((m, found[0]))
    return out


def extract_period(rows: Sequence[Row], *, day_first: bool) -> tuple[Found | None, Found | None]:
    """(period_start, period_end): the two dates of a range after a period keyword on the same row (flight dates
    first, then schedule dates / period, an invoicing period last); else dates after 'Start date:' / 'End date:'."""
    order = resolve_order([row.text for row in rows], day_first)
    best: tuple[float, DateMatch, DateMatch, list] | None = None
    for position, row in enumerate(rows):
        for pattern, strength in _PERIOD_KEYS:
            for key in pattern.finditer(row.text):
                score = 0.5 if _BILLING_PERIOD.search(row.text[max(0, key.start() - 12) : key.end()]) else strength
                rest = row.text[key.end() :]
                tokens = _date_tokens(rest, order)
                if len(tokens) < 2:
                    continue
                (m1, a), (m2, b) = tokens[:2]
                if rest[: m1.start()].strip(" :|#.-") or not _RANGE_GAP.match(rest[m1.end() : m2.start()]) or b.value < a.value:
                    continue  # another label or value between the key and the range, or not a range
                score -= 0.0005 * position
                if best is None or score > best[0]:
                    lines = row.lines_between(key.end() + m1.start(), key.end() + m2.end())
                    best = (score, a, b, lines)
    for i, row in enumerate(rows):  # a column header over the range: 'Contract Dates | Estimate #' / '05/12/20 - 05/18/20 | 8260'
        if best is not None or len(row.lines) < 2 or _date_tokens(row.text, order):
            continue
        for line in row.lines:
            strength = next((st for pattern, st in _PERIOD_KEYS if pattern.fullmatch(line.text.strip(" :#"))), None)
            below = cell_below(rows, i, line, max_rows=1) if strength else None
            tokens = _date_tokens(below[1].text, order) if below else []
            if len(tokens) >= 2 and _RANGE_GAP.match(below[1].text[tokens[0][0].end() : tokens[1][0].start()]) \
                    and tokens[1][1].value >= tokens[0][1].value:
                best = (0.9 * strength, tokens[0][1], tokens[1][1], [below[1]])  # type: ignore[operator,index]
                break
    if best is not None:
        score, a, b, lines = best
        evidence = 1.0 if score >= 0.85 else 0.7
        return make_found(a.value.isoformat(), evidence, lines, raw=a.raw), make_found(b.value.isoformat(), evidence, lines, raw=b.raw)
    start = end = None
    for row in rows:
        for key, target in ((_START_KEY, "start"), (_END_KEY, "end")):
            m = key.search(row.text)
            if m is None or (target == "start" and start) or (target == "end" and end):
                continue
            tokens = _date_tokens(row.text[m.end() : m.end() + 24], order)
            if tokens:
                token, match = tokens[0]
                lines = row.lines_between(m.end() + token.start(), m.end() + token.end())
                found = make_found(match.value.isoformat(), 0.8, lines, raw=match.raw)
                start, end = (found, end) if target == "start" else (start, found)
    return start, end
