"""Amounts: total, subtotal, tax, payment method and the article rows above them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from iris_common.contract.extraction import LineItem, OcrLine
from ocr_extractor.core.fields.keywords import (
    CARRIED,
    CHANGE,
    CONTACT,
    INCLUSIVE,
    NOT_TOTAL,
    PAID,
    ROUNDING,
    STRONG_TOTAL,
    TAX_ONLY,
    TOTAL,
    TOTAL_WORD,
    cell_below,
)
from ocr_extractor.core.fields.rows import Found, Row, make_found
from ocr_extractor.core.parsing import AmountMatch, find_amounts, find_dates


# ---------------------------------------------------------------- amounts
def _row_amounts(row: Row) -> list[AmountMatch]:
    """Amounts of a row that are not part of a date or a percentage."""
    dates = find_dates(row.text)
    return [a for a in find_amounts(row.text) if not any(a.start < d.end and d.start < a.end for d in dates)]


# the tax a total includes, printed under it: 'TOTAL INCLUDES 6% GST OF 0.68', 'GST @6% included in total'
_TAX_IN_TOTAL = re.compile(rf"{TOTAL_WORD}\s*includes?(?![a-z])|includ(?:ed|es)\s*in\s*(?:the\s*)?{TOTAL_WORD}", re.IGNORECASE)


def total_strength(text: str) -> float:
    """1.0 strong total keyword, 0.8 plain TOTAL/IMPORTE, 0 otherwise (or an excluded kind of total, a running
    sum carried to the next page, or the tax a total includes)."""
    if CARRIED.search(text) or _TAX_IN_TOTAL.search(text):
        return 0.0
    if STRONG_TOTAL.search(text) and not re.search(r"sub\s*-?\s*t[o0]ta[l1i]|subtotal", text, re.IGNORECASE):
        if TAX_ONLY.search(text) and not INCLUSIVE.search(text):
            return 0.0
        return 1.0
    if not TOTAL.search(text) or NOT_TOTAL.search(text):
        return 0.0
    if TAX_ONLY.search(text) and not INCLUSIVE.search(text):
        return 0.0
    return 0.8


def _payment_total(rows: Sequence[Row]) -> Decimal | None:
    """Amount tendered minus change given, when both rows are readable: what was actually paid."""
    paid = change = None
    for row in rows:
        amounts = [a for a in _row_amounts(row) if a.value > 0]
        if not amounts:
            continue
        if CHANGE.search(row.text):
            change = change if change is not None else amounts[-1].value
        elif PAID.search(row.text) and not total_strength(row.text):
            paid = paid if paid is not None else amounts[-1].value
    if paid is None or change is None or change >= paid:
        return None
    return paid - change


_WHOLE_AMOUNT = re.compile(r"(?:₹|€|\$|£|\b(?:rs\.?|rm|eur|usd|inr|gbp|myr))\s*(?P<v>\d{1,3}(?:,\d{3})+|\d+)(?![\d.,]\d)", re.IGNORECASE)


def _whole_amounts(text: str) -> list[AmountMatch]:
    """Amounts without decimals, only right after a currency mark ('Grand Total Rs 1939')."""
    return [AmountMatch(Decimal(m["v"].replace(",", "")), m.start("v"), m.end("v"), m.group(0)) for m in _WHOLE_AMOUNT.finditer(text)
            if Decimal(m["v"].replace(",", "")) > 0]


_GRAND = re.compile(rf"grand\s*{TOTAL_WORD}", re.IGNORECASE)


def _grand_whole(row: Row) -> list[AmountMatch]:
    """A whole number alone in the last cell of a GRAND TOTAL row ('Grand Total | 1108'): receipts that print
    their prices without decimals print the grand total so too."""
    key = _GRAND.search(row.text)
    start, end, line = row.spans[-1]
    m = re.fullmatch(r"\s*(\d{1,3}(?:,\d{3})+|\d{1,7})\s*", line.text)
    if key is None or m is None or start < key.end() or int(m[1].replace(",", "")) == 0:
        return []
    return [AmountMatch(Decimal(m[1].replace(",", "")), start + m.start(1), start + m.end(1), m[1])]


def _rounded_total(rows: Sequence[Row], rounding_at: list[int], total: Decimal) -> tuple[Row, AmountMatch] | None:
    """After a rounding row, an amount a few cents from the total (and not the rounding itself) is the rounded
    total that was paid ('Rounding RM 42.35' under 'Total Sales 42.33')."""
    if not rounding_at:
        return None
    for row in rows[rounding_at[0] : rounding_at[0] + 4]:
        if CHANGE.search(row.text):
            continue
        for a in reversed(_row_amounts(row)):
            if a.value != total and abs(a.value - total) <= Decimal("0.05") and a.value > Decimal("0.10"):
                return row, a
    return None


def extract_total(rows: Sequence[Row], *, whole_grand_total: bool = False) -> Found | None:
    """The amount on, or right under, a row with a total keyword (subtotal, tax, change, cash, discount and
    quantity rows do not count). Among the strongest keywords it prefers, in order: the amount that equals
    tendered minus change; after a rounding row, the first total below it (the rounded amount is what is paid);
    else the largest. Without any keyword: the largest amount seen at least twice, at a lower confidence.
    `whole_grand_total` (receipts): a GRAND TOTAL row's amount may be a whole number alone in its last cell (an
    invoice's or an order's 'Grand Total | 24' may count spots)."""
    candidates: list[tuple[Decimal, float, int, Row, AmountMatch]] = []
    for i, row in enumerate(rows):
        strength = total_strength(row.text)
        if not strength:
            continue
        amounts = [a for a in _row_amounts(row) if a.value > 0] or _whole_amounts(row.text) or (
            _grand_whole(row) if whole_grand_total else [])
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
        rounding_at = [i for i, row in enumerate(rows) if ROUNDING.search(row.text) and not total_strength(row.text)]
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
                return make_found(match.text, 0.9 * best[1], [line], raw=line.text)
        value, strength, _, row, match = best
        line = row.line_at(match.start, match.end)
        return make_found(match.text, certainty * strength, [line], raw=line.text)
    return _unlabelled_total(rows)


# ad-buy invoices and orders print the gross amount (what the advertiser is billed) beside the net amount
# (after the agency's commission): 'Gross Total $10,910.00' / 'Net Total $9,273.50'; gross ratings are no amount
_GROSS = re.compile(r"(?<![a-z])(?:gross|brutto|bruto)(?![a-z])(?!\s*(?:rating|impression|point|grp|weight|profit|margin))",
                    re.IGNORECASE)


_TOTALS_ROW = re.compile(rf"^\W*(?:grand\s*)?{TOTAL_WORD}(?:e?s)?(?![a-z])", re.IGNORECASE)


def _gross_column(rows: Sequence[Row], i: int, header: OcrLine, reach: int = 8) -> Found | None:
    """The amount under a 'Gross Amount' column header: on the column's 'Total(s)' row when it has one (a summary
    table lists months, then their totals), else the first amount under it."""
    first: Found | None = None
    at = i
    for _ in range(reach):
        below = cell_below(rows, at, header, max_rows=1)
        if below is None:
            break
        at, cell = below
        amounts = [a for a in find_amounts(cell.text) if a.value > 0]
        if not amounts:
            break
        found = make_found(amounts[0].text, 0.95, [cell], raw=cell.text)
        found.flags.append("gross_amount")
        if _TOTALS_ROW.match(rows[at].text):
            return found
        first = first or found
    return first


def extract_gross_total(rows: Sequence[Row]) -> Found | None:
    """The amount after GROSS (TOTAL / AMOUNT) on its row, or under a 'Gross Amount' column header (the
    'Totals' row of an order's summary table); the last one of the rows given. An invoice's total when printed,
    since the net beside it is the amount after the agency's commission."""
    found = None
    for i, row in enumerate(rows):
        key = _GROSS.search(row.text)
        if key is None or CHANGE.search(row.text):
            continue
        amounts = [a for a in _row_amounts(row) if a.value > 0 and a.start >= key.end()] or [
            a for a in _whole_amounts(row.text) if a.start >= key.end()]
        header = next((ln for ln in row.lines if _GROSS.search(ln.text) and not find_amounts(ln.text)), None)
        if len(row.lines) > 2 and header is not None and not any(a.start >= key.end() for a in find_amounts(row.text)):
            column = _gross_column(rows, i, header)  # a column header over the amounts
            if column is not None:
                found = column
            continue
        if amounts:
            match = amounts[0]
            line = row.line_at(match.start, match.end)
            found = make_found(match.text, 1.0, [line], raw=line.text)
            found.flags.append("gross_amount")
    return found


def _unlabelled_total(rows: Sequence[Row]) -> Found | None:
    """Without any total keyword: the largest amount seen at least twice (else the largest), at a lower
    confidence, and only if it can be a total: not less than the sum of the article rows printed above it. A
    price that merely repeats an article's price ('2 COPA 4,00' ... '4,00') is not; then the largest amount is,
    when it is the sum of the articles above it (a total printed without its keyword)."""
    counts: dict[Decimal, list[tuple[int, Row, AmountMatch]]] = {}
    for i, row in enumerate(rows):
        if CHANGE.search(row.text):
            continue
        for a in _row_amounts(row):
            if a.value > 0:
                counts.setdefault(a.value, []).append((i, row, a))
    if not counts:
        return None
    repeated = [v for v, hits in counts.items() if len(hits) > 1]
    value = max(repeated) if repeated else max(counts)
    if _articles_above(rows, counts[value][-1][0], value) > value + Decimal("0.01"):
        # an article's price printed twice: the largest amount, if it is the sum of the articles above it
        value = max(counts)
        if abs(_articles_above(rows, counts[value][-1][0], value) - value) > Decimal("0.01"):
            return None
    _, row, match = counts[value][0]
    line = row.line_at(match.start, match.end)
    return make_found(match.text, 0.5, [line], raw=line.text)


def _articles_above(rows: Sequence[Row], last: int, value: Decimal) -> Decimal:
    """The sum of the article rows' prices above row `last` (rows of words ending in an amount other than `value`)."""
    articles = Decimal(0)
    for row in rows[:last]:
        amounts = [a for a in _row_amounts(row) if a.value > 0]
        if (amounts and amounts[-1].value != value and re.search(r"[^\W\d_]{3,}", row.text) and not total_strength(row.text)
                and not NOT_TOTAL.search(row.text) and not TAX_ONLY.search(row.text)):
            articles += amounts[-1].value
    return articles




_SUBTOTAL = re.compile(
    rf"sub\s*-?\s*{TOTAL_WORD}|base\s*imponible|zwischensumme|importe\s*neto|{TOTAL_WORD}\s*(?:excl|excluding|before\s*tax|sin\s*iva|sales\s*\(?excl)|"
    r"net\s*amount|(?<![a-z])netto(?![a-z])",
    re.IGNORECASE,
)
_TAX_ROW = re.compile(r"(?<![a-z])(tax|gst|vat|iva|igic|mwst|ust|sst|cuota)(?![a-z])", re.IGNORECASE)
def _last_amount(row: Row) -> AmountMatch | None:
    amounts = _row_amounts(row)
    return amounts[-1] if amounts else None


def extract_subtotal(rows: Sequence[Row]) -> Found | None:
    """The amount on a SUBTOTAL / BASE IMPONIBLE / ZWISCHENSUMME row."""
    for row in rows:
        if _SUBTOTAL.search(row.text) and not CARRIED.search(row.text):
            match = _last_amount(row)
            if match is not None and match.value >= 0:
                line = row.line_at(match.start, match.end)
                return make_found(match.text, 1.0, [line], raw=row.text)
    return None


def extract_tax(rows: Sequence[Row]) -> Found | None:
    """The tax amount: the last amount of a TAX / GST / VAT / IVA / MwSt row that is not a total including tax,
    a subtotal or a tax-registration row. A 'total tax' row wins over a rate row."""
    best: tuple[float, Row, AmountMatch] | None = None
    for row in rows:
        text = row.text
        if not _TAX_ROW.search(text) or _SUBTOTAL.search(text) or total_strength(text) or CONTACT.search(text):
            continue
        if re.search(r"(?i)\b(no|reg|id|nr|number|n[ºo°])\b[.:]?\s*\d", text):
            continue
        match = _last_amount(row)
        if match is None or match.value < 0:
            continue
        score = 1.0 if re.search(rf"(?i){TOTAL_WORD}", text) else 0.85
        if best is None or score > best[0]:
            best = (score, row, match)
    if best is None:
        return None
    score, row, match = best
    return make_found(match.text, score, [row.line_at(match.start, match.end)], raw=row.text)




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
                return make_found(name, 0.9 if _row_amounts(row) else 0.7, row.lines_between(m.start(), m.end()), raw=row.text)
    return None


_QTY = re.compile(r"^\s*(?P<q>\d{1,3})\s*[xX*@]\s+|\s(?P<q2>\d{1,3})\s*[xX*@]\s*(?=\d)")


def extract_line_items(rows: Sequence[Row], *, stop_at: int | None = None) -> list[LineItem]:
    """Article rows of one page: text then an amount at the end, between the header and the first subtotal/total
    row ('carried forward' rows skipped). `core.document` runs it page by page."""
    items: list[LineItem] = []
    seen_amount = False
    for i, row in enumerate(rows):
        if stop_at is not None and i >= stop_at:
            break
        text = row.text
        if CARRIED.search(text):  # 'Carried forward 1.234,00' at a page foot, 'Brought forward' at the next head
            continue
        if _SUBTOTAL.search(text) or total_strength(text) or (seen_amount and TOTAL.search(text)):
            if seen_amount:
                break
            continue
        amounts = _row_amounts(row)
        if not amounts or _TAX_ROW.search(text) or PAID.search(text) or CHANGE.search(text) or CONTACT.search(text):
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
            description=make_found(description, 0.8, desc_lines, raw=head).field,
            quantity=make_found(qty, 0.8, desc_lines, raw=q.group(0).strip()).field if qty else None,
            unit_price=(make_found(amounts[-2].text, 0.7, [row.line_at(amounts[-2].start, amounts[-2].end)], raw=amounts[-2].raw).field
                        if len(amounts) >= 2 else None),
            amount=make_found(last.text, 0.9, [line], raw=last.raw).field,
            bbox=row.bbox,
            page=row.page,
        )
        items.append(item)
    return items
