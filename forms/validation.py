"""Reading and checking a record against its :class:`FormSpec`. Returns data, never shows UI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from common import ids
from common.text import (
    ParseError,
    normalize_middle_dots,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
    parse_year,
    plain_text,
)
from forms import choices as choice_lists
from forms import fields as F
from forms.fields import Field, Finding, FormSpec


def is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and (value == "" or value.isspace()))


def parse_field(field: Field, raw: object) -> Any:
    """The canonical value of ``raw`` for ``field``; ``None`` when empty. Raises ParseError."""
    if field.kind == F.BOOL:
        return parse_bool(raw)
    if is_empty(raw):
        return None
    kind = field.kind
    if kind == F.TEXT:
        text = normalize_middle_dots(plain_text(raw))
        if len(text) > field.max_length:
            raise ParseError(f"太长了（最多{field.max_length}字）")
        return text
    if kind == F.INT:
        return parse_int(raw)
    if kind == F.MONEY:
        return parse_decimal(raw)
    if kind == F.DATE:
        return parse_date(raw, allow_partial=field.allow_partial_date)
    if kind == F.YEAR:
        year = parse_year(raw)
        if year is not None and year > dt.date.today().year + 1:
            raise ParseError(f"年份“{year}”还没到")
        return year
    if kind == F.CHOICE:
        assert field.choices
        text = plain_text(raw)
        value = choice_lists.match(field.choices, text)
        if value is None:
            if field.free_text:
                return normalize_middle_dots(text)
            sample = "、".join(choice_lists.values(field.choices)[:6])
            raise ParseError(f"“{text}”不在可选范围内（如：{sample}……）")
        return value
    if kind == F.ID_NUMBER:
        return ids.check_id_number(raw).number
    if kind == F.MOBILE:
        return ids.check_mobile(raw)
    if kind == F.PHONE:
        return ids.check_phone(raw)
    if kind == F.REF:
        if isinstance(raw, int):
            return raw
        number = parse_int(raw, minimum=1)
        return number
    if kind == F.PERIOD:
        from forms.periods import parse_period

        return parse_period(raw).code
    raise AssertionError(f"unknown field kind {kind}")


def validate(spec: FormSpec, raw: Mapping[str, Any], *, partial: bool = False) -> tuple[dict[str, Any], list[Finding]]:
    """Parse every field of ``raw`` and check the record.

    Returns the clean values (fields that could not be read are left out) and the findings.
    With ``partial`` only the fields present in ``raw`` are parsed (for as-you-type checks).
    """
    clean: dict[str, Any] = {}
    findings: list[Finding] = []
    for field in spec.fields:
        if partial and field.name not in raw:
            continue
        value = raw.get(field.name, field.default)
        try:
            parsed = parse_field(field, value)
        except ParseError as exc:
            findings.append(F.error(field, str(exc), _invalid_code(spec, field)))
            continue
        if parsed is None and field.default is not None and field.kind != F.BOOL:
            parsed = field.default
        clean[field.name] = parsed
    failed = {f.where for f in findings}
    if not partial:
        for derive in spec.derive:
            derive(clean)
    for field in spec.fields:
        if field.required and field.name not in failed and clean.get(field.name) is None \
                and not (partial and field.name not in raw):
            findings.append(F.error(field, "不能为空", f"{spec.kind}.{field.name}.required"))
    findings.extend(_not_above(spec, clean))
    failed = {f.where for f in findings}
    for check in spec.checks:
        findings.extend(f for f in check(clean) if f.where not in failed)
    if F.ID_NUMBER in {f.kind for f in spec.fields}:
        findings.extend(_id_warnings(spec, clean))
    return clean, findings


def _invalid_code(spec: FormSpec, field: Field) -> str:
    """A person's ID number the review also checks: its code (``person.id_invalid``); else ``kind.field.invalid``."""
    from forms import checks

    if spec.kind == "people" and field.kind == F.ID_NUMBER:
        return checks.ID_INVALID
    return f"{spec.kind}.{field.name}.invalid"


def _not_above(spec: FormSpec, clean: Mapping[str, Any]) -> list[Finding]:
    """其中 parts above totals: the same check and code (``record.not_above``) as the review's."""
    from forms import checks

    return [F.error(spec.field(name), message, checks.NOT_ABOVE) for name, message in checks.not_above(spec, clean)]


def _id_warnings(spec: FormSpec, clean: Mapping[str, Any]) -> list[Finding]:
    out = []
    for field in spec.fields:
        if field.kind == F.ID_NUMBER and clean.get(field.name):
            info = ids.check_id_number(clean[field.name])
            if info.region_warning:
                out.append(F.warning(field, info.region_warning, f"{spec.kind}.{field.name}.region"))
    return out


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.is_error]
