"""Field finders: general layout and keyword rules (English, Spanish, German) on the OCR rows; no per-file tuning.

Each finder returns a `Found`: the field with its box and raw text, plus the evidence its confidence is derived
from. `core.document` assembles them per document type, normalises, validates and calibrates.

Everything works on visual rows (`rows.Row`: lines that share a baseline), in reading order. One module per kind
of field: `dates`, `amounts`, `parties` (merchant, vendor, customer, ids), `key_values` (forms), `text` (blocks
and letters); `keywords` holds the shared keyword grammars.

- receipt: merchant_name (first text-like rows), merchant_address (the rows under it, until a phone/tax id/date
  row), date (a row with a DATE/FECHA keyword first, else the first date), total (the largest amount on a row
  with a total keyword, ignoring subtotal, tax, change, cash, discount, quantity rows).
- invoice: invoice_number (an invoice number, else a contract / order / estimate number), date, vendor_name,
  customer_name (the cell beside an Advertiser / Client / Bill to label, else after BILL TO), total (a GROSS
  amount when printed, else as for receipts), period_start / period_end (a date range after Flight dates /
  Schedule dates / Period; an invoicing period last).
- form: key/value pairs from "Key: value", "Key:" + the box right of or under it, or a label with a value to its right.
- letter / other: text blocks (rows separated by a vertical gap), plus the date for letters; other also carries
  generic fields so that a document routed there loses nothing readable: issuer (the letterhead's first
  text-like row), date, total (+ currency), reference_number.
"""

from ocr_extractor.core.fields.amounts import extract_gross_total, extract_line_items, extract_payment_method, extract_subtotal, extract_tax, extract_total
from ocr_extractor.core.fields.dates import extract_date, extract_due_date, extract_period, extract_time
from ocr_extractor.core.fields.key_values import extract_key_values, slug
from ocr_extractor.core.fields.parties import (
    extract_customer,
    extract_invoice_number,
    extract_merchant,
    extract_reference,
    extract_tax_id,
    extract_vendor,
)
from ocr_extractor.core.fields.rows import Found, Row, build_rows
from ocr_extractor.core.fields.text import extract_recipient, extract_sender, extract_subject, extract_text_blocks

__all__ = [
    "Found",
    "Row",
    "build_rows",
    "extract_customer",
    "extract_date",
    "extract_due_date",
    "extract_gross_total",
    "extract_invoice_number",
    "extract_key_values",
    "extract_line_items",
    "extract_merchant",
    "extract_payment_method",
    "extract_period",
    "extract_recipient",
    "extract_reference",
    "extract_sender",
    "extract_subject",
    "extract_subtotal",
    "extract_tax",
    "extract_tax_id",
    "extract_text_blocks",
    "extract_time",
    "extract_total",
    "extract_vendor",
    "slug",
]
