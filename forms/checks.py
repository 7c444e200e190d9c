"""Record checks declared once: the entry dialog (``forms.validation``, ``models.records``) and the review
(``models.review``) call these same functions and report under the same finding codes, whose severity,
title and fix the return's definition declares (``rules`` in the definition file).

Each check returns ``(field, message)`` pairs: at entry the finding points at the field, in the review at
the record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from common import ids
from forms.fields import FormSpec

ID_INVALID = "person.id_invalid"
ID_MISMATCH = "person.id_mismatch"
NOT_ABOVE = "record.not_above"
HONOUR_YOUNG = "honour.young"
LEADER_HONOUR = "studio.leader_honour"

CERT_FIELDS = ("cert_junior", "cert_middle", "cert_senior", "cert_technician", "cert_senior_technician")


def number_text(value: Any) -> str:
    """``12``, ``12.5``: a count or an amount as people write it."""
    if value is None or value == "":
        return "0"
    number = Decimal(str(value))
    return f"{number.normalize():f}" if number != number.to_integral_value() else str(int(number))


def id_mismatches(id_number: str, birth_date: Any, sex: Any) -> list[tuple[str, str]]:
    """Birth date and sex that disagree with a valid ID number (``ParseError`` if the number is invalid)."""
    info = ids.check_id_number(id_number)
    out = []
    if birth_date and not info.birth_date.startswith(str(birth_date)):
        out.append(("birth_date", f"与身份证号中的出生日期 {info.birth_date} 不一致（出生日期填的是 {birth_date}）"))
    if sex and sex != info.sex:
        out.append(("sex", f"与身份证号不一致（性别填的是“{sex}”，身份证号第17位表示“{info.sex}”）"))
    return out


def not_above(form: FormSpec, values: Mapping[str, Any], fields: Iterable[Any] = ()) -> list[tuple[str, str]]:
    """其中 parts above their totals (each field's ``not_above``, and a training's certificates above its
    participants). ``fields`` adds a definition's entry fields to the form's own."""
    out = []
    declared = {f.name: f for f in (*form.fields, *fields)}
    for field in declared.values():
        if field.not_above is None or field.not_above not in declared:
            continue
        part, total = values.get(field.name), values.get(field.not_above)
        if part is not None and total is not None and Decimal(str(part)) > Decimal(str(total)):
            out.append((field.name, f"{field.label}（{number_text(part)}）不能大于{declared[field.not_above].label}"
                                    f"（{number_text(total)}）"))
    if form.kind == "trainings":
        certs = sum(int(values.get(name) or 0) for name in CERT_FIELDS)
        participants = values.get("participants")
        if participants is not None and certs > int(participants):
            out.append((CERT_FIELDS[0], f"取证人数合计（{certs}）不能大于参训人次（{number_text(participants)}）"))
    return out


def honour_too_young(birth_date: Any, award_year: Any, min_age: int) -> str | None:
    """The message when an honour was awarded before its holder was ``min_age`` (the definition's threshold)."""
    if birth_date and award_year and int(award_year) - int(str(birth_date)[:4]) < min_age:
        return f"授予于{award_year}年，本人{str(birth_date)[:4]}年出生，不满{min_age}岁"
    return None


def leader_honour_problem(studio_type: Any, held: set[str], leader_name: str) -> str | None:
    """The message when a studio's leader lacks the honour its type requires (DOMAIN.md §3.2)."""
    from forms.honours import STUDIO_LEADER_REQUIREMENTS

    required = STUDIO_LEADER_REQUIREMENTS.get(str(studio_type or ""))
    if not required or held & set(required):
        return None
    return f"{studio_type}的领办人须获得“{'”或“'.join(required)}”荣誉，“{leader_name or '（未指定）'}”没有"
