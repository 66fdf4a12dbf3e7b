"""Who issued the document and to whom: merchant name and address, vendor, customer, invoice number, tax id."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ocr_extractor.core.fields.amounts import total_strength
from ocr_extractor.core.fields.keywords import BOILERPLATE, COMPANY_SUFFIX, CONTACT, HEADER_WORDS, REG_ONLY, STOP_ADDRESS, is_texty
from ocr_extractor.core.fields.rows import Found, Row, make_found
from ocr_extractor.core.normalise import TaxIdMatch, find_tax_id
from ocr_extractor.core.parsing import find_amounts, find_dates


# ---------------------------------------------------------------- merchant / vendor
def header_rows(rows: Sequence[Row]) -> list[Row]:
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
    if not is_texty(text) or HEADER_WORDS.search(text) or CONTACT.search(text) or BOILERPLATE.search(text):
        return False
    return not (find_dates(text) or find_amounts(text) or total_strength(text))


def extract_merchant(rows: Sequence[Row]) -> tuple[Found | None, Found | None]:
    """(merchant_name, merchant_address) from the top of the first page."""
    top = header_rows(rows)[:12]
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
        if nxt is not None and COMPANY_SUFFIX.search(_clean_name(nxt.text)) and not COMPANY_SUFFIX.search(name_rows[0].text):
            if len(nxt.text) <= 30 and not CONTACT.search(nxt.text):
                name_rows.append(nxt)
    name_lines = [ln for r in name_rows for ln in r.lines]
    name_text = _clean_name(" ".join(r.text for r in name_rows))
    suffix = bool(legal) or any(COMPANY_SUFFIX.search(_clean_name(r.text)) for r in name_rows)
    name = make_found(name_text, 1.0 if suffix else 0.8, name_lines, raw=" ".join(r.text for r in name_rows))

    address_rows: list[Row] = []
    for row in top[name_at + len(name_rows) :]:
        text = row.text.strip()
        if CONTACT.search(text) or STOP_ADDRESS.search(text) or find_dates(text) or total_strength(text):
            if address_rows:
                break
            continue
        if REG_ONLY.match(text) or not re.search(r"[A-Za-z]{2,}", text) or re.fullmatch(r"[\W_]+", text):
            if address_rows:
                break
            continue
        if HEADER_WORDS.search(text):
            break
        address_rows.append(row)
        if len(address_rows) == 4:
            break
    address = None
    if address_rows:
        lines = [ln for r in address_rows for ln in r.lines]
        address = make_found(" ".join(r.text for r in address_rows), 0.8, lines)
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
                return make_found(value, 1.0, lines, raw=row.text)
        for _start, _end, line in row.spans:
            if _INVOICE_LABEL.search(line.text) and i + 1 < len(rows):
                token = rows[i + 1].text.split(" ")[0]
                if any(ch.isdigit() for ch in token):
                    first = rows[i + 1].lines[0]
                    return make_found(token, 0.85, [first], raw=first.text)
    return None


_VENDOR_LABEL = re.compile(r"^(?:from|vendor|supplier|seller|sold\s*by|proveedor|emisor|vendedor|de)\s*:\s*(?P<v>.+)$", re.IGNORECASE)


def extract_vendor(rows: Sequence[Row]) -> Found | None:
    for row in rows:
        m = _VENDOR_LABEL.match(row.text)
        if m and is_texty(m["v"]):
            return make_found(m["v"].strip(), 1.0, row.lines, raw=row.text)
    name, _ = extract_merchant(rows)
    return name




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
    found = make_found(m.value, 1.0 if m.keyed else 0.7, row.lines_between(m.start, m.end), raw=m.raw)
    if m.checksum_valid is False:
        found.evidence *= 0.4
        found.flags.append("tax_id_checksum_failed")
    elif m.checksum_valid:
        found.flags.append("tax_id_checksum_ok")
    return found




_CUSTOMER_LABEL = re.compile(
    r"^(?:bill(?:ed)?\s*to|sold\s*to|invoice\s*to|customer(?:\s*name)?|client|cliente|facturar\s*a|destinatario|kunde|rechnung\s*an)\s*[:.]?\s*(?P<v>.*)$",
    re.IGNORECASE,
)


def extract_customer(rows: Sequence[Row]) -> Found | None:
    """The name after BILL TO / CLIENTE (same row, else the row below)."""
    for i, row in enumerate(rows):
        m = _CUSTOMER_LABEL.match(row.text.strip())
        if not m:
            continue
        value = m["v"].strip(" :")
        if is_texty(value):
            return make_found(value, 1.0, row.lines, raw=row.text)
        if i + 1 < len(rows) and is_texty(rows[i + 1].text):
            return make_found(rows[i + 1].text.strip(), 0.85, rows[i + 1].lines)
    return None
