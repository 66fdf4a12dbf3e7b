"""Normalised values: ISO 8601 dates and times, decimal amounts with their currency, checked tax ids.

Every function takes the text as printed and returns the normalised value or None, so the caller keeps
both (`raw` beside `value`). Date order (day/month) is decided per document by `parsing.resolve_order`
and the document's language; this module only applies it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ocr_extractor.core.parsing import find_amounts, find_dates


def fold_accents(text: str) -> str:
    """'47800 SÉLANGOR' -> '47800 SELANGOR', 'Reçu' -> 'Recu': letters without their accents, case kept."""
    return unicodedata.normalize("NFC", "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch)))

# ---------------------------------------------------------------- currencies
# (pattern, ISO 4217 code); symbols and local abbreviations first, then the codes themselves.
_CURRENCY_TOKENS: tuple[tuple[str, str], ...] = (
    (r"€|\beur(?:os?)?\b", "EUR"),
    (r"£|\bgbp\b", "GBP"),
    (r"₹|\brs\.?(?=\s*\d)|\binr\b|\brupees?\b", "INR"),
    (r"\brm(?=\s*\d)|\brm\b|\bmyr\b|\bringgit\b", "MYR"),
    (r"\busd\b|us\$|\$", "USD"),
)
_CURRENCY_RES = [(re.compile(p, re.IGNORECASE), code) for p, code in _CURRENCY_TOKENS]

# A bare "$" names no country: Malaysian receipts print "$7.10" for ringgit, Singapore, Australia, Canada or Mexico
# their own dollar or peso. The page's own words (a company suffix, a state, the country) say which one; only an
# explicit "USD" / "US$" or nothing at all makes it the US dollar, the latter as a guess.
_EXPLICIT_USD = re.compile(r"\busd\b|us\$", re.IGNORECASE)
_DOLLAR_COUNTRIES: tuple[tuple[str, str], ...] = (
    (r"\bmalaysia\b|\bsdn\.?\s*bhd\b|\bselangor\b|\bjohor\b|\bkuala\s+lumpur\b|\bpulau\s+pinang\b|\bmelaka\b"
     r"|\bnegeri\s+sembilan\b|\bsabah\b|\bsarawak\b|\bpahang\b|\bkedah\b|\bperak\b", "MYR"),
    (r"\bsingapore\b|\bpte\.?\s*ltd\b", "SGD"),
    (r"\baustralia\b|\bpty\.?\s*ltd\b", "AUD"),
    (r"\bcanada\b", "CAD"),
    (r"\bnew\s+zealand\b", "NZD"),
    (r"\bhong\s+kong\b", "HKD"),
    (r"\bm[eé]xico\b|\bs\.\s*a\.\s+de\s+c\.\s*v\b", "MXN"),
)
_DOLLAR_COUNTRY_RES = [(re.compile(p, re.IGNORECASE), code) for p, code in _DOLLAR_COUNTRIES]
CURRENCY_CODES = frozenset(code for _, code in (*_CURRENCY_TOKENS, *_DOLLAR_COUNTRIES))
BARE_DOLLAR_EVIDENCE = 0.5  # "$" and no word of any country: USD, to be reviewed


def currencies_in(text: str) -> list[str]:
    """ISO codes of every currency mark in `text`, in order of appearance."""
    hits: list[tuple[int, str]] = []
    for pattern, code in _CURRENCY_RES:
        hits.extend((m.start(), code) for m in pattern.finditer(text))
    return [code for _, code in sorted(hits)]


def dollar_country(texts: list[str]) -> str | None:
    """The currency of the country the page names most often (see _DOLLAR_COUNTRIES), for its bare "$" marks."""
    counts = Counter(code for text in texts for pattern, code in _DOLLAR_COUNTRY_RES for _ in pattern.finditer(text))
    return counts.most_common(1)[0][0] if counts else None


def document_currency(texts: list[str], language: str | None = None) -> tuple[str | None, float]:
    """(code, evidence) for a whole document: the most frequent mark (a bare "$" read by `dollar_country`); a
    Spanish or German document without any mark is in euros with weaker evidence. Evidence in [0, 1] feeds the
    field's confidence."""
    counts = Counter(code for text in texts for code in currencies_in(text))
    if counts:
        code, n = counts.most_common(1)[0]
        if code == "USD" and not any(_EXPLICIT_USD.search(text) for text in texts):
            local = dollar_country(texts)
            return (local, min(1.0, 0.6 + 0.1 * n)) if local else ("USD", BARE_DOLLAR_EVIDENCE)
        return code, min(1.0, 0.7 + 0.1 * n)
    if language in ("es", "de"):
        return "EUR", 0.5
    return None, 0.0


# ---------------------------------------------------------------- amounts
@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str | None

    @property
    def text(self) -> str:
        return f"{self.value:.2f}"


def normalise_amount(text: str, default_currency: str | None = None) -> Amount | None:
    """'1.234,56 €' / 'RM 1,234.56' / '$12.5' / 'Rs. 1939' -> Amount(Decimal, 'EUR'|...). The last separator
    followed by 1-2 digits is the decimal one; a group of 3 after it is a thousands separator."""
    code = next(iter(currencies_in(text)), default_currency)
    text = re.sub(r"(?<=\d)[ \u00a0'](?=\d{3}(?:[.,]\d{1,2})?(?!\d))", "", text)  # 1 234,56 / 1'234.56
    found = find_amounts(text)
    if found:
        return Amount(found[-1].value, code)
    m = re.search(r"-?\d{1,3}(?:[ .,']\d{3})+(?:[.,]\d{1,2})?|-?\d+(?:[.,]\d{1,2})?", text)
    if not m:
        return None
    token = m.group(0)
    dec = re.search(r"[.,](\d{1,2})$", token)
    whole = token[: dec.start()] if dec else token
    whole = re.sub(r"[ .,']", "", whole)
    try:
        value = Decimal(f"{whole}.{dec.group(1)}") if dec else Decimal(whole)
    except InvalidOperation:
        return None
    return Amount(value, code)


# ---------------------------------------------------------------- dates and times
def normalise_date(text: str, *, day_first: bool = True) -> str | None:
    """ISO 8601 date of the first date in `text`."""
    found = find_dates(text, day_first=day_first)
    return found[0].value.isoformat() if found else None


_TIME = re.compile(r"(?<![\d:.])(?P<h>[01]?\d|2[0-3])\s?[:hH.]\s?(?P<m>[0-5]\d)(?:\s?:\s?(?P<s>[0-5]\d))?(?:\s?(?P<ampm>[AaPp])\.?[Mm]\.?)?(?![\d.,])")


@dataclass(frozen=True)
class TimeMatch:
    value: str  # HH:MM or HH:MM:SS
    start: int
    end: int
    raw: str


def find_times(text: str) -> list[TimeMatch]:
    """Clock times (10:15, 10:15:02, 9.05 PM, 14h30). A dotted time needs AM/PM or an 'h' so amounts are not times."""
    out = []
    for m in _TIME.finditer(text):
        sep = text[m.start("h") + len(m["h"]) : m.start("m")].strip()
        if sep == "." and not m["ampm"]:
            continue
        h = int(m["h"])
        if m["ampm"]:
            if h > 12:
                continue
            h = h % 12 + (12 if m["ampm"].lower() == "p" else 0)
        value = f"{h:02d}:{m['m']}" + (f":{m['s']}" if m["s"] else "")
        out.append(TimeMatch(value, m.start(), m.end(), m.group(0)))
    return out


# ---------------------------------------------------------------- tax ids
_NIF_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_CIF_CONTROL_LETTERS = "JABCDEFGHI"


def _nif_ok(number: str, letter: str) -> bool:
    return _NIF_LETTERS[int(number) % 23] == letter


def spanish_tax_id_valid(text: str) -> bool | None:
    """Checksum of a Spanish NIF (8 digits + letter), NIE (X/Y/Z + 7 digits + letter) or CIF (letter + 7 digits +
    control digit or letter). None when `text` has none of these shapes (nothing to check)."""
    s = re.sub(r"[\s.\-]", "", text.upper())
    if s.startswith("ES") and len(s) > 9:
        s = s[2:]
    if re.fullmatch(r"\d{8}[A-Z]", s):
        return _nif_ok(s[:8], s[8])
    if re.fullmatch(r"[XYZ]\d{7}[A-Z]", s):
        return _nif_ok(str("XYZ".index(s[0])) + s[1:8], s[8])
    if re.fullmatch(r"[ABCDEFGHJNPQRSUVW]\d{7}[0-9A-J]", s):
        digits = s[1:8]
        even = sum(int(d) for d in digits[1::2])
        odd = sum(sum(divmod(2 * int(d), 10)) for d in digits[0::2])
        control = (10 - (even + odd) % 10) % 10
        last = s[8]
        return last == str(control) or last == _CIF_CONTROL_LETTERS[control]
    return None


_TAX_ID = re.compile(
    r"(?<![A-Z0-9])(?:ES)?(?P<id>[XYZ]\d{7}[A-Z]|\d{8}[A-Z]|[ABCDEFGHJNPQRSUVW][\s.-]?\d{7}[0-9A-J]|[ABCDEFGHJNPQRSUVW]-?\d{2}\.?\d{3}\.?\d{2,3}[0-9A-J]?)(?![A-Z0-9])",
    re.IGNORECASE,
)
_TAX_KEY = re.compile(
    r"(?<![a-z])(nif|cif|nie|n\.i\.f|c\.i\.f|vat\s*(?:no|reg|number|id)?|tax\s*id|gst\s*(?:id|no|reg(?:istration)?)?(?:\s*no)?|"
    r"ust[\s.-]*id(?:nr)?|st[\s.-]*nr|steuer\s*nr|gstin|tin|abn|ruc|rfc|uid)(?![a-z])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TaxIdMatch:
    value: str  # upper case, no spaces/dots/dashes
    raw: str
    start: int
    end: int
    keyed: bool  # found after a tax-id keyword
    checksum_valid: bool | None  # None: no checksum known for this shape


def find_tax_id(text: str) -> TaxIdMatch | None:
    """A tax id on a row: a Spanish NIF/CIF/NIE shape anywhere, or any id-like token after a tax keyword
    (GST No, VAT reg, USt-IdNr, ...)."""
    key = _TAX_KEY.search(text)
    for m in _TAX_ID.finditer(text):
        value = re.sub(r"[\s.\-]", "", m["id"].upper())
        return TaxIdMatch(value, m.group(0), m.start(), m.end(), key is not None, spanish_tax_id_valid(value))
    if key:
        m = re.search(r"[:#.\s]*(?P<id>[A-Z0-9][A-Z0-9\-/. ]{5,24}[A-Z0-9])", text[key.end() :], re.IGNORECASE)
        if m and sum(ch.isdigit() for ch in m["id"]) >= 5:
            token = m["id"].strip()
            value = re.sub(r"[\s.\-/]", "", token.upper())
            start = key.end() + m.start("id")
            return TaxIdMatch(value, token, start, start + len(token), True, spanish_tax_id_valid(value))
    return None
