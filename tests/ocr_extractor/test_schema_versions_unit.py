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
