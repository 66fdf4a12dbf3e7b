"""Form key/value pairs: a geometric linker over the recognised boxes.

The page is cut into cells (each OCR line, split after the colon of 'Key: value'), each cell is judged key-like or
not from its own text (a colon, a short label, known label words in English and Spanish; never a number, a date or a
sentence), and every key is linked to the nearest value cell to its right on its row, else to the one right under
it (aligned, within about a line height), the value carrying on over the aligned lines below. Tables get their own
rule: a row label pairs with every number on its row, a column header with every number under it.

Before linking, cells that belong together are joined: a unit printed apart from its number ('84' 'mm'), a bracketed
qualifier under a label ('Total' over '(205)'), a word hyphenated across lines, a label printed on two lines whose
boxes overlap, a value cut into two boxes on its line. Measured on FUNSD (149 training forms, PaddleOCR boxes) with
`benchmarks/dev_sets.py --sets funsd`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from iris_common.contract.extraction import KeyValuePair, OcrLine
from ocr_extractor.core.fields.keywords import letters_ratio
from ocr_extractor.core.fields.rows import Row, union_box


def slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower().strip()).strip("_")
    return slug or "field"


# A colon that ends a key: not one inside a time (10:30) nor a ratio.
_COLON = re.compile(r":(?!\d\d)|(?<!\d):")

# Words that name a field on forms (English and Spanish): a short cell made of them is a key even without a colon.
_LABEL_WORDS = frozenset(
    """
    name names date dates to from subject re cc bcc attn attention fax phone tel telephone no no. number # code company
    address city state zip country title signature signed by approved prepared submitted requested received sent
    brand product project page pages total amount price cost quantity qty ref reference file account dept department
    division manager supervisor contact email e-mail time location type description comments remarks notes note
    purpose budget program issue job client customer vendor supplier buyer market region area size weight period
    start end due effective expiration status id ext extension mail postal street office org organization position
    employer employee occupation applicant birth
    source section option options priority medium year month day week width height length rate grade class group
    level unit units sample samples test method result results value other specify coordinator director expense
    expenses balance schedule detail details change list requisition authorization approval approvals signatures
    reason reasons objective objectives summary request instructions initials initial dated
    version revision revised category frequency format media publication circulation edition
    nombre nombres apellido apellidos fecha para de asunto teléfono telefono tel. correo dirección direccion ciudad
    provincia país pais código codigo postal empresa firma cargo número numero importe total cantidad precio
    referencia observaciones notas departamento contacto cliente proveedor lugar hora nacimiento
    """.split()
)
_DATE_OR_NUMBER = re.compile(
    r"^[\s#$€£(+\-±.,/]*\d[\d\s.,:/\-%*()+±]*(?:mm|cm|m|mg|g|kg|gm|cc|ml|%|pm|am)?[\s.)*]*$", re.IGNORECASE
)
_MONTH_DATE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|ene|abr|ago|dic)[a-z]*\.?\s+\d{1,2},?\s+\d{2,4}\b"
    r"|\b\d{1,2}\s+(?:de\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|ene|abr|ago|dic)[a-z]*\.?,?\s+(?:de\s+)?\d{2,4}\b",
    re.IGNORECASE,
)
_UNIT = re.compile(r"^(?:mm|cm|m|mg|g|kg|gm|cc|ml|%|lbs?|oz|psig|psi|kgs?|gm/m2|mg/cc)\.?$", re.IGNORECASE)
_QUALIFIER = re.compile(r"^\([^()]{1,30}\)?$")  # '(205)', '(7=Stronger)'
_ITEM = re.compile(r"^(?:\(?\d{1,2}[.)]|\(?[a-hA-H][.)]|[-•*·])\s")  # '1. ', 'b) ', '- ': an enumerated list item
_MEASURE = re.compile(r"^[$€£#~±+\-]?\s?\d[\d.,/\-]*\s?[^\W\d_]{1,6}\.?(?:/[^\W\d_]{1,4}\d?)?$")  # 16 psig, 36 gm/m2, 245 mg/cc
_ANSWERS = frozenset("n/a na none nil tbd yes no x si sí ok".split())
_FILLER = frozenset("of by the a an and or for in on at y o de del la el los las en por".split())


@dataclass
class Cell:
    """A piece of one OCR line: the whole line, or the key or value part of 'Key: value'."""

    text: str
    bbox: list[float]
    line: OcrLine
    row: int
    colon: bool = False  # a key that ended with a colon (the colon is dropped from `text`)
    used: bool = False  # already linked (as a key or as a value) by the layout rules

    @property
    def height(self) -> float:
        return max(self.bbox[3] - self.bbox[1], 1.0)

    @property
    def page(self) -> int:
        return self.line.page


def is_value_text(text: str) -> bool:
    """Numbers, amounts, dates, codes: what a key never is."""
    t = text.strip()
    return bool(_DATE_OR_NUMBER.match(t) or _MONTH_DATE.search(t) or _MEASURE.match(t) or t.lower() in _ANSWERS) or letters_ratio(t) < 0.5




def key_strength(cell: Cell) -> float:
    """How much a cell reads as a field label: 1 with a colon, 0.8 for known label words, 0.5 for a short label,
    0 for values and sentences."""
    if cell.colon:
        return 1.0
    text = cell.text.strip()
    if not text or is_value_text(text) or _UNIT.match(text):
        return 0.0
    words = text.split()
    bare = re.sub(r"\([^)]*\)?", "", text).strip() or text  # 'Male (99)': the qualifier's digits do not count
    if len(words) > 6 or (len(words) > 3 and text.endswith(".")) or letters_ratio(bare) < 0.6:
        return 0.0
    if any(w in _LABEL_WORDS for w in _words(text)) or text.endswith(("#", "No.", "No", "?")):
        return 0.8
    return 0.5


def _words(text: str) -> list[str]:
    """Lower-case words of a label, without '(s)' and without item numbers ('14. Date of birth')."""
    return [w for w in re.split(r"[^\w#]+", re.sub(r"\(s\)", "", text.lower())) if w and not w.isdigit()]


def is_label(cell: Cell, loose: bool = True) -> bool:
    """A cell made of label words ('Date', 'Approved by', 'Supplier(s)') or a short one ending with one ('Unit
    Price', 'Receipt date', 'Check #'): the next field's key, not a value. Not `loose` (after a 'Key:', whose
    value may well read 'Meetings Office' or 'A to schedule'), only one or two label words count."""
    words = [w for w in _words(cell.text) if w not in _FILLER]
    if cell.colon or cell.text.rstrip().endswith(("#", "No.", "NO.")):
        return True
    if not words or not all(w in _LABEL_WORDS for w in words) and not (loose and len(words) <= 4 and words[-1] in _LABEL_WORDS):
        return False
    return loose or len(cell.text.split()) <= 2


def _split_line(line: OcrLine, row: int) -> list[Cell]:
    """'Key: value  Other key: value' in one recognised line -> key and value cells, boxes cut in proportion to the
    characters. The first key starts the line (up to 6 words); a later key is the word before its colon (two when
    the first is short, 'R&D Group'), since the words before it end the previous value."""
    text = line.text
    x0, y0, x1, y1 = line.bbox
    scale = (x1 - x0) / max(len(text), 1)

    def cell(start: int, end: int, colon: bool = False) -> Cell:
        piece = text[start:end]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece.rstrip())
        return Cell(piece.strip(), [x0 + scale * (start + lead), y0, x0 + scale * (start + trail), y1], line, row, colon)

    keys: list[tuple[int, int]] = []  # (key start, colon position)
    for m in _COLON.finditer(text):
        c = m.start()
        words = list(re.finditer(r"\S+", text[:c]))
        if not words:
            continue
        if not keys:
            head = text[:c]
            # a sentence that happens to hold a colon is no key ('product samples. (Note: ...'); 'REF. NO.:' is
            if len(words) <= 6 and letters_ratio(head) >= 0.6 and not re.search(r"[a-z]{3}[.;,]\s", head):
                keys.append((words[0].start(), c))
            continue
        if words[-1].start() <= keys[-1][1]:
            continue
        first = len(words) - 1
        if first > 0 and len(words[first - 1].group(0)) <= 4 and words[first - 1].start() > keys[-1][1]:
            first -= 1
        key_text = text[words[first].start() : c]
        if letters_ratio(key_text) >= 0.6 and re.match(r"[A-Za-zÀ-ÿ#(]", key_text):
            keys.append((words[first].start(), c))
    if not keys:
        split = _label_then_value(text)
        if split is None:
            return [cell(0, len(text))]
        return [cell(0, split), cell(split, len(text))]
    cells: list[Cell] = []
    if text[: keys[0][0]].strip():
        cells.append(cell(0, keys[0][0]))
    for k, (ks, c) in enumerate(keys):
        end = keys[k + 1][0] if k + 1 < len(keys) else len(text)
        cells.append(cell(ks, c, colon=True))
        if text[c + 1 : end].strip():
            cells.append(cell(c + 1, end))
    return [c for c in cells if c.text]


def _label_then_value(text: str) -> int | None:
    """Where a label without colon ends and its value begins in one box ('JOB NO. 7559', 'Date Sent 4/19/74'): up
    to four leading words ending with a label word, then a number, date or code."""
    words = list(re.finditer(r"\S+", text))
    for k in range(1, min(5, len(words))):
        head, tail = text[: words[k - 1].end()], text[words[k].start() :]
        last = _words(words[k - 1].group(0))
        labelled = bool(last) and last[-1] in _LABEL_WORDS and last[-1] not in _FILLER or head.endswith(("#", "No.", "NO."))
        if labelled and letters_ratio(head) >= 0.6 and re.match(r"[#$]?\d", tail) and is_value_text(tail):
            return words[k].start()
    return None


def _overlap(a: Sequence[float], b: Sequence[float]) -> float:
    """Horizontal overlap of two boxes."""
    return min(a[2], b[2]) - max(a[0], b[0])


def _below(grid: list[list[Cell]], r: int, anchor: Cell, reach: float) -> Cell | None:
    """The first cell under `anchor` (overlapping it horizontally, starting within a line height of its left edge,
    or a little right of its end as in boxed forms) on the next rows, if no farther than `reach` line heights."""
    for row in grid[r + 1 : r + 4]:
        if not row or row[0].page != anchor.page:
            return None
        if row[0].bbox[1] - anchor.bbox[3] > reach * anchor.height:
            return None
        h = anchor.height
        hits = [c for c in row if _overlap(c.bbox, anchor.bbox) > 0 or abs(c.bbox[0] - anchor.bbox[0]) < h
                or anchor.bbox[0] <= c.bbox[0] <= anchor.bbox[2] + 3 * h]
        if hits:
            return hits[0]
    return None


def _run(grid: list[list[Cell]], value: Cell) -> list[Cell]:
    """A value and the cells that carry it on along its row ('May 1,' '1985'): each starting within half a line
    height of the last, none a label."""
    out = [value]
    row = grid[value.row]
    for c in row[row.index(value) + 1 :]:
        if c.used or c.colon or is_label(c) or c.bbox[0] - out[-1].bbox[2] > 0.5 * value.height:
            break
        out.append(c)
    return out


def _has_content(cell: Cell) -> bool:
    """A value has a letter or digit: '.', '_' and rules are blanks left unfilled."""
    return any(ch.isalnum() for ch in cell.text)


def _right_of(grid: list[list[Cell]], r: int, key: Cell) -> Cell | None:
    """The nearest cell right of `key` on its line: same row, or a neighbouring row the grouping split off (a value
    written a little higher or lower) as long as the two boxes share half their height."""
    best: Cell | None = None
    for row in grid[max(r - 1, 0) : r + 2]:
        for c in row:
            if c is key or c.page != key.page or c.bbox[0] < key.bbox[2] - 0.5 * key.height:
                continue
            shared = min(c.bbox[3], key.bbox[3]) - max(c.bbox[1], key.bbox[1])
            if (c.row == r or shared >= 0.5 * min(c.height, key.height)) and (best is None or c.bbox[0] < best.bbox[0]):
                best = c
    return best


def _continuation(grid: list[list[Cell]], value: Cell) -> list[Cell]:
    """Lines under a value that carry on its text: the only cell of its row near the value's column, starting at
    its left edge (give or take a line height), at most about a line height under the last one, not a key."""
    out: list[Cell] = []
    last = value
    for row in grid[value.row + 1 : value.row + 12]:
        if not row or row[0].page != value.page or row[0].bbox[1] - last.bbox[3] > 0.8 * value.height:
            break
        near = [c for c in row if c.bbox[2] > value.bbox[0] - value.height]
        if len(near) != 1:
            break
        c = near[0]
        if c.used or c.colon or abs(c.bbox[0] - value.bbox[0]) > 1.5 * value.height or c.bbox[0] < value.bbox[0] - value.height:
            break
        if any(k.bbox[2] <= c.bbox[0] and k is not c and not k.used for k in row if key_strength(k) > 0):
            break
        out.append(c)
        last = c
    return out


@dataclass
class Link:
    """A key cell linked to its value cells; `how` names the rule ('inline', 'right', 'below', 'row', 'column'),
    `evidence` how sure that rule is, in the order of its precision on FUNSD: 'Key: value' in one box 0.67,
    'Key:' and a neighbour 0.62, a label and its neighbour 0.51, table links 0.48, a 'Key:' in a table 0.21."""

    key: Cell
    values: list[Cell]
    how: str

    @property
    def evidence(self) -> float:
        if self.how == "inline":
            return 1.0 if self.key.colon else 0.7
        if self.key.colon:
            return 0.85 if self.how in ("right", "below") else 0.3  # a 'Key:' heading a table column is rarely one
        return 0.7 if self.how == "right" else 0.5

    def pair(self) -> KeyValuePair:
        return KeyValuePair(
            key=self.key.text.strip(),
            value=" ".join(v.text for v in self.values).strip(),
            confidence=min([self.key.line.confidence, *(v.line.confidence for v in self.values)]),
            key_bbox=self.key.bbox,
            value_bbox=union_box(v.bbox for v in self.values),
            page=self.key.page,
        )


def build_cells(rows: Sequence[Row]) -> list[list[Cell]]:
    """The cells of each row, left to right; a bracketed qualifier right under a label ('Total' over '(205)',
    'STRENGTH' over '(7=Stronger)') is joined to the label."""
    grid = [[c for line in row.lines for c in _split_line(line, r)] for r, row in enumerate(rows)]
    for row in grid:  # a unit printed apart from its number ('84' 'mm') belongs to it
        for left, unit in reversed(list(zip(row, row[1:], strict=False))):
            if _UNIT.match(unit.text) and _DATE_OR_NUMBER.match(left.text) and unit.bbox[0] - left.bbox[2] < 3 * left.height:
                left.text = f"{left.text} {unit.text}"
                left.bbox = union_box([left.bbox, unit.bbox])
                row.remove(unit)
    for r in range(len(grid) - 1, 0, -1):
        for cell in list(grid[r]):
            if not _QUALIFIER.match(cell.text):
                continue
            above = [c for c in grid[r - 1] if _overlap(c.bbox, cell.bbox) > 0.5 * (cell.bbox[2] - cell.bbox[0])]
            label = above[0] if len(above) == 1 else None
            if label and not label.colon and key_strength(label) > 0 and cell.bbox[1] - label.bbox[3] < 0.6 * cell.height:
                label.text = f"{label.text} {cell.text}"
                label.bbox = union_box([label.bbox, cell.bbox])
                grid[r].remove(cell)
    for r in range(len(grid) - 1):  # a word hyphenated at the end of a line goes on in the line under it
        for cell in grid[r]:
            if not re.search(r"[A-Za-z]-$", cell.text):
                continue
            under = [c for c in grid[r + 1] if abs(c.bbox[0] - cell.bbox[0]) < 1.5 * cell.height]
            if len(under) == 1 and under[0].bbox[1] - cell.bbox[3] < 0.6 * cell.height and not under[0].colon:
                cell.text = f"{cell.text} {under[0].text}"
                cell.bbox = union_box([cell.bbox, under[0].bbox])
                grid[r + 1].remove(under[0])
    # a label printed on two lines whose boxes overlap ('Total number of pages' over 'including this page:') is one label
    for r in range(len(grid) - 1, 0, -1):
        for low in list(grid[r]):
            if key_strength(low) == 0:
                continue
            ups = [c for c in grid[r - 1] if abs(c.bbox[0] - low.bbox[0]) < low.height and _overlap(c.bbox, low.bbox) > 0]
            if len(ups) != 1:
                continue
            up = ups[0]
            alone = all(c is up or c.bbox[2] <= up.bbox[0] for c in grid[r - 1])  # nothing on its right
            if (alone and not up.colon and key_strength(up) > 0 and not is_value_text(up.text)
                    and low.bbox[1] < up.bbox[3]):  # the two boxes overlap
                low.text = f"{up.text} {low.text}"
                low.bbox = union_box([up.bbox, low.bbox])
                grid[r - 1].remove(up)
    grid = [row for row in grid if row]
    for r, row in enumerate(grid):
        for cell in row:
            cell.row = r
    return grid




def link_key_values(rows: Sequence[Row]) -> list[Link]:
    """Keys linked to values by layout (see the module docstring), in reading order, then the table links."""
    grid = build_cells(rows)
    links: list[Link] = []

    def take(key: Cell, value: Cell, how: str) -> None:
        values = [*_run(grid, value), *_continuation(grid, value)]
        for c in (key, *values):
            c.used = True
        how = "inline" if how == "right" and value.line is key.line else how
        if len(values) > 1 and (sum(bool(_ITEM.match(v.text)) for v in values) >= 2):
            links.extend(Link(key, [v], how) for v in values)  # an enumerated list: one value per item
        else:
            links.append(Link(key, values, how))

    headers = _header_rows(grid)
    for r, row in enumerate(grid):
        if r in headers:  # column headers take the values under them (table rule), not each other
            continue
        if len(row) >= 2 and all(not c.colon and is_label(c) for c in row):
            # a row of labels only, as in boxed forms: each label's value is written under it
            for cell in row:
                below = _below(grid, r, cell, 1.5)
                if below is not None and not below.used and _has_content(below) and not is_label(below):
                    take(cell, below, how="below")
            continue
        for cell in row:
            if cell.used:
                continue
            strength = key_strength(cell)
            if strength == 0:
                continue
            right = _right_of(grid, r, cell)
            if right is not None and not right.used and not right.colon and _has_content(right):
                # a label is not a value; a plain short label takes only a value-like neighbour
                near = right.bbox[0] - cell.bbox[2] < 25 * cell.height
                if near and not is_label(right, loose=not cell.colon) and (strength >= 0.8 or key_strength(right) == 0):
                    take(cell, right, how="right")
                    continue
            if (right is None or right.colon) and strength >= 0.8:
                below = _below(grid, r, cell, 1.5)
                # under a label word without colon, only a value-like cell
                fits = below is not None and (cell.colon or is_value_text(below.text))
                if fits and not below.used and _has_content(below) and not is_label(below, loose=not cell.colon):
                    take(cell, below, how="below")
    values = {id(v) for link in links for v in link.values}
    return links + _table_links(grid, {(id(link.key), id(link.values[0])) for link in links}, values)




def extract_key_values(rows: Sequence[Row]) -> list[KeyValuePair]:
    """Key/value pairs of a form, in reading order."""
    return [link.pair() for link in link_key_values(rows)]


def _column_under(grid: list[list[Cell]], r: int, head: Cell) -> list[Cell]:
    """Values in the column under a header: on consecutive rows, the one cell overlapping the header's width,
    value-like, each within a couple of line heights of the previous; a key-like cell ends the column."""
    out: list[Cell] = []
    last = head
    for row in grid[r + 1 :]:
        if not row or row[0].page != head.page:
            break
        top = min(c.bbox[1] for c in row)
        if top - last.bbox[3] > 2.5 * head.height:
            break
        hits = [c for c in row if _overlap(c.bbox, head.bbox) > 0.3 * min(c.bbox[2] - c.bbox[0], head.bbox[2] - head.bbox[0])]
        if not hits:
            continue
        if len(hits) > 1 or not is_value_text(hits[0].text):
            break
        out.append(hits[0])
        last = hits[0]
    return out


def _header_rows(grid: list[list[Cell]]) -> set[int]:
    """Rows of two or more label-like cells, none value-like, at least two of which head a column of values."""
    out = set()
    for r, row in enumerate(grid):
        if len(row) >= 2 and not any(is_value_text(c.text) or c.colon for c in row):
            if sum(len(_column_under(grid, r, c)) >= 2 for c in row) >= 2:
                out.add(r)
    return out


def _table_links(grid: list[list[Cell]], seen: set[tuple[int, int]], values_taken: set[int]) -> list[Link]:
    """Tables: a row label followed by two or more value-like cells pairs with each; a column header (not a
    'Key:' label) with two or more value-like cells under it pairs with each."""
    out: list[Link] = []

    def add(key: Cell, value: Cell, how: str) -> None:
        if (id(key), id(value)) not in seen:
            seen.add((id(key), id(value)))
            out.append(Link(key, [value], how))

    for r, row in enumerate(grid):
        for i, cell in enumerate(row):
            if key_strength(cell) == 0:
                continue
            values: list[Cell] = []
            for c in row[i + 1 :]:
                if not is_value_text(c.text):
                    break
                values.append(c)
            if len(values) >= 2 and i == 0:  # the row's label starts it
                for v in values:
                    add(cell, v, "row")
            # a header row holds no values; a cell taken as a pair's value heads no column
            if not cell.colon and id(cell) not in values_taken and not any(is_value_text(c.text) for c in row):
                column = _column_under(grid, r, cell)
                if len(column) >= 2:
                    for v in column:
                        add(cell, v, "column")
    return out
