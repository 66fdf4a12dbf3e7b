"""Versioned schemas: the current version is what outputs satisfy; earlier versions stay served for pinned clients."""

import pytest

from iris_common.contract.extraction import DocumentType, schema_versions
from ocr_extractor.core.document import extract_document
from ocr_extractor.core.schemas import UnknownSchemaVersion, field_names, json_schema, schema_errors
from ocr_helpers import receipt_rows


def _fields(schema: dict) -> set[str]:
    ref = schema["properties"]["fields"]["$ref"].rsplit("/", 1)[-1]
    return set(schema["$defs"][ref]["properties"])


def test_invoice_schema_grew_the_period_and_keeps_serving_1_0_0() -> None:
    assert schema_versions(DocumentType.INVOICE) == ["1.0.0", "1.1.0"]
    current, old = json_schema(DocumentType.INVOICE), json_schema(DocumentType.INVOICE, "1.0.0")
    assert current["version"] == "1.1.0" and current["$id"].endswith("/invoice/1.1.0.json")
    assert old["version"] == "1.0.0" and old["$id"].endswith("/invoice/1.0.0.json")
    assert {"period_start", "period_end"} <= _fields(current) and not {"period_start", "period_end"} & _fields(old)
    assert _fields(current) - _fields(old) == {"period_start", "period_end"}
    assert "period_start" in field_names(DocumentType.INVOICE) and "period_start" not in field_names(DocumentType.INVOICE, "1.0.0")
    with pytest.raises(UnknownSchemaVersion):
        json_schema(DocumentType.INVOICE, "9.9.9")


def test_an_ad_buy_invoice_fills_the_new_fields_and_validates() -> None:
    ocr = receipt_rows(["WXYZ-TV", "Contract # 4373029", "Advertiser: Friends of Ana Lopez", "Flight Dates: 02/19/20 - 02/25/20",
                        "Gross Total $10,910.00", "Net Total $9,273.50"])
    doc = extract_document(ocr, DocumentType.INVOICE)
    f = doc.fields
    assert doc.schema_version == "1.1.0" and schema_errors(doc) == []
    assert (f["period_start"].value, f["period_end"].value) == ("2020-02-19", "2020-02-25")
    assert f["total"].value == "10910.00"  # the gross amount, not the net after commission
    assert f["invoice_number"].value == "4373029" and f["customer_name"].value == "Friends of Ana Lopez"


def test_other_schema_1_1_0_has_generic_fields_and_1_0_0_is_still_served() -> None:
    assert schema_versions(DocumentType.OTHER) == ["1.0.0", "1.1.0"]
    assert _fields(json_schema(DocumentType.OTHER)) == {"issuer", "date", "total", "currency", "reference_number"}
    assert json_schema(DocumentType.OTHER, "1.0.0")["version"] == "1.0.0"
    assert field_names(DocumentType.OTHER, "1.0.0") == []


def test_a_receipt_routed_to_other_loses_nothing_readable() -> None:
    """The classifier's `other` for a small receipt must still return its date, total (with currency) and issuer."""
    ocr = receipt_rows(["CORNER GROCERY", "15 Main Street, Springfield", "DATE: 28/12/2017 10:15", "2 x Bread 6.00",
                        "1 x Milk 2.50", "SUBTOTAL 8.50", "TAX 6.50% 0.55", "TOTAL EUR 9.05", "CASH 10.00", "CHANGE 0.95"])
    doc = extract_document(ocr, DocumentType.OTHER)
    f = doc.fields
    assert doc.schema_version == "1.1.0" and schema_errors(doc) == [] and doc.text_blocks
    assert f["issuer"].value == "CORNER GROCERY" and f["date"].value == "2017-12-28"
    assert (f["total"].value, f["total"].currency, f["currency"].value) == ("9.05", "EUR", "EUR")
    assert f["reference_number"].value is None and not f["reference_number"].needs_review  # `other` expects none


def test_other_reads_a_reference_number() -> None:
    ocr = receipt_rows(["CITY COUNCIL", "Our ref: PL/2024/0042", "Dear Ms Lopez,", "Your application was received."])
    doc = extract_document(ocr, DocumentType.OTHER)
    assert doc.fields["reference_number"].value == "PL/2024/0042" and doc.fields["issuer"].value == "CITY COUNCIL"
