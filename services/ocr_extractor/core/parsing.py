"""Finding dates and money amounts in OCR text (English and Spanish conventions).

Dates: ISO (2017-12-28), numeric with / - . separators (28/12/2017, 12/28/2017, 28.12.17), and month names
(28 Dec 2017, Dec 28, 2017, 28 de diciembre de 2017). Numeric dates whose day/month order cannot be told
from the numbers are resolved by the caller's preference (day first by default; see `resolve_order`).
Amounts: two decimals with a point or a comma (15.00, 15,00, 1,234.56, 1.234,56), optional currency.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "jan january ene enero januar jänner janvier januari",
        "feb february febrero februar février fevrier februari",
        "mar march marzo märz maerz mars maart mrt",
        "apr april abr abril avril",
        "may mayo mai mei",
        "jun june junio juni juin",
        "jul july julio juli juillet",
        "aug august ago agosto août aout augustus",
        "sep sept september set septiembre setiembre septembre",
        "oct october octubre okt oktober octobre",
        "nov november noviembre novembre",
        "dec december dic diciembre dez dezember décembre decembre",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

_SEP = r"\s?[-/.]\s?"
_ISO = re.compile(
    rf"(?<!\d)(?P<y>(?:19|20)\d\d){_SEP}(?P<m>\d{{1,2}}){_SEP}(?P<d>\d{{2}}(?=\d{{1,2}}:\d\d)|\d{{1,2}}(?!\d))"
)
_NUMERIC = re.compile(rf"(?<![\d.,/-])(?P<a>\d{{1,2}})(?P<s1>{_SEP})(?P<b>\d{{1,2}})(?P<s2>{_SEP})(?P<y>\d{{4}}(?=\d{{1,2}}:\d\d)|\d{{2}}(?=[0-2]\d:[0-5]\d)|\d{{4}}(?!\d)|\d{{2}}(?!\d))"
)
_MONTH_WORD = r"(?P<mon>[A-Za-zÁÉÍÓÚáéíóúäéû]{3,10})\.?"
_DAY_MONTH_YEAR = re.compile(
    rf"(?<!\d)(?P<d>\d{{1,2}})(?:st|nd|rd|th|º)?[\s\-./,]*(?:de\s+)?{_MONTH_WORD}[\s\-./,']*(?:de(?:l)?\s+)?(?P<y>\d{{4}}|\d{{2}})(?!\d)",
    re.IGNORECASE,
)
_MONTH_DAY_YEAR = re.compile(
    rf"(?<![A-Za-z]){_MONTH_WORD}\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s*(?P<y>\d{{4}})|\s*['’`]\s*(?P<y2>\d{{2}}))(?!\d)",
    re.IGNORECASE
)


@dataclass(frozen=True)
class DateMatch:
    value: date
    start: int
    end: int
    raw: str
    ambiguous: bool = False  # numeric date where both day/month orders are valid
    month_first: bool | None = None  # what the numbers proved, when they prove it


def _year(text: str) -> int:
    y = int(text)
    return y + 2000 if y < 100 else y


def _make(y: int, m: int, d: int) -> date | None:
    if not 1990 <= y <= 2099:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _numeric_matches(text: str) -> list[re.Match[str]]:
    """Numeric dates with one separator kind (12/28-2017 is more likely two things than one date); after a mixed
    match the search goes on from its second number, so '-REG 12- 10/03/2013' still finds 10/03/2013."""
    out, pos = [], 0
    while (m := _NUMERIC.search(text, pos)) is not None:
        if m["s1"].strip() == m["s2"].strip():
            out.append(m)
            pos = m.end()
        else:
            pos = m.start("b")
    return out


def find_dates(text: str, *, day_first: bool = True) -> list[DateMatch]:
    """All dates in `text`, left to right, without overlaps. `day_first` settles 05/06/2018-like dates."""
    found: list[DateMatch] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match[str], value: date | None, **kw: object) -> None:
        if value is None or any(match.start() < e and s < match.end() for s, e in taken):
            return
        taken.append((match.start(), match.end()))
        found.append(DateMatch(value, match.start(), match.end(), match.group(0), **kw))  # type: ignore[arg-type]

    for m in _ISO.finditer(text):
        add(m, _make(int(m["y"]), int(m["m"]), int(m["d"])))
    for m in _numeric_matches(text):
        a, b, y = int(m["a"]), int(m["b"]), _year(m["y"])
        dmy, mdy = _make(y, b, a), _make(y, a, b)
        if dmy and mdy and a != b:
            add(m, dmy if day_first else mdy, ambiguous=True)
        elif dmy or mdy:
            add(m, dmy or mdy, month_first=None if (dmy and mdy) else mdy is not None)
    for m in _DAY_MONTH_YEAR.finditer(text):
        month = _MONTHS.get(m["mon"].lower().rstrip("."))
        if month:
            add(m, _make(_year(m["y"]), month, int(m["d"])))
    for m in _MONTH_DAY_YEAR.finditer(text):
        month = _MONTHS.get(m["mon"].lower().rstrip("."))
        if month:
            add(m, _make(_year(m["y"] or m["y2"]), month, int(m["d"])))
    return sorted(found, key=lambda d: d.start)


def resolve_order(texts: list[str], default_day_first: bool = True) -> bool:
    """Day-first or month-first for a whole document: an unambiguous numeric date (28/12/2017 or 12/28/2017)
    anywhere in it decides for the ambiguous ones; otherwise the default."""
    votes = 0
    for text in texts:
        for match in find_dates(text, day_first=default_day_first):
            if match.month_first is True:
                votes -= 1
            elif match.month_first is False:
                votes += 1
    return default_day_first if votes == 0 else votes > 0


_AMOUNT = re.compile(
    r"(?<![\d.,])(?P<neg>-\s?)?(?P<int>\d{1,3}(?:[.,]\d{3})+|\d+)\s?(?P<sep>[.,])\s?(?P<dec>\d{2})(?!\s?%|\d|[.,]\d)"
)


@dataclass(frozen=True)
class AmountMatch:
    value: Decimal
    start: int
    end: int
    raw: str

    @property
    def text(self) -> str:
        """Decimal string with two places and a point, as the contract wants ("15.00")."""
        return f"{self.value:.2f}"


def find_amounts(text: str) -> list[AmountMatch]:
    """Money amounts with two decimals. The last separator is the decimal one, so both 1,234.56 and 1.234,56 work."""
    out: list[AmountMatch] = []
    for m in _AMOUNT.finditer(text):
        whole = re.sub(r"[.,]", "", m["int"])
        # a thousands group must use the other separator than the decimal one
        if m["sep"] in m["int"]:
            continue
        value = Decimal(f"{whole}.{m['dec']}")
        if m["neg"]:
            value = -value
        out.append(AmountMatch(value, m.start(), m.end(), m.group(0)))
    return out


def parse_amount(text: str) -> Decimal | None:
    """The last amount of `text` (labels come first, values last on receipt lines)."""
    found = find_amounts(text)
    return found[-1].value if found else None


def parse_date(text: str, *, day_first: bool = True) -> date | None:
    found = find_dates(text, day_first=day_first)
    return found[0].value if found else None
