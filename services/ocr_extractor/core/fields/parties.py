"""Who issued the document and to whom: merchant name and address, vendor, customer, invoice number, tax id."""

from __future__ import annotations

import re
from collections.abc import Sequence

from iris_common.contract.extraction import OcrLine
from ocr_extractor.core.fields.amounts import total_strength
from ocr_extractor.core.fields.keywords import (
    BOILERPLATE,
    COMPANY_SUFFIX,
    CONTACT,
    HEADER_WORDS,
    REG_ONLY,
    STOP_ADDRESS,
    cell_below,
    is_texty,
)
from ocr_extractor.core.fields.rows import Found, Row, make_found
from ocr_extractor.core.normalise import TaxIdMatch, find_tax_id, fold_accents
from ocr_extractor.core.parsing import find_amounts, find_dates


# ---------------------------------------------------------------- merchant / vendor
def header_rows(rows: Sequence[Row]) -> list[Row]:
    return [row for row in rows if row.page == rows[0].page] if rows else []


_TITLE_PREFIX = re.compile(
    r"^(?:tax\s*invoice|invoice|factura|factuur|facture|rechnung|receipt|recibo|ticket)\s*[.:|-]+\s+", re.IGNORECASE
)


def _clean_name(text: str) -> str:
    """Drop what printers put around a trading name: a leading store/receipt number, a document title run into
    the same row ('FACTUUR. Coolblue B.V.'), a trailing registration number in brackets."""
    text = re.sub(r"^[#*\W]*\d{3,}\s+", "", text)
    text = _TITLE_PREFIX.sub("", text)
    text = re.sub(r"\s*[(\[][\w\s.:-]*\d{4,}[\w\s.:-]*[)\]]\s*$", "", text)
    text = _SDN_MISREAD.sub(lambda m: m[0].replace(m["o"], "D"), text)  # 'SON BHD': the recogniser's D for O
    text = _SB_MISREAD.sub("S/B", text)  # '5/B'
    return text.strip() or text


_SDN_MISREAD = re.compile(r"(?<![a-z])S(?P<o>[O0])N\.?\s*BHD(?![a-z])", re.IGNORECASE)
_SB_MISREAD = re.compile(r"(?<![\w/])5/B\b(?=\W*$)")


_LEGAL_SUFFIX = re.compile(
    r"(?<![a-z])(?:sdn\.?\s*bhd|berhad|bhd|[s5]/b|s\.?\s*a\.?\s*de\s*c\.?\s*v|s\.\s*l\.?u?|s\.\s*a\.?|s\.?l\.?u\.?|ltd|limited|inc|llc|"
    r"gmbh|corp|plc)\.?\s*$",
    re.IGNORECASE,
)


def _could_be_name(text: str) -> bool:
    if not is_texty(text) or HEADER_WORDS.search(text) or CONTACT.search(text) or BOILERPLATE.search(text):
        return False
    if _street_line(text):
        return False
    return not (find_dates(text) or find_amounts(text) or total_strength(text))


# where a street address shows itself: a postcode (4-6 digits standing alone, not a phone or registration
# number) or a street / building word (Malay, English, Spanish, German)
_POSTCODE = re.compile(r"(?<![\w\-/.+])\d{4,6}(?![\d\-/])")
_STREET = re.compile(
    r"(?<![^\W\d_])(?:jalan|jln|lorong|lrg|persiaran|lebuh(?:raya)?|changkat|taman|tmn|kampung|kg|bandar|seksyen|"
    r"lot|level|floor|blok|block|wisma|bangunan|plaza|street|st|road|rd|avenue|ave|blvd|boulevard|lane|ln|drive|dr|"
    r"highway|hwy|suite|ste|unit|calle|c/|c\\|avda|avenida|carrer|ctra|carretera|paseo|pza|plaza|"
    r"stra(?:ss|ß)e|str|platz|weg|gasse|allee|ring)(?![^\W\d_])\.?"
    r"|(?<=[^\W\d_])(?:stra(?:ss|ß)e|str\.|platz|weg|gasse|allee|damm)(?![^\W\d_])",  # German compounds: 'Heisenbergstraße'
    re.IGNORECASE,
)
_NUMBERED = re.compile(r"^\W*(?:no\.?\s*|lot\s*|unit\s*|level\s*|#)?\d+[a-z]?(?:[-/&,\s]|$)", re.IGNORECASE)
_COUNTRY_END = re.compile(
    r"(?<![a-z])(?:malaysia|singapore|indonesia|thailand|philippines|australia|u\.?s\.?a|united\s*states|canada|"
    r"united\s*kingdom|england|india|espa[ñn]a|spain|m[ée]xico|deutschland|germany|[öo]sterreich|austria|france)\W*$",
    re.IGNORECASE,
)


def _place(text: str) -> bool:
    """A row that reads as part of a street address: a postcode, a street word, or a house number at its start."""
    return bool(_POSTCODE.search(text) or _STREET.search(text) or _NUMBERED.match(text))


def _street_line(text: str) -> bool:
    """A line no name is printed as: a street with its number ('C/ Princesa, 40', 'Warburger Straße 130') or a
    short postcode-and-town line ('28008 MADRID', 'Snellville, GA 30078')."""
    if not re.search(r"[A-Za-z]{2,}", text):
        return False
    if _STREET.search(text) and re.search(r"\d", text):
        return True
    return bool(re.search(r"(?<![\w\-/.+])\d{5}(?![\d\-/])", text)) and len(text.split()) <= 4


def _street_row(text: str) -> bool:
    """A row of a street address beyond doubt: words with a postcode or a house number ('12 Main St', '59200 Kuala
    Lumpur'), not a bare code."""
    return bool(re.search(r"[A-Za-z]{2,}", text) and not REG_ONLY.match(text) and (_POSTCODE.search(text) or _NUMBERED.match(text)))


def _address_blocks(top: Sequence[Row]) -> list[list[Row]]:
    """The runs of address-like rows under the name, split where a contact, registration, date or total row
    (or a row of no words) comes between them; a title row (TAX INVOICE, RECEIPT ...) or a price ends the header."""
    blocks: list[list[Row]] = [[]]
    for row in top:
        text = row.text.strip()
        if HEADER_WORDS.search(text) or (find_amounts(text) and not _STREET.search(text)):
            break  # a title, or the first article with its price
        if (CONTACT.search(text) or STOP_ADDRESS.search(text) or find_dates(text) or total_strength(text)
                or REG_ONLY.match(text) or not re.search(r"[A-Za-z]{2,}", text) or re.fullmatch(r"[\W_]+", text)):
            if blocks[-1]:
                blocks.append([])
            continue
        blocks[-1].append(row)
    return [b for b in blocks if b]


_MAX_ADDRESS_ROWS = 5


def _address_rows(top: Sequence[Row]) -> list[Row]:
    """The merchant's address, as receipts print it under the name: the first run of rows that holds a street
    address (a branch or brand line set apart by a registration row, '(Mutiara Rini 16)' / 'Co Reg No ...', gives
    way to the run after it), without the word-only lines that lead it ('MYDIN MART SRI MUDA', 'Licensee of
    McDonald's') when the street follows them; it ends with the country (or after five rows)."""
    blocks = _address_blocks(top)
    if not blocks:
        return []
    block = blocks[0]
    if not any(_POSTCODE.search(r.text) or _STREET.search(r.text) for r in block):
        # a later run that names a numbered street ('Jalan Tras Batu 1 / 28700 Bentong'), not a stray code
        block = next((b for b in blocks[1:] if any(_STREET.search(r.text) for r in b) and any(re.search(r"\d", r.text) for r in b)),
                     block)
    first_place = next((k for k, r in enumerate(block) if _place(r.text)), None)
    if first_place and all(not re.search(r"\d", r.text) for r in block[:first_place]) and _NUMBERED.match(block[first_place].text):
        block = block[first_place:]
    out: list[Row] = []
    for row in block:
        out.append(row)
        if _COUNTRY_END.search(row.text) or len(out) == _MAX_ADDRESS_ROWS:
            break
    return out


def _legal_first(top: Sequence[Row], names: Sequence[int]) -> list[int]:
    """Rows of `names` near the top that carry a legal form (SDN BHD, S.L., LTD ...) and come before the first
    address or contact row under the top name: a legal name printed after the shop's address is its owner
    ('Owned By / SANYU SUPPLY SDN BHD' under 'SANYU STATIONERY SHOP'), not the name the receipt is headed with."""
    legal = [i for i in names if i < 8 and _LEGAL_SUFFIX.search(_clean_name(top[i].text))]
    if not legal or legal[0] == names[0]:
        return legal
    barrier = next((j for j in range(names[0] + 1, len(top)) if CONTACT.search(top[j].text) or _street_row(top[j].text)), None)
    return [i for i in legal if barrier is None or i < barrier]


def _similar_height(a: Row, b: Row, ratio: float = 1.4) -> bool:
    """Two rows printed in one type size (a name wrapped over two rows), not a slogan over a name."""
    ha, hb = max(a.bbox[3] - a.bbox[1], 1.0), max(b.bbox[3] - b.bbox[1], 1.0)
    return max(ha, hb) / min(ha, hb) <= ratio


def extract_merchant(rows: Sequence[Row], language: str | None = None) -> tuple[Found | None, Found | None]:
    """(merchant_name, merchant_address) from the top of the first page. With `language` 'en' (receipts: an
    English receipt prints no accents) without the ones the recogniser strays onto its letters; an invoice's
    'en' may be a French or Dutch page, whose accents are its own."""
    name, address = _merchant(rows)
    if language == "en":
        for found in (name, address):
            if found is not None and found.field.value:
                found.field.value = fold_accents(found.field.value)  # '47800 SÉLANGOR'
    return name, address


def _merchant(rows: Sequence[Row]) -> tuple[Found | None, Found | None]:
    top = header_rows(rows)[:12]
    names = [i for i, row in enumerate(top) if _could_be_name(row.text.strip())]
    street_at = next((i for i, row in enumerate(top) if _street_line(row.text.strip())), None)
    if street_at is not None and (not names or street_at < names[0]):
        # the header starts with the street: the name above it is a logo the OCR did not read, and a row further
        # down (a cashier, an article) is no better a guess
        address_rows = _address_rows(top[street_at:])
        lines = [ln for r in address_rows for ln in r.lines]
        return None, make_found(" ".join(r.text for r in address_rows), 0.8, lines) if address_rows else None
    if not names:
        return None, None
    # the legal name (SDN BHD, S.L., LTD ...) near the top is the merchant, even under a brand or a greeting
    legal = _legal_first(top, names)
    name_at = legal[0] if legal else names[0]
    name_rows = [top[name_at]]
    before = [w for w in _LEGAL_SUFFIX.split(_clean_name(top[name_at].text))[0].split()
              if not re.fullmatch(r"(?i)co\.?|\(m\)|&|and|y|de|und", w)]  # 'CO. (M)' is part of the suffix
    if legal and len(before) <= 1 and name_at - 1 in names and not re.search(r"\d", top[name_at - 1].text) \
            and _similar_height(top[name_at - 1], top[name_at]):
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

    address_rows = _address_rows(top[name_at + len(name_rows) :])
    address = None
    if address_rows:
        lines = [ln for r in address_rows for ln in r.lines]
        address = make_found(" ".join(r.text for r in address_rows), 0.8, lines)
    return name, address


# ---------------------------------------------------------------- invoice number
_INVOICE_NO = re.compile(
    r"(?<![a-z])(?:invoice|inv|factura|facture|factuur|rechnung|bill|receipt|recibo|document|doc|ticket|booking|n[uú]mero\s*de\s*factura)\.?\s*"
    r"(?:nummer|number|no|num|n[uú]mero|nr|nº|n°|n\.?º?|#|id)?\.?\s*(?:de\s*factura)?\s*(?:[:#.]|[^\w\s,;(])?\s*"
    r"(?P<value>[A-Z0-9][A-Z0-9\-/_.]{2,})",  # one stray symbol: OCR reads a faint '#' as '≈' or '*'
    re.IGNORECASE,
)
_INVOICE_LABEL = re.compile(
    r"(?<![a-z])(?:invoice|inv|factura|bill|receipt|recibo)\.?\s*(?:no|num|number|n[uú]mero|nº|n°|#)\.?\s*[:#]?\s*$",
    re.IGNORECASE,
)
# a table header cell naming the document number: 'Invoice', 'Factuur', 'Booking ID', 'Nº factura'
_NUMBER_HEADER = re.compile(
    r"^\s*(?:(?:invoice|factura|facture|factuur|rechnung|booking|reservation|reserva|order|pedido)\s*"
    r"(?:no|num|number|n[uú]mero|nummer|nr|nº|n°|#|id)?|n[uú]mero\s*de\s*factura|n[ºo°]\s*factura)\.?\s*[:#]?\s*$",
    re.IGNORECASE,
)
_ORDER = re.compile(r"^\s*(?:order|pedido)", re.IGNORECASE)
_CODE = re.compile(r"[A-Z0-9][A-Z0-9\-/_.]{2,}", re.IGNORECASE)


def _code_in(text: str) -> str | None:
    """A document number: one token with a digit that is not a date."""
    token = text.strip().split(" ")[0] if text.strip() else ""
    if _CODE.fullmatch(token) and any(ch.isdigit() for ch in token) and not find_dates(token):
        return token.strip(".-/")
    return None


def extract_invoice_number(rows: Sequence[Row]) -> Found | None:
    """A code with a digit after INVOICE NO / Nº FACTURA on the same row; else under a column header that names
    it (Invoice / Factuur / Booking ID, an order number last); else the first code of the row below a bare label."""
    for row in rows:
        for m in _INVOICE_NO.finditer(row.text):
            value = m["value"].strip(".-/")
            if any(ch.isdigit() for ch in value) and not find_dates(value):
                lines = row.lines_between(m.start("value"), m.end("value"))
                return make_found(value, 1.0, lines, raw=row.text)
    under_order = None
    for i, row in enumerate(rows):
        for line in row.lines:
            if not _NUMBER_HEADER.match(line.text):
                continue
            below = cell_below(rows, i, line, max_rows=1)
            value = _code_in(below[1].text) if below else None
            if value is None:
                continue
            if _ORDER.match(line.text):
                under_order = under_order or make_found(value, 0.6, [below[1]], raw=below[1].text)
                continue
            return make_found(value, 0.85 if len(row.lines) > 1 else 0.8, [below[1]], raw=below[1].text)
    for i, row in enumerate(rows):
        if i + 1 < len(rows) and any(_INVOICE_LABEL.search(line.text) for line in row.lines):
            first = rows[i + 1].lines[0]
            value = _code_in(first.text)
            if value is not None:
                return make_found(value, 0.75, [first], raw=first.text)
    return max((f for f in (under_order, _contract_number(rows)) if f is not None), key=lambda f: f.evidence, default=None)


# contract / order / estimate numbers: what an order or a contract is known by when it is no invoice (ad buys:
# 'Contract # | 4373029', 'E-Order#: 2422095', 'Proposal #: 1243066'); contract before order before estimate
_CONTRACT_KEYS = tuple(
    (re.compile(p + r"\s*(?:#|no\.?|num(?:ber)?|n[º°o]|nr\.?)?\s*(?:/\s*rev(?:ision)?\.?\s*)?[:#.]?\s*$", re.IGNORECASE), evidence)
    for p, evidence in (
        (r"(?<![a-z])(?:contract|contrato|vertrag|agreement)", 0.85),
        (r"(?<![a-z])(?<!alt\s)(?<!alt\.\s)(?:e-?\s*)?(?:order|pedido|bestellung|proposal|propuesta|angebot)", 0.75),
        (r"(?<![a-z])(?:estimate|presupuesto|deal)", 0.65),
    )
)


def _contract_value(rows: Sequence[Row], i: int, k: int, key: re.Pattern[str]) -> tuple[str, OcrLine] | None:
    """The code a contract / order label names: after it in its own cell ('E-Order#: 2422095'), in the next cell
    ('Contract # | 4373029'), or under it when it heads a column ('Contract / Revision' over '278222')."""
    row, line = rows[i], rows[i].lines[k]
    text = line.text
    for m in re.finditer(r"[:#]", text):
        if key.search(text[: m.end()]):
            value = _code_in(text[m.end() :].lstrip(" :#.")) if text[m.end() :].strip(" :#.") else None
            if value is not None:
                return value, line
            break
    else:
        if not key.search(text):
            return None
    if k + 1 < len(row.lines) and (value := _code_in(row.lines[k + 1].text)) is not None:
        return value, row.lines[k + 1]
    below = cell_below(rows, i, line, max_rows=1)
    if below is not None and (value := _code_in(below[1].text)) is not None:
        return value, below[1]
    return None


def _contract_number(rows: Sequence[Row]) -> Found | None:
    """A code with at least three digits named by a contract label, else an order / proposal label, else an
    estimate / deal label (`_contract_value`)."""
    for key, evidence in _CONTRACT_KEYS:
        for i, row in enumerate(rows):
            for k, line in enumerate(row.lines):
                if not key.search(line.text) and not re.search(r"[:#]", line.text):
                    continue
                found = _contract_value(rows, i, k, key)
                if found is not None and sum(ch.isdigit() for ch in found[0]) >= 3:
                    return make_found(found[0], evidence, [found[1]], raw=found[1].text)
    return None


_REFERENCE = re.compile(
    r"(?<![a-z])(?:(?:our|your|su|nuestra)\s*)?(?:ref(?:erence|erencia)?|case|file|policy|p[oó]liza|claim|account|acct|cuenta|"
    r"tracking|expediente|aktenzeichen|kundennummer|vorgang)\.?\s*(?:no|number|n[uú]mero|nr|n[º°o]|#|id)?\.?\s*[:#]\s*"
    r"(?P<value>[A-Z0-9][A-Z0-9\-/_.]{2,})",
    re.IGNORECASE,
)


def extract_reference(rows: Sequence[Row]) -> Found | None:
    """The number a document is filed under: an invoice / contract / order number (`extract_invoice_number`), else a
    code after REF / REFERENCE / CASE / POLICY / ACCOUNT NO."""
    found = extract_invoice_number(rows)
    if found is not None:
        return found
    for row in rows:
        for m in _REFERENCE.finditer(row.text):
            value = m["value"].strip(".-/")
            if any(ch.isdigit() for ch in value) and not find_dates(value):
                return make_found(value, 0.85, row.lines_between(m.start("value"), m.end("value")), raw=row.text)
    return None


# ---------------------------------------------------------------- vendor (the invoice's issuer)
_VENDOR_LABEL = re.compile(r"^(?:from|vendor|supplier|seller|sold\s*by|proveedor|emisor|emite|vendedor|de)\s*:\s*(?P<v>.+)$", re.IGNORECASE)
# who the money goes to is the issuer: 'Titulaire du compte : NETPRESSE', 'Account holder: ACME Ltd'
_PAYEE_LABEL = re.compile(
    r"(?:titulaire\s*du\s*compte|account\s*(?:holder|name)|beneficiary|titular(?:\s*de\s*la\s*cuenta)?|kontoinhaber|"
    r"ten\s*name\s*van|t\.\s*n\.\s*v\.|payable\s*to|cheques?\s*payable\s*to)\s*[:.]?\s*(?P<v>[^:|]{3,60})$",
    re.IGNORECASE,
)
# legal forms that end a company name; short upper-case ones only as printed (AG, BV, NV ...), the rest in any case
_LEGAL_FORM = re.compile(
    r"(?:\b(?i:sdn\.?\s*bhd|berhad|b\.\s*v|n\.\s*v|gmbh|s\.\s*l\.?\s*u|s\.\s*l|s\.\s*a\.?\s*s|s\.\s*a|s\.\s*a\.?\s*r\.?\s*l|sarl|"
    r"s\.?\s*p\.?\s*a|s\.\s*r\.\s*l|ltd|limited|inc|llc|l\.l\.c|plc|corp|pvt\.?\s*ltd|private\s+limited|pty\.?\s*ltd|"
    r"sp\.\s*z\s*o\.\s*o|sp[oó][lł]ka\s+akcyjna|aktiengesellschaft|co\.\s*kg|kgaa)"
    r"|\b(?:AG|BV|NV|SL|SA|SAS|SE|KG|OHG|UG|SLU|SRL|LTD|AB|OY|Oy|A/S|ApS))\.?(?=$|[\s,;)|])",
)
_ISSUER_BLOCK = re.compile(
    r"(?<![a-z])(?:iban|bic|swift|kvk|kamer\s*van\s*koophandel|handelsregister|registergericht|hrb|btw|vat|tva|iva|ust|"
    r"nif|cif|siret|siren|rcs|capital|registered\s*(?:office|in|no)|si[eè]ge\s*social|domicilio\s*social|sitz|"
    r"company\s*(?:no|number|reg)|gstin|cin|abn|ein|tax\s*id)(?![a-z])",
    re.IGNORECASE,
)
_OFFICE = re.compile(r"registered\s*office|si[eè]ge\s*social|domicilio\s*social|(?<![a-z])sitz(?![a-z])|statutaire\s*zetel|head\s*office",
                     re.IGNORECASE)
_ADDRESSEE = re.compile(
    r"(?<![a-z])(?:bill(?:ed)?\s*to|sold\s*to|ship(?:ped)?\s*to|deliver(?:ed|y)?\s*(?:to|address)|invoice\s*to|billing\s*address|"
    r"shipping\s*address|customer|client[e]?|facturar\s*a|enviar\s*a|destinatario|direcci[oó]n\s*de\s*(?:facturaci[oó]n|env[ií]o)|"
    r"factuuradres|afleveradres|adresse\s*de\s*(?:facturation|livraison)|rechnungs?adresse|lieferadresse|kunde|rechnung\s*an)(?![a-z])",
    re.IGNORECASE,
)


def _legal_name(text: str) -> tuple[str, int] | None:
    """'e-Luscious Nederland B.V. iov Saeco.com' -> ('e-Luscious Nederland B.V.', end): the words before a legal
    form (at most six, after any 'Label:'), with the form."""
    for m in _LEGAL_FORM.finditer(text):
        head = text[: m.start()].rsplit(":", 1)[-1]
        words = head.split()[-6:]
        name = " ".join([*words, text[m.start() : m.end()].strip()]).strip(" ,;-")
        if words and is_texty(" ".join(words)) and not CONTACT.search(" ".join(words)) and not re.search(r"\d{3,}", name):
            return name, m.end()
    return None


def _addressee_rows(rows: Sequence[Row]) -> set[int]:
    """Rows of the customer / delivery blocks: a row with an addressee label and the few rows right under it."""
    out: set[int] = set()
    for i, row in enumerate(rows):
        if _ADDRESSEE.search(row.text):
            out.add(i)
            for j in range(i + 1, min(i + 5, len(rows))):
                gap = rows[j].bbox[1] - rows[j - 1].bbox[3]
                if rows[j].page != row.page or gap > 1.5 * max(rows[j].bbox[3] - rows[j].bbox[1], 1.0):
                    break
                out.add(j)
    return out


def _in_rows(found: Found, rows: Sequence[Row]) -> bool:
    box = found.field.bbox
    if box is None:
        return False
    return any(min(box[3], row.bbox[3]) - max(box[1], row.bbox[1]) > 0.5 * (row.bbox[3] - row.bbox[1]) for row in rows)


def _issuer_candidates(rows: Sequence[Row]) -> list[tuple[float, int, Found]]:
    """(evidence, row index, name) for names the page gives its issuer: a legal name in the letterhead or in the
    block of bank / registration details, the account holder, the name over the registered-office line."""
    page = header_rows(rows)
    addressee = _addressee_rows(page)
    near_block = {j for i, row in enumerate(page) if _ISSUER_BLOCK.search(row.text) for j in range(i - 3, i + 4)}
    out: list[tuple[float, int, Found]] = []
    for i, row in enumerate(page):
        if i in addressee:
            continue
        for line in row.lines:
            m = _PAYEE_LABEL.search(line.text)
            if m and is_texty(m["v"]) and not CONTACT.search(m["v"]):
                out.append((0.9, i, make_found(m["v"].strip(" .,;-"), 0.9, [line], raw=line.text)))
            legal = _legal_name(line.text)
            if legal is not None:
                evidence = 1.0 if i < 6 else 0.95 if i in near_block else 0.7
                out.append((evidence, i, make_found(legal[0], evidence, [line], raw=line.text)))
        if _OFFICE.search(row.text) and i > 0 and i - 1 not in addressee:
            above = page[i - 1]
            text = above.text.strip()
            if len(above.lines) == 1 and 1 <= len(text.split()) <= 5 and is_texty(text) and not re.search(r"\d", text) \
                    and not CONTACT.search(text) and _could_be_name(text):
                out.append((0.85, i - 1, make_found(text, 0.85, above.lines)))
    return out


def extract_vendor(rows: Sequence[Row]) -> Found | None:
    """The invoice's issuer: a 'Vendor:' label; else the letterhead's name when it carries a legal form; else the
    issuer named by the page's legal block (legal name beside the bank / registration details, account holder,
    the name over 'Registered office'); else the letterhead's first name-like row."""
    for row in rows:
        m = _VENDOR_LABEL.match(row.text)
        if m and is_texty(m["v"]):
            return make_found(m["v"].strip(), 1.0, row.lines, raw=row.text)
    name, _ = extract_merchant(rows)
    if name is not None and _in_rows(name, [header_rows(rows)[i] for i in _addressee_rows(header_rows(rows))]):
        name = None  # the top rows were the customer's block ('Billing address / Strategic Corp')
    if name is not None and _legal_name(name.field.value or "") is not None:
        return name
    candidates = [c for c in _issuer_candidates(rows) if c[0] >= 0.85]
    if candidates:
        return max(candidates, key=lambda c: (c[0], -c[1]))[2]
    return name or max(_issuer_candidates(rows), key=lambda c: (c[0], -c[1]), default=(0, 0, None))[2]


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
    r"^(?:bill(?:ed)?\s*to|sold\s*to|invoice\s*to|customer(?:\s*name)?|cliente|client|facturar\s*a|destinatario|kunde|rechnung\s*an)\s*[:.]?\s*(?P<v>.*)$",
    re.IGNORECASE,
)


# a label cell naming who is billed, its value in the next cell of the row: 'Advertiser | Bernie 2020',
# 'Advertiser: Club for Growth'; a label run into the cell before it by the detector ('KECI+KCFWdvertiser')
_PARTY_CELL = re.compile(
    r"(?:^\W*(?:advertiser|anunciante|werbetreibender?)|(?<=[b-z0-9+])dvertiser)(?:\s*name)?\s*[:.]?\s*$|"
    r"^\W*(?:client(?:e)?|customer|bill(?:ed)?\s*to|sold\s*to|kunde)(?:\s*name)?\s*[:.]?\s*$",
    re.IGNORECASE,
)
_PARTY_INLINE = re.compile(r"^\W*(?:advertiser|anunciante)(?:\s*name)?\s*:\s*(?P<v>\S.{2,})$", re.IGNORECASE)
_NOT_A_NAME = re.compile(r":\s*$|(?<![a-z])(?:code|ref|no|number|id|date|address)(?![a-z])", re.IGNORECASE)


def _party_name(text: str) -> str:
    """A name as printed, without the account number in brackets a station appends ('Jacobs For Congress (135377)')."""
    return re.sub(r"\s*\(+[\w\s.:-]*\d{3,}[\w\s.:-]*\)?\s*$", "", text).strip(" :|-") or text.strip()


def _party_value(text: str) -> bool:
    return is_texty(text) and not _NOT_A_NAME.search(text) and not _PARTY_CELL.search(text)


def _wrapped(rows: Sequence[Row], i: int, label: OcrLine, value: OcrLine) -> list[OcrLine]:
    """The value's second printed line: the row right under it holds one text line starting inside the value's
    horizontal extent and nothing under the label itself ('Advertiser: Congressional' / 'Leadership Fund')."""
    if i + 1 >= len(rows) or rows[i + 1].page != rows[i].page:
        return []
    height = max(value.bbox[3] - value.bbox[1], 1.0)
    label_x1 = label.bbox[2] if label is not value else value.bbox[0] + 0.25 * (value.bbox[2] - value.bbox[0])
    under = [ln for ln in rows[i + 1].lines if ln.bbox[0] < value.bbox[2] and ln.bbox[2] > label.bbox[0]]
    if len(under) != 1 or under[0].bbox[1] - value.bbox[3] > 0.6 * height:
        return []
    line = under[0]
    if line.bbox[0] < label_x1 or re.search(r"[:\d@]", line.text) or not is_texty(line.text) or len(line.text.split()) > 4:
        return []
    return [line]


def _party_found(rows: Sequence[Row], i: int, label: OcrLine, value: OcrLine, text: str, evidence: float) -> Found:
    extra = _wrapped(rows, i, label, value)
    name = " ".join([_party_name(text), *(ln.text.strip() for ln in extra)])
    return make_found(_party_name(name), evidence, [value, *extra], raw=" ".join([value.text, *(ln.text for ln in extra)]))


def _party_in_cells(rows: Sequence[Row]) -> Found | None:
    """The value cell right of an advertiser / customer label cell on the same row (past a 'Name:' cell), or after
    'Advertiser:' in the label's own cell, or under the label when it heads a column ('Advertiser' over the name)."""
    for i, row in enumerate(rows):
        for k, line in enumerate(row.lines):
            inline = _PARTY_INLINE.match(line.text)
            if inline and is_texty(inline["v"]) and not _NOT_A_NAME.search(inline["v"]):
                return _party_found(rows, i, line, line, inline["v"], 0.9)
            if not _PARTY_CELL.search(line.text):
                continue
            right, left = row.lines[k + 1 :], line
            if right and re.fullmatch(r"\W*name\s*:?\s*", right[0].text, re.IGNORECASE):
                right, left = right[1:], right[0]  # 'Advertiser | Name: | Woody Thrasher for Governor 2020'
            if right and right[0].bbox[0] - left.bbox[2] <= 12 * max(line.bbox[3] - line.bbox[1], 1.0) and _party_value(right[0].text):
                return _party_found(rows, i, line, right[0], right[0].text, 0.95)
            below = cell_below(rows, i, line, max_rows=1)  # a header cell: 'Advertiser | Original Date' over the values
            if below is not None and _party_value(below[1].text):
                return make_found(_party_name(below[1].text), 0.85, [below[1]], raw=below[1].text)
    return None


def extract_customer(rows: Sequence[Row]) -> Found | None:
    """Who is billed: the cell beside an ADVERTISER / CLIENT / CUSTOMER label (ad-buy invoices and orders print
    the advertiser so); else the name after BILL TO / CLIENTE at the start of a row (same row, else the row below)."""
    found = _party_in_cells(rows)
    if found is not None:
        return found
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
