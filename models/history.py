"""Change history of the records: who changed what, when (one row per write, same transaction).

Every write path (entry, edit, 回收站, import and its undo, demo data) calls :func:`log` inside its
transaction, so a change and its history are committed or lost together. The full old and new
values are kept (the store already holds them); ID and phone numbers are masked in what is shown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from common.ids import mask_id_number, mask_phone
from forms import fields as F
from forms.fields import FormSpec
from forms.records import SPECS, TOP_LEVEL, children, spec
from models.db import Store, now

OPERATIONS = {
    "add": "新增",
    "edit": "修改",
    "delete": "删除（移入回收站）",
    "restore": "从回收站恢复",
    "purge": "彻底删除",
    "import": "导入",
    "import_undo": "撤销导入",
    "demo": "生成演示数据",
}

CHILD_FORMS: dict[str, tuple[FormSpec, ...]] = {kind: children(kind) for kind in TOP_LEVEL if children(kind)}

Change = tuple[str, Any, Any]  # field name, old value, new value (child lists: lists of texts)


@dataclasses.dataclass(frozen=True)
class Entry:
    id: int
    at: str
    operation: str
    kind: str
    record_id: int
    label: str
    batch_id: int | None
    changes: tuple[Change, ...]

    @property
    def operation_title(self) -> str:
        return OPERATIONS.get(self.operation, self.operation)

    @property
    def kind_title(self) -> str:
        return SPECS[self.kind].title if self.kind in SPECS else self.kind


# ---------------------------------------------------------------------------------------------
# Writing


def child_line(form: FormSpec, row: Mapping[str, Any]) -> str:
    """One child row (an honour, a year's outputs) as one line of text."""
    parts = []
    for field in form.fields:
        value = row.get(field.name)
        if value is None or value == "" or (value == 0 and field.kind in F.NUMERIC_KINDS):
            continue
        if field.kind == F.YEAR and field.name == form.name_field:
            parts.append(f"{value}年")
        elif field.name == form.name_field or field.kind in (F.TEXT, F.CHOICE, F.DATE):
            parts.append(str(value))
        else:
            parts.append(f"{field.label}{_plain(value)}")
    return " ".join(parts)


def snapshot(kind: str, record: Mapping[str, Any] | None, extra: Sequence[str] = ()) -> dict[str, Any] | None:
    """The values history compares: the form's fields, the entry fields a definition added (``extra``: their
    names, read from the record or from a stored row's ``extra`` column), and each child list as sorted
    lines of text."""
    if record is None:
        return None
    form = spec(kind)
    out: dict[str, Any] = {f.name: record.get(f.name) for f in form.fields}
    if extra:
        stored = _stored_extra(record.get("extra"))
        for name in extra:
            out[name] = record[name] if name in record else stored.get(name)
    for child in CHILD_FORMS.get(kind, ()):
        if child.kind in record:
            out[child.kind] = sorted(child_line(child, r) for r in record[child.kind] or ())
    return out


def _stored_extra(text: Any) -> dict[str, Any]:
    if not isinstance(text, str) or not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def diff(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[Change]:
    """Fields whose value differs (empty strings count as empty)."""
    if not old:  # a new record (the common case of an import): every filled field, quickly
        return [(k, None, int(v) if isinstance(v, bool) else v) for k, v in (new or {}).items()
                if v is not None and v != "" and v != []]
    new = new or {}
    out: list[Change] = []
    for name in dict.fromkeys([*old, *new]):
        before, after = _norm(old.get(name)), _norm(new.get(name))
        if before != after:
            out.append((name, before, after))
    return out


def _norm(value: Any) -> Any:
    if value == "" or value == []:
        return None
    if isinstance(value, bool):
        return int(value)
    return value


def log(store: Store, operation: str, kind: str, record_id: int, label: str,
        changes: Sequence[Change] = (), batch_id: int | None = None, at: str | None = None) -> None:
    """Record one write; call inside the write's transaction."""
    store.conn.execute(
        "INSERT INTO history (at, operation, kind, record_id, label, batch_id, changes) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (at or now(), operation, kind, record_id, label or "", batch_id,
         _dumps(changes)))


def log_many(store: Store, rows: Iterable[tuple[str, str, str, int, str, int | None, Sequence[Change]]]) -> None:
    """Many writes at once (imports): rows of (at, operation, kind, record_id, label, batch_id, changes)."""
    store.conn.executemany(
        "INSERT INTO history (at, operation, kind, record_id, label, batch_id, changes) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(at, op, kind, rid, label or "", batch, _dumps(changes)) for at, op, kind, rid, label, batch, changes in rows])


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


# ---------------------------------------------------------------------------------------------
# Reading


def entries(store: Store, kind: str | None = None, record_id: int | None = None, since: str | None = None,
            limit: int | None = None) -> list[Entry]:
    """History rows, newest first, filtered by kind, record and date (``YYYY-MM-DD``, inclusive)."""
    clauses: list[str] = []
    params: list[Any] = []
    if kind:
        clauses.append("kind = ?")
        params.append(kind)
    if record_id is not None:
        clauses.append("record_id = ?")
        params.append(record_id)
    if since:
        clauses.append("at >= ?")
        params.append(since)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    tail = f" LIMIT {int(limit)}" if limit else ""
    rows = store.query(f"SELECT * FROM history {where} ORDER BY at DESC, id DESC{tail}", params)
    return [Entry(r["id"], r["at"], r["operation"], r["kind"], r["record_id"], r["label"], r["batch_id"],
                  tuple((c[0], c[1], c[2]) for c in json.loads(r["changes"] or "[]"))) for r in rows]


def parse_since(text: str) -> str:
    """``2025-03-01`` (or ``2025-3-1``, ``2025/3/1``) as an ISO date; ValueError with a Chinese reason."""
    cleaned = text.strip().replace("/", "-").replace(".", "-")
    try:
        y, m, d = (int(p) for p in cleaned.split("-"))
        return dt.date(y, m, d).isoformat()
    except (ValueError, TypeError):
        raise ValueError(f"日期“{text}”无法识别，请写成 2025-03-01 的形式") from None


def _field(kind: str, name: str, store: Store | None) -> F.Field | None:
    """The field ``name`` of ``kind``: the form's own, or one a definition in ``store`` adds."""
    try:
        return spec(kind).field(name)
    except KeyError:
        pass
    if store is None:
        return None
    from models.records import extra_fields

    return next((f for f in extra_fields(store, kind) if f.name == name), None)


def field_label(kind: str, name: str, store: Store | None = None) -> str:
    for child in CHILD_FORMS.get(kind, ()):
        if child.kind == name:
            return child.title
    field = _field(kind, name, store)
    return field.label if field is not None else name


def _plain(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def shown_value(kind: str, name: str, value: Any, store: Store | None = None) -> str:
    """A value as shown to people: ID and phone numbers masked, links as names, yes/no in Chinese."""
    if value is None:
        return "（空）"
    field = _field(kind, name, store)
    if field is None:
        return "；".join(str(v) for v in value) if isinstance(value, list) else _plain(value)
    if field.kind == F.ID_NUMBER:
        return mask_id_number(str(value))
    if field.kind in (F.MOBILE, F.PHONE) or field.sensitive:
        return mask_phone(str(value))
    if field.kind == F.BOOL:
        return "是" if value else "否"
    if field.kind == F.REF and store is not None:
        target = spec(field.ref_kind or "")
        name_of = store.scalar(f"SELECT {target.name_field} FROM {target.table} WHERE id = ?", (value,))
        return f"{name_of}" if name_of is not None else f"（编号{value}）"
    return _plain(value)


def change_lines(entry: Entry, store: Store | None = None) -> list[str]:
    """One line per changed field: ``职务：车间主任 → 副厂长``; child lists as lines added and removed."""
    lines = []
    for name, old, new in entry.changes:
        label = field_label(entry.kind, name, store)
        if isinstance(old, list) or isinstance(new, list):
            before, after = list(old or []), list(new or [])
            for line in after:
                if line not in before:
                    lines.append(f"{label}：增加 {line}")
            for line in before:
                if line not in after:
                    lines.append(f"{label}：去掉 {line}")
            continue
        lines.append(f"{label}：{shown_value(entry.kind, name, old, store)} → {shown_value(entry.kind, name, new, store)}")
    return lines


def describe(entry: Entry, store: Store | None = None) -> str:
    """The entry as a few lines of text (CLI and tooltips)."""
    head = f"{entry.at.replace('T', ' ')}  {entry.operation_title}  {entry.kind_title}“{entry.label}”（编号{entry.record_id}）"
    if entry.batch_id:
        head += f"  导入批次{entry.batch_id}"
    return "\n".join([head, *("    " + line for line in change_lines(entry, store))])


__all__ = ["OPERATIONS", "TOP_LEVEL", "Entry", "change_lines", "describe", "diff", "entries", "log", "log_many",
           "parse_since", "shown_value", "snapshot"]
