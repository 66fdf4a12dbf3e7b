"""Text blocks and the parts of a letter (subject, recipient, sender)."""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence

from iris_common.contract.extraction import TextBlock
from ocr_extractor.core.fields.keywords import CONTACT, is_texty
from ocr_extractor.core.fields.parties import header_rows
from ocr_extractor.core.fields.rows import Found, Row, make_found, union_box
from ocr_extractor.core.parsing import find_dates


# ---------------------------------------------------------------- text blocks
def extract_text_blocks(rows: Sequence[Row]) -> list[TextBlock]:
    """Paragraphs: consecutive rows whose vertical gap is under one median line height."""
    if not rows:
        return []
    heights = [ln.bbox[3] - ln.bbox[1] for row in rows for ln in row.lines]
    gap_limit = statistics.median(heights) if heights else 0.0
    blocks: list[list[Row]] = [[rows[0]]]
    for prev, row in zip(rows, rows[1:], strict=False):
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
                bbox=union_box(ln.bbox for ln in lines),
                line_indices=[ln.index for ln in lines],
                page=block[0].page,
            )
        )
    return out




# ---------------------------------------------------------------- letters
_SUBJECT = re.compile(r"^(?:subject|re|asunto|ref(?:erencia)?|betreff|objeto)\s*[:.]\s*(?P<v>.+)$", re.IGNORECASE)
_SALUTATION = re.compile(r"^(?:dear|estimad[oa](?:/a)?|querid[oa]|sehr\s*geehrte[r]?|hello|hola)\s+(?P<v>[^,:]+)[,:]?\s*$", re.IGNORECASE)


def extract_subject(rows: Sequence[Row]) -> Found | None:
    for row in rows:
        m = _SUBJECT.match(row.text.strip())
        if m:
            return make_found(m["v"].strip(), 1.0, row.lines, raw=row.text)
    return None


def extract_recipient(rows: Sequence[Row]) -> Found | None:
    """The name in the salutation (Dear X, / Estimado/a X,), else the name on a TO / PARA row."""
    for row in rows:
        m = _SALUTATION.match(row.text.strip())
        if m and is_texty(m["v"]):
            return make_found(m["v"].strip(), 0.9, row.lines, raw=row.text)
    for row in rows:
        m = re.match(r"^(?:to|para|an)\s*:\s*(?P<v>.+)$", row.text.strip(), re.IGNORECASE)
        if m and is_texty(m["v"]):
            return make_found(m["v"].strip(), 0.9, row.lines, raw=row.text)
    return None


def extract_sender(rows: Sequence[Row]) -> Found | None:
    """The letterhead: the first text-like row of the page (a name or a company)."""
    for row in header_rows(rows)[:6]:
        text = row.text.strip()
        if _SALUTATION.match(text) or _SUBJECT.match(text):
            break  # the letterhead is above the salutation and the subject
        if is_texty(text) and not find_dates(text) and not CONTACT.search(text):
            return make_found(text, 0.7, row.lines)
    return None
