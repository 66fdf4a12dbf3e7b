"""Cross-field checks recorded in the output (`validation`). They only run when the fields they compare were
found; a failed check names its fields, and the assembly lowers their confidence (a calibration feature)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from iris_common.contract.extraction import ExtractedField, LineItem, ValidationCheck

EARLIEST_DATE = date(1990, 1, 1)


def _amount(f: ExtractedField | None) -> Decimal | None:
    if f is None or f.value is None:
        return None
    try:
        return Decimal(f.value)
    except InvalidOperation:
        return None


def tolerance(n_terms: int) -> Decimal:
    """Rounding tolerance: half a cent per rounded term, at least two cents."""
    return max(Decimal("0.02"), Decimal("0.005") * n_terms)


def check_line_items(items: list[LineItem], fields: dict[str, ExtractedField]) -> ValidationCheck | None:
    amounts = [_amount(item.amount) for item in items]
    amounts = [a for a in amounts if a is not None]
    targets = {name: _amount(fields.get(name)) for name in ("subtotal", "total")}
    targets = {k: v for k, v in targets.items() if v is not None}
    if len(amounts) < 2 or not targets:
        return None
    total = sum(amounts, Decimal(0))
    tol = tolerance(len(amounts))
    matched = [name for name, v in targets.items() if abs(v - total) <= tol]
    return ValidationCheck(
        name="line_items_sum",
        passed=bool(matched),
        details=f"{len(amounts)} line items sum to {total:.2f}; "
        + ", ".join(f"{k} {v:.2f}" for k, v in targets.items())
        + (f" (matches {matched[0]})" if matched else f" (tolerance {tol})"),
        fields=matched or list(targets),
    )


def check_subtotal_tax_total(fields: dict[str, ExtractedField]) -> ValidationCheck | None:
    sub, tax, total = (_amount(fields.get(n)) for n in ("subtotal", "tax", "total"))
    if sub is None or tax is None or total is None:
        return None
    tol = tolerance(3)
    if abs(sub + tax - total) <= tol:
        return ValidationCheck(name="subtotal_plus_tax", passed=True, details=f"{sub:.2f} + {tax:.2f} = {total:.2f}",
                               fields=["subtotal", "tax", "total"])
    if abs(sub - total) <= tol and tax < total:
        return ValidationCheck(name="subtotal_plus_tax", passed=True,
                               details=f"subtotal {sub:.2f} equals total {total:.2f}: prices include the tax {tax:.2f}",
                               fields=["subtotal", "tax", "total"])
    return ValidationCheck(name="subtotal_plus_tax", passed=False,
                           details=f"{sub:.2f} + {tax:.2f} = {sub + tax:.2f}, not the total {total:.2f}",
                           fields=["subtotal", "tax", "total"])


def check_date(name: str, f: ExtractedField | None, today: date) -> ValidationCheck | None:
    if f is None or f.value is None:
        return None
    try:
        value = date.fromisoformat(f.value)
    except ValueError:
        return ValidationCheck(name="date_plausible", passed=False, details=f"{f.value!r} is not an ISO date", fields=[name])
    if value > today + timedelta(days=1):
        return ValidationCheck(name="date_plausible", passed=False, details=f"{value} is in the future", fields=[name])
    if value < EARLIEST_DATE:
        return ValidationCheck(name="date_plausible", passed=False, details=f"{value} is before {EARLIEST_DATE}", fields=[name])
    return ValidationCheck(name="date_plausible", passed=True, details=f"{value} is between {EARLIEST_DATE} and today", fields=[name])


def check_tax_id(name: str, f: ExtractedField | None, flags: list[str]) -> ValidationCheck | None:
    if f is None or f.value is None:
        return None
    if "tax_id_checksum_failed" in flags:
        return ValidationCheck(name="tax_id_checksum", passed=False, details=f"{f.value}: Spanish NIF/CIF/NIE control character does not match", fields=[name])
    if "tax_id_checksum_ok" in flags:
        return ValidationCheck(name="tax_id_checksum", passed=True, details=f"{f.value}: Spanish NIF/CIF/NIE control character matches", fields=[name])
    return None


def validate(
    fields: dict[str, ExtractedField], items: list[LineItem], flags: dict[str, list[str]], today: date
) -> list[ValidationCheck]:
    """Every check that applies to what was found."""
    checks = [check_line_items(items, fields), check_subtotal_tax_total(fields)]
    checks += [check_date(n, fields.get(n), today) for n in ("date", "due_date") if n in fields]
    checks += [check_tax_id(n, fields.get(n), flags.get(n, [])) for n in ("merchant_tax_id", "vendor_tax_id") if n in fields]
    return [c for c in checks if c is not None]
