"""Form key/value pairs."""

from __future__ import annotations

import re
from collections.abc import Sequence

from iris_common.contract.extraction import KeyValuePair, OcrLine
from ocr_extractor.core.fields.keywords import letters_ratio
from ocr_extractor.core.fields.rows import Row, union_box

# ---------------------------------------------------------------- forms
_KEY_COLON = re.compile(r"^(?P<key>[^:]{1,40}?)\s*:\s*(?P<value>.*)$")


def slug(text: str) -> str:
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
        if not keys and len(words) <= 6 and letters_ratio(head) >= 0.6:
            keys.append((words[0].start(), c))
            continue
        if keys and words[-1].start() <= keys[-1][1]:
            continue
        first = len(words) - 1
        if first > 0 and len(words[first - 1].group(0)) <= 4 and words[first - 1].start() > (keys[-1][1] if keys else -1):
            first -= 1
        key_text = text[words[first].start() : c]
        if letters_ratio(key_text) >= 0.6 and re.match(r"[A-Za-zÀ-ÿ#(]", key_text):
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
                        value_bbox=union_box(ln.bbox for ln in value_lines) if value_lines else line.bbox,
                        page=line.page,
                    )
                )
        free = [ln for ln in row.lines if ln.index not in used]
        if len(free) == 2 and len(row.lines) == 2:
            label, value_line = free
            words = label.text.split()
            if 1 <= len(words) <= 5 and letters_ratio(label.text) >= 0.8 and value_line.bbox[0] > label.bbox[2]:
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
