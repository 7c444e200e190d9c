"""The building blocks of a declarative form: :class:`Field` and :class:`FormSpec`.

One ``FormSpec`` per record kind drives the entry dialog, the table columns, validation, import
header synonyms and the exports. Nothing restates a field list by hand.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

# Field kinds
TEXT = "text"
INT = "int"
MONEY = "money"  # 万元, two decimals
DATE = "date"
YEAR = "year"
CHOICE = "choice"
BOOL = "bool"
ID_NUMBER = "id_number"
MOBILE = "mobile"
PHONE = "phone"
REF = "ref"  # a record of another kind, stored as its id
PERIOD = "period"

NUMERIC_KINDS = (INT, MONEY)


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = TEXT
    required: bool = False
    choices: str | None = None  # name of a list in forms.choices
    free_text: bool = False  # a choice field that also accepts values outside its list
    unit: str = ""  # unit of measure shown beside numbers: 人, 项, 万元 …
    not_above: str | None = None  # 其中: this value may not exceed that field's value
    max_length: int = 200
    allow_partial_date: bool = False
    default: Any = None
    synonyms: tuple[str, ...] = ()  # header variants found in people's spreadsheets
    ref_kind: str | None = None
    in_list: bool = True  # shown as a column of the record table
    width: int = 8  # typical width in characters, for tables and exports
    help: str = ""
    sensitive: bool = False  # masked in printed and exported rosters

    @property
    def caption(self) -> str:
        """The label with its unit: ``参训人次（人次）``."""
        return f"{self.label}（{self.unit}）" if self.unit else self.label


Check = Callable[[Mapping[str, Any]], Sequence["Finding"]]


@dataclasses.dataclass(frozen=True)
class Finding:
    """One validation result. ``where`` is a field name (or a place in a return)."""

    severity: str  # "error" or "warning"
    where: str
    message: str
    code: str
    label: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def text(self) -> str:
        return f"{self.label}：{self.message}" if self.label else self.message


def error(field: Field | str, message: str, code: str, label: str = "") -> Finding:
    if isinstance(field, Field):
        return Finding("error", field.name, message, code, field.label)
    return Finding("error", field, message, code, label)


def warning(field: Field | str, message: str, code: str, label: str = "") -> Finding:
    if isinstance(field, Field):
        return Finding("warning", field.name, message, code, field.label)
    return Finding("warning", field, message, code, label)


@dataclasses.dataclass(frozen=True)
class FormSpec:
    kind: str  # people, honours, studios …
    table: str  # SQLite table
    title: str  # 人员 (noun used in messages: “新增人员”)
    fields: tuple[Field, ...]
    name_field: str = "name"
    search_fields: tuple[str, ...] = ("name",)
    default_order: str = "id"
    checks: tuple[Check, ...] = ()
    derive: tuple[Callable[[dict[str, Any]], None], ...] = ()  # fill fields that follow from others
    parent_key: str | None = None  # child forms (honours, yearly outputs): the parent id column
    soft_delete: bool = True
    unique: tuple[str, ...] = ()  # fields unique in the store
    match_keys: tuple[str, ...] = ()  # what identifies the same record when importing a file again
    parent: str | None = None  # child forms: the kind of the parent record (honours → people)
    import_label: str = ""  # what importing this kind is called (人员与荣誉); "" when it cannot be imported
    template_sheet: str = ""  # the sheet name of its blank import template (劳模名册)

    @property
    def top_level(self) -> bool:
        """A kind with its own page and table (children are edited inside their parent)."""
        return self.parent is None

    @property
    def importable(self) -> bool:
        return bool(self.import_label)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.kind}.{name}")

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def list_fields(self) -> list[Field]:
        return [f for f in self.fields if f.in_list]
