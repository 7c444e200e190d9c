"""The return (报表) as plain data: computed from the records, summed, serialised canonically.

:class:`Return` holds everything an export shows: the unit, the period, the cover, the tables
表1–表5 (cell values keyed by the row and column keys of ``forms.returns``), the rosters and the
说明 written for warnings. It knows nothing of the store once built, so it can be frozen as a
version, written to Excel/PDF, read back from a file, and summed over units (汇总).

The canonical form (:func:`canonical_bytes`) is UTF-8 JSON with sorted keys, no spaces and no
floats: counts are integers and money (万元) is a string with two decimals (``"12.50"``). It is
what a version stores, what the Excel file carries in its ``_data`` sheet and what is signed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from common.bulk import without_gc_passes
from common.errors import UserError
from forms import returns as R
from forms.definition import Definition, shipped_definition, shipped_spec, spec_of
from forms.fields import Field
from forms.honours import CATEGORY_BY_NAME, LEVEL_RANK
from forms.periods import Period, parse_period
from forms.records import CERT_FIELDS
from models.db import RecordError, Store

Resolver = Callable[[str], Definition | None]  # a definition by digest (``models.definitions.by_digest``)

Number = int | Decimal
CENT = Decimal("0.01")

# Names in the exchanged workbook, written by models.export_xlsx and read by models.return_io (which does not load
# the writers): the hidden data sheet and its marker, the custom document properties.
DATA_SHEET = "_data"
DATA_MARKER = R.FORMAT_NAME
PROPERTY_DIGEST = "ChangaiReturnDigest"
PROPERTY_SIGNER = "ChangaiSignerFingerprint"
# Earlier versions carried a signature over the embedded data only, in a hidden sheet of this name. Such a
# signature does not cover the visible sheets; a workbook that still has the sheet is read as unsigned. The
# signature now covers every part of the package and travels in the zip comment (``models.signing.package``).
SIGNATURE_SHEET = "_signature"


class ReturnFormatError(UserError, ValueError):
    """Data that is not a valid return; ``str()`` is a Chinese reason."""


def money(value: object) -> Decimal:
    """A money amount (万元) as a Decimal with two places; ``None`` is zero."""
    if value is None or value == "":
        return Decimal("0.00")
    if isinstance(value, Decimal):
        return value.quantize(CENT)
    try:
        return Decimal(str(value)).quantize(CENT)
    except InvalidOperation:
        raise ReturnFormatError(f"“{value}”不是金额") from None


# ------------------------------------------------------------------------------------------------
# The Return object


@dataclasses.dataclass
class Return:
    unit_code: str
    unit_name: str
    unit_level: str
    parent_code: str | None
    period: str
    cover: dict[str, str]
    tables: dict[str, dict[str, dict[str, Number]]]
    rosters: dict[str, list[dict[str, str]]]
    notes: list[dict[str, str]] = dataclasses.field(default_factory=list)
    version: int = 0  # 0: a draft, not finalised
    finalised_at: str = ""
    sources: list[str] = dataclasses.field(default_factory=list)  # units summed into a consolidated return
    # A consolidated return's 应报/实报/未报 and the version and digest of each return summed (models.consolidate)
    coverage: dict[str, Any] = dataclasses.field(default_factory=dict)
    # The definition (报表制度) the return is built on; ``names_definition`` is False for a return read from
    # a file made before returns named theirs (its canonical bytes then stay exactly as they were).
    definition: Definition = dataclasses.field(default_factory=shipped_definition)
    names_definition: bool = True

    @property
    def spec(self) -> R.ReturnSpec:
        return self.definition.spec

    @property
    def period_obj(self) -> Period:
        return parse_period(self.period)

    @property
    def consolidated(self) -> bool:
        return bool(self.sources)

    @property
    def is_draft(self) -> bool:
        return self.version == 0

    @property
    def coverage_text(self) -> str:
        """``应报 10 个，实报 9 个，未报：澜沧县`` for a consolidated return, else ``""``."""
        return str(self.coverage.get("text", "")) if self.consolidated else ""

    def cover_lines(self) -> list[tuple[str, str]]:
        """The cover's label/value lines, as both exports print them."""
        from common.text import date_cn

        period = self.period_obj
        lines = [
            ("填报单位（盖章）", self.unit_name),
            ("单位代码", self.unit_code),
            ("报告期", f"{period.label}（{period.start.isoformat()} 至 {period.end.isoformat()}）"),
            ("报表版本", f"第{self.version}版（定稿于 {self.finalised_at.replace('T', ' ')}）" if self.version else "草稿"),
            ("报表制度", self.definition_line()),
            *((f.label, date_cn(self.cover.get(f.key, "")) if f.key == "report_date" else self.cover.get(f.key, ""))
              for f in self.spec.cover),
        ]
        if self.consolidated:
            reported = int(self.coverage.get("reported", len(self.sources) - 1))
            lines.insert(2, ("汇总范围", f"本级直属单位及 {reported} 个下级单位"))
        return lines

    def definition_line(self) -> str:
        """``产业工人队伍建设改革统计表 第1版（云南省总工会制定，2021—2030年）``."""
        d = self.definition
        return f"{d.title} 第{d.version}版（{d.authority}制定，{d.year_from}—{d.year_to}年）"

    def contacts_line(self) -> str:
        """``单位负责人：李国华　　统计负责人：…　　报出日期：2026年1月15日``, under every table."""
        from common.text import date_cn

        parts = [f"{f.label}：{self.cover.get(f.key, '')}" for f in self.spec.cover if f.key != "report_date"]
        parts.append(f"报出日期：{date_cn(self.cover.get('report_date', ''))}")
        return "　　".join(parts)

    def value(self, table: str, row: str, column: str) -> Number:
        return self.tables[table][row][column]

    def row_values(self, table: str, row: str) -> list[Number]:
        spec = self.spec.table(table)
        return [self.tables[table][row][c.key] for c in spec.columns]

    def title_line(self) -> str:
        """``宁洱哈尼族彝族自治县总工会 2025年年报 第1版``."""
        period = self.period_obj
        version = f"第{self.version}版" if self.version else "草稿"
        return f"{self.unit_name} {period.label}{period.kind_label} {version}"

    def file_stem(self) -> str:
        """``530821_2026_v1`` (drafts: ``530821_2026_draft``)."""
        return f"{self.unit_code}_{self.period}_{'v' + str(self.version) if self.version else 'draft'}"

    # -- canonical form ----------------------------------------------------------------------

    def to_dict(self, *, roster_rows: Callable[[str], list[Any]] | None = None) -> dict[str, Any]:
        """The canonical form as plain data. ``roster_rows(key)``, if given, stands in for each roster's rows
        (:func:`canonical_chunks` puts a marker there and writes the rows in slices)."""
        tables: dict[str, Any] = {}
        for spec in self.spec.tables:
            tables[spec.key] = {
                row.key: {c.key: _json_number(self.tables[spec.key][row.key][c.key], c.money) for c in spec.columns}
                for row in spec.rows}
        rosters: dict[str, Any] = {}
        for roster in self.spec.rosters:
            cols = [c.key for c in roster.visible_columns(self.consolidated)]
            rows = roster_rows(roster.key) if roster_rows is not None else \
                roster_cells(self.rosters.get(roster.key, []), cols)
            rosters[roster.key] = {"columns": cols, "rows": rows}
        out = {
            "format": R.FORMAT_NAME, "format_version": R.FORMAT_VERSION,
            "unit": {"code": self.unit_code, "name": self.unit_name, "level": self.unit_level,
                     "parent_code": self.parent_code},
            "period": self.period, "version": self.version, "finalised_at": self.finalised_at,
            "cover": {f.key: self.cover.get(f.key, "") for f in self.spec.cover},
            "tables": tables, "rosters": rosters,
            "notes": [{k: n.get(k, "") for k in ("code", "where", "message", "text")} for n in self.notes],
            "sources": list(self.sources),
        }
        if self.consolidated:  # only then, so a county's canonical bytes stay as they were
            out["coverage"] = _clean_coverage(self.coverage)
        if self.names_definition:
            out["definition"] = self.definition.ref
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], resolve: Resolver | None = None) -> Return:
        """Rebuild a return from its canonical dict with its own definition (looked up by digest with
        ``resolve``; a return without one is built on the shipped v1); :class:`ReturnFormatError` if it is not
        one or its definition is not known here."""
        try:
            return _from_dict(data, resolve)
        except ReturnFormatError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ReturnFormatError(f"报表数据结构不完整（{type(exc).__name__}: {exc}）") from None

    def content_bytes(self) -> bytes:
        """The canonical bytes without version, time and report date: equal when nothing changed."""
        return _dump(self._content())

    def same_content(self, other: Return) -> bool:
        """``self.content_bytes() == other.content_bytes()``, without writing either document whole.

        Everything but the rosters' rows is compared as those bytes; then each roster's rows, as the texts the
        canonical form writes for them (:func:`roster_cells`; lists of texts are equal exactly when their JSON
        texts are). 定稿 asks this of the version before: for a province's roster of 100,000 people, writing both
        documents took longer than computing the return."""
        def without_rows(key: str) -> list[Any]:
            return []

        if _dump(self._content(without_rows)) != _dump(other._content(without_rows)):
            return False
        for roster in self.spec.rosters:  # the same definition and columns: the bytes above name them
            keys = [c.key for c in roster.visible_columns(self.consolidated)]
            mine, theirs = self.rosters.get(roster.key, []), other.rosters.get(roster.key, [])
            if len(mine) != len(theirs):
                return False
            for start in range(0, len(mine), ROWS_PER_SLICE):  # a slice at a time, as they are written
                end = start + ROWS_PER_SLICE
                if roster_cells(mine[start:end], keys) != roster_cells(theirs[start:end], keys):
                    return False
        return True

    def _content(self, roster_rows: Callable[[str], list[Any]] | None = None) -> dict[str, Any]:
        data = self.to_dict(roster_rows=roster_rows)
        data["version"] = 0
        data["finalised_at"] = ""
        data["cover"]["report_date"] = ""
        data["definition"] = self.definition.ref  # an old version without the field equals the same content
        return data


def roster_cells(rows: Iterable[Mapping[str, Any]], keys: Sequence[str]) -> list[list[str]]:
    """A roster's rows as the canonical form writes them: each column's text, "" where a row has none."""
    return [[str(r.get(k, "")) for k in keys] for r in rows]


def _json_number(value: Number, is_money: bool) -> int | str:
    if is_money:
        return f"{money(value):.2f}"
    return int(value)


def _dump(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


# Returns whose canonical bytes are computed once while they are being written (see :func:`computed_once`).
_ONCE: dict[int, tuple[Return, bytes]] = {}


def canonical_bytes(ret: Return) -> bytes:
    """The deterministic serialisation of a return (what is stored, embedded and signed)."""
    held = _ONCE.get(id(ret))
    if held is not None and held[0] is ret:
        return held[1]
    return b"".join(canonical_chunks(ret))


ROWS_PER_SLICE = 2000


def canonical_chunks(ret: Return) -> Iterator[bytes]:
    """:func:`canonical_bytes` in pieces, the rosters' rows a slice at a time.

    Serialised whole, a roster of 100,000 people was first a list of 100,000 lists, then JSON text of several
    million pieces, then one string and its UTF-8 bytes, all at once (some hundreds of MB to compute a digest).
    Each roster's rows stand in the document as a marker that cannot occur in any text (a random token behind
    a NUL); the document is written up to the marker, then the rows slice by slice with the same separators
    as the whole document, so the bytes are the same as ``_dump(ret.to_dict())``. A return whose rosters fit in
    one slice (a county's) is written whole: the same bytes in half the time."""
    if sum(len(ret.rosters.get(r.key, ())) for r in ret.spec.rosters) <= ROWS_PER_SLICE:
        yield _dump(ret.to_dict())
        return
    token = f"\x00{os.urandom(16).hex()}:"
    text = _dump(ret.to_dict(roster_rows=lambda key: [token + key])).decode("utf-8")
    cols = {r.key: [c.key for c in r.visible_columns(ret.consolidated)] for r in ret.spec.rosters}
    pattern = re.compile(re.escape(json.dumps([token], ensure_ascii=False)[:-2]) + r'([^"]*)"\]')
    at = 0
    for match in pattern.finditer(text):
        key = match.group(1)
        yield text[at:match.start()].encode("utf-8") + b"["
        rows = ret.rosters.get(key, [])
        keys = cols[key]
        for start in range(0, len(rows), ROWS_PER_SLICE):
            part = roster_cells(rows[start:start + ROWS_PER_SLICE], keys)
            piece = json.dumps(part, ensure_ascii=False, separators=(",", ":"))[1:-1].encode("utf-8")
            yield (b"," + piece) if start else piece
        yield b"]"
        at = match.end()
    yield text[at:].encode("utf-8")


@contextlib.contextmanager
def computed_once(ret: Return) -> Iterator[bytes]:
    """Within the block, :func:`canonical_bytes` and :func:`digest` of ``ret`` serialise it only once.

    An export asks for them many times (workbook data sheet and digest, PDF attachment and digest, the signed
    manifest …): for a province's roster each serialisation is a noticeable fraction of a second. ``ret`` must not
    change inside the block (an export only reads it). Yields the bytes.
    """
    key = id(ret)
    if key in _ONCE and _ONCE[key][0] is ret:  # nested: the outer block holds it
        yield _ONCE[key][1]
        return
    payload = b"".join(canonical_chunks(ret))
    _ONCE[key] = (ret, payload)
    try:
        yield payload
    finally:
        _ONCE.pop(key, None)


@without_gc_passes
def from_canonical(data: bytes, resolve: Resolver | None = None) -> Return:
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReturnFormatError(f"报表数据不是有效的 JSON（{exc}）") from None
    if not isinstance(parsed, dict):
        raise ReturnFormatError("报表数据不是对象")
    return Return.from_dict(parsed, resolve)


def definition_of(data: Mapping[str, Any], resolve: Resolver | None = None) -> Definition:
    """The definition a canonical return names (the shipped v1 when it names none)."""
    ref = data.get("definition")
    shipped = shipped_definition()
    if ref is None:
        return shipped
    if not isinstance(ref, dict) or not isinstance(ref.get("digest"), str):
        raise ReturnFormatError("报表数据中的“报表制度”一项格式不对")
    if ref["digest"] == shipped.digest:
        return shipped
    found = resolve(ref["digest"]) if resolve is not None else None
    if found is None:
        raise ReturnFormatError(
            f"本报表按报表制度“{ref.get('id', '')}”第{ref.get('version', '?')}版（摘要 {short_digest(ref['digest'])}）编制，"
            "本机没有安装这份报表制度，无法显示和审核。请先安装上级下发的该报表制度，再读入本报表")
    return found


def digest(ret: Return) -> str:
    """SHA-256 of the canonical bytes, hex."""
    held = _ONCE.get(id(ret))
    if held is not None and held[0] is ret:
        return hashlib.sha256(held[1]).hexdigest()
    h = hashlib.sha256()
    for chunk in canonical_chunks(ret):
        h.update(chunk)
    return h.hexdigest()


def short_digest(hex_digest: str) -> str:
    """The first 64 bits for people to compare: ``3F2A-91C0-0B7E-55D1``."""
    text = hex_digest[:16].upper()
    return "-".join(text[i:i + 4] for i in range(0, 16, 4))


_COVERAGE_UNIT_INTS = ("version",)
_COVERAGE_UNIT_TEXTS = ("code", "name", "short_name", "role", "state", "digest", "finalised_at")


def _clean_coverage(coverage: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical ``coverage``: counts as integers, everything else as text (see ``models.consolidate``)."""
    return {
        "expected": int(coverage.get("expected", 0)), "reported": int(coverage.get("reported", 0)),
        "text": str(coverage.get("text", "")),
        "units": [{**{k: str(u.get(k, "")) for k in _COVERAGE_UNIT_TEXTS},
                   **{k: int(u.get(k, 0) or 0) for k in _COVERAGE_UNIT_INTS}} for u in coverage.get("units", [])],
    }


def _from_dict(data: Mapping[str, Any], resolve: Resolver | None) -> Return:
    if data.get("format") != R.FORMAT_NAME:
        raise ReturnFormatError("不是产改统计报表数据")
    version = data.get("format_version")
    if not isinstance(version, int) or version > R.FORMAT_VERSION:
        raise ReturnFormatError(f"报表数据格式版本“{version}”过新，请升级本程序")
    definition = definition_of(data, resolve)
    unit = data["unit"]
    period = parse_period(data["period"]).code
    tables: dict[str, dict[str, dict[str, Number]]] = {}
    for spec in definition.spec.tables:
        src = data["tables"][spec.key]
        tables[spec.key] = {}
        for row in spec.rows:
            cells = src[row.key]
            out: dict[str, Number] = {}
            for col in spec.columns:
                raw = cells[col.key]
                if col.money:
                    if not isinstance(raw, str):
                        raise ReturnFormatError(f"{spec.number}“{row.label}”行“{col.label}”栏金额格式不对")
                    out[col.key] = money(raw)
                else:
                    if not isinstance(raw, int) or isinstance(raw, bool):
                        raise ReturnFormatError(f"{spec.number}“{row.label}”行“{col.label}”栏应为整数")
                    out[col.key] = raw
            tables[spec.key][row.key] = out
    rosters: dict[str, list[dict[str, str]]] = {}
    for roster in definition.spec.rosters:
        src = data["rosters"][roster.key]
        cols = list(src["columns"])
        rosters[roster.key] = [dict(zip(cols, map(str, row), strict=True)) for row in src["rows"]]
    notes = [{k: str(n.get(k, "")) for k in ("code", "where", "message", "text")} for n in data.get("notes", [])]
    cover = {str(k): str(v) for k, v in dict(data["cover"]).items()}
    sources = [str(s) for s in data.get("sources", [])]
    coverage = _clean_coverage(data.get("coverage") or {}) if sources else {}
    return Return(str(unit["code"]), str(unit["name"]), str(unit["level"]), unit.get("parent_code"), period, cover,
                  tables, rosters, notes, int(data["version"]), str(data.get("finalised_at", "")), sources, coverage,
                  definition, "definition" in data)


def empty_tables(spec: R.ReturnSpec | None = None) -> dict[str, dict[str, dict[str, Number]]]:
    return {t.key: {row.key: {c.key: (Decimal("0.00") if c.money else 0) for c in t.columns}
                    for row in t.rows} for t in (spec or shipped_spec()).tables}


# ------------------------------------------------------------------------------------------------
# Facts: what the cells sum


@dataclasses.dataclass(frozen=True)
class Fact:
    record_id: int
    attrs: Mapping[str, str]
    flags: frozenset[str]
    values: Mapping[str, Number]


def _matches(pairs: Iterable[tuple[str, str]], attrs: Mapping[str, str]) -> bool:
    return all(attrs.get(k) == v for k, v in pairs)


def extra_values(row: Mapping[str, Any]) -> dict[str, Any]:
    """The values of the entry fields a definition added to a record (its ``extra`` column, JSON)."""
    text = row.get("extra") if hasattr(row, "get") else None
    if not text:
        return {}
    try:
        parsed = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _extra_measures(fields: Sequence[Field], extra: Mapping[str, Any]) -> tuple[tuple[str, ...], dict[str, Number]]:
    """The flags (yes/no fields that are set) and values (numbers) of a record's added ``fields``."""
    flags: list[str] = []
    values: dict[str, Number] = {}
    for f in fields:
        value = extra.get(f.name)
        if f.kind == "bool":
            if value:
                flags.append(f.name)
        elif f.kind == "money":
            values[f.name] = money(value)
        else:
            values[f.name] = int(value or 0)
    return tuple(flags), values


def _with_extra(fact: Fact, row: Mapping[str, Any], spec: R.ReturnSpec, kind: str) -> Fact:
    """``fact`` with the definition's added fields of ``kind``: numbers as values, yes/no fields as flags."""
    fields = spec.extra_fields(kind)
    if not fields:
        return fact
    flags, values = _extra_measures(fields, extra_values(row))
    return Fact(fact.record_id, fact.attrs, fact.flags | frozenset(flags), {**fact.values, **values})


def _in_cell(fact: Fact, row: R.Row, col: R.Column) -> bool:
    return _matches(row.match, fact.attrs) and _matches(col.match, fact.attrs) and (
        col.flag is None or col.flag in fact.flags)


def _measure(fact: Fact, col: R.Column) -> Number:
    return 1 if col.measure == "count" else fact.values.get(col.measure, 0)


def sum_facts(spec: R.TableSpec, facts: Sequence[Fact]) -> dict[str, dict[str, Number]]:
    """The cells of one table from its facts (every row and column present).

    Facts with the same attributes and flags fall in the same cells, so the cells of each such group are
    found once (a province's 表1 has 100,000 facts in a few hundred groups); counts add the group's size,
    other measures each fact's value."""
    cells: dict[str, dict[str, Number]] = {
        row.key: {c.key: (Decimal("0.00") if c.money else 0) for c in spec.columns} for row in spec.rows}
    groups: dict[tuple[tuple[tuple[str, str], ...], frozenset[str]], list[Fact]] = {}
    for fact in facts:
        key = (tuple(fact.attrs.items()), fact.flags)
        group = groups.get(key)
        if group is None:
            groups[key] = [fact]
        else:
            group.append(fact)
    for group in groups.values():
        first = group[0]
        for row in spec.rows:
            if not _matches(row.match, first.attrs):
                continue
            target = cells[row.key]
            for col in spec.columns:
                if _matches(col.match, first.attrs) and (col.flag is None or col.flag in first.flags):
                    if col.measure == "count":
                        target[col.key] += len(group)
                    else:
                        for fact in group:
                            target[col.key] += _measure(fact, col)
    return cells


def effective_award_date(award_date: str | None, award_year: int | None) -> str:
    """The date an honour counts from: its date, or 31 December of its year."""
    if award_date:
        return str(award_date)[:10]
    return f"{int(award_year or 0):04d}-12-31"


_NO_VALUES: Mapping[str, Number] = MappingProxyType({})  # the values of every fact that has none of its own

# A counted honour of a person in the roster: the rank of its level (0 = highest), its year and title.
HeldHonour = tuple[int, int | None, str]


def _honour_rows(store: Store) -> list[tuple[Any, ...]]:
    """Every counted honour with its holder's attributes, as plain tuples (a fraction of a dict's memory: a
    province holds 125,000 of them while its return is computed): person id, sex, 民族, frontline, migrant,
    the person's added fields (``extra``), then the honour's title, category, level, year and date."""
    placeholders = ", ".join("?" * len(R.NOT_COUNTED_STATUSES))
    from models.db import known_errors

    cursor = store.conn.cursor()
    cursor.row_factory = None
    with known_errors():
        return cursor.execute(
        "SELECT p.id, p.sex, p.ethnicity, p.frontline, p.migrant, p.extra, h.title, h.category, h.level, "
        "h.award_year, h.award_date FROM honours h JOIN people p ON p.id = h.person_id "
        f"WHERE p.deleted_at IS NULL AND coalesce(p.status, '') NOT IN ({placeholders}) "
        "ORDER BY p.id, h.award_year, h.id", R.NOT_COUNTED_STATUSES).fetchall()


def _t1(store: Store, period: Period, spec: R.ReturnSpec | None = None
        ) -> tuple[list[Fact], dict[int, list[HeldHonour]]]:
    """Facts of 表1 (one per person and category) and the honours held per person."""
    start, end = period.start.isoformat(), period.end.isoformat()
    held: dict[int, list[HeldHonour]] = {}
    best: dict[tuple[int, str], int] = {}
    earlier: dict[tuple[int, str], int] = {}
    people: dict[int, tuple[Any, ...]] = {}
    rank_of = LEVEL_RANK.get
    for row in _honour_rows(store):
        pid, _sex, _ethnicity, _frontline, _migrant, _extra, title, category, level, award_year, award_date = row
        rank = rank_of(level)
        if rank is None or category not in CATEGORY_BY_NAME:
            continue
        when = effective_award_date(award_date, award_year)
        if when > end:
            continue
        people[pid] = row
        honour = (rank, award_year, title)
        if pid in held:
            held[pid].append(honour)
        else:
            held[pid] = [honour]
        key = (pid, category)
        if rank < best.get(key, 99):
            best[key] = rank
        if when < start and rank < earlier.get(key, 99):
            earlier[key] = rank
    levels = list(LEVEL_RANK)
    added = spec.extra_fields("people") if spec is not None else ()
    attrs: dict[tuple[str, int], dict[str, str]] = {}  # one mapping per category and level, shared by its facts
    flag_sets: dict[tuple[str, ...], frozenset[str]] = {}
    person_flags: dict[int, tuple[tuple[str, ...], Mapping[str, Number]]] = {}
    facts = []
    for (pid, category), rank in best.items():
        if pid not in person_flags:
            _pid, sex, ethnicity, frontline, migrant, extra = people[pid][:6]
            names: tuple[str, ...] = ()
            if frontline:
                names += ("frontline",)
            if sex == "女":
                names += ("female",)
            if ethnicity and ethnicity != "汉族":
                names += ("minority",)
            if migrant:
                names += ("migrant",)
            values: Mapping[str, Number] = _NO_VALUES
            if added:
                extra_flags, values = _extra_measures(added, extra_values({"extra": extra}))
                names += extra_flags
            person_flags[pid] = names, values
        names, values = person_flags[pid]
        if earlier.get((pid, category), 99) > rank:
            names = ("new", *names)
        flags = flag_sets.get(names)
        if flags is None:
            flags = flag_sets[names] = frozenset(names)
        shared = attrs.get((category, rank))
        if shared is None:
            shared = attrs[(category, rank)] = {"category": category, "level": levels[rank]}
        facts.append(Fact(pid, shared, flags, values))
    return facts, held


def _studio_rows(store: Store, period: Period) -> list[dict[str, Any]]:
    return store.query(
        "SELECT s.*, o.projects, o.achievements, o.patents, o.invention_patents, o.methods, o.benefit, "
        "o.apprentices, o.trainees, o.id AS output_id, p.name AS leader_name "
        "FROM studios s LEFT JOIN studio_outputs o ON o.studio_id = s.id AND o.year = ? "
        "LEFT JOIN people p ON p.id = s.leader_id "
        "WHERE s.deleted_at IS NULL AND coalesce(s.named_year, 0) <= ? "
        "AND (s.revoked_year IS NULL OR s.revoked_year > ?) ORDER BY s.sort_key, s.id",
        (period.year, period.year, period.year))


def _t2(rows: Sequence[Mapping[str, Any]], period: Period, spec: R.ReturnSpec | None = None) -> list[Fact]:
    facts = []
    for r in rows:
        values: dict[str, Number] = {"members": int(r["members"] or 0)}
        for name in ("projects", "achievements", "patents", "invention_patents", "methods", "apprentices",
                     "trainees"):
            values[name] = int(r[name] or 0)
        values["benefit"] = money(r["benefit"])
        flags = frozenset({"new"} if r["named_year"] == period.year else ())
        fact = Fact(r["id"], {"type": r["type"], "level": r["level"]}, flags, values)
        facts.append(_with_extra(fact, r, spec, "studios") if spec is not None else fact)
    return facts


def training_rows(store: Store, period: Period) -> list[dict[str, Any]]:
    return store.query("SELECT * FROM trainings WHERE deleted_at IS NULL AND start_date BETWEEN ? AND ? "
                       "ORDER BY start_date, id", (period.start.isoformat(), period.end.isoformat()))


def _t3(rows: Sequence[Mapping[str, Any]], spec: R.ReturnSpec | None = None) -> list[Fact]:
    facts = []
    for r in rows:
        values: dict[str, Number] = {name: int(r[name] or 0) for name in ("participants", "migrant", "female", *CERT_FIELDS)}
        values["certs"] = sum(int(r[c] or 0) for c in CERT_FIELDS)
        values["funds"] = money(r["funds"])
        values["union_funds"] = money(r["union_funds"])
        fact = Fact(r["id"], {"type": r["type"]}, frozenset(), values)
        facts.append(_with_extra(fact, r, spec, "trainings") if spec is not None else fact)
    return facts


def competition_rows(store: Store, period: Period) -> list[dict[str, Any]]:
    return store.query("SELECT * FROM competitions WHERE deleted_at IS NULL AND date BETWEEN ? AND ? "
                       "ORDER BY date, id", (period.start.isoformat(), period.end.isoformat()))


def _t4(rows: Sequence[Mapping[str, Any]], spec: R.ReturnSpec | None = None) -> list[Fact]:
    facts = [Fact(r["id"], {"level": r["level"]}, frozenset({"skill"} if r["type"] == "技能竞赛" else ()),
                  {name: int(r[name] or 0) for name in ("trades", "participants", "winners", "promoted", "experts")})
             for r in rows]
    if spec is None:
        return facts
    return [_with_extra(f, r, spec, "competitions") for f, r in zip(facts, rows, strict=True)]


def innovation_rows(store: Store, period: Period) -> tuple[list[dict[str, Any]], str]:
    """The innovation records behind 表5 and how they were chosen: ``entered``, ``derived``, ``missing``."""
    def rows(codes: Sequence[str]) -> list[dict[str, Any]]:
        marks = ", ".join("?" * len(codes))
        return store.query(f"SELECT * FROM innovation WHERE deleted_at IS NULL AND period IN ({marks}) "
                           "ORDER BY period", tuple(codes))

    exact = rows([period.code])
    if exact:
        return exact, "entered"
    if period.kind == "annual":
        alternatives = [[f"{period.year}Q{n}" for n in range(1, 5)], [f"{period.year}H1", f"{period.year}H2"]]
    elif period.kind == "half":
        first = 1 if period.part == "H1" else 3
        alternatives = [[f"{period.year}Q{first}", f"{period.year}Q{first + 1}"]]
    else:
        alternatives = []
    for codes in alternatives:
        found = rows(codes)
        if found:
            return found, "derived"
    return [], "missing"


def _t5(rows: Sequence[Mapping[str, Any]], spec: R.ReturnSpec | None = None) -> list[Fact]:
    facts = []
    for r in rows:
        values: dict[str, Number] = {name: int(r[name] or 0) for name in R.FACT_SOURCES["innovation"].values
                                     if name != "benefit"}
        values["benefit"] = money(r["benefit"])
        fact = Fact(r["id"], {}, frozenset(), values)
        facts.append(_with_extra(fact, r, spec, "innovation") if spec is not None else fact)
    return facts


class _Facts:
    """The facts of each source for one period, extracted once (several tables may share a source)."""

    def __init__(self, store: Store, period: Period, spec: R.ReturnSpec) -> None:
        self.store, self.period, self.spec = store, period, spec
        self.cache: dict[str, list[Fact]] = {}
        self.held: dict[int, list[HeldHonour]] = {}
        self.studio_rows: list[dict[str, Any]] | None = None

    def studios(self) -> list[dict[str, Any]]:
        if self.studio_rows is None:
            self.studio_rows = _studio_rows(self.store, self.period)
        return self.studio_rows

    def of(self, source: str) -> list[Fact]:
        if source not in self.cache:
            store, period, spec = self.store, self.period, self.spec
            if source == "people":
                facts, self.held = _t1(store, period, spec)
            elif source == "studios":
                facts = _t2(self.studios(), period, spec)
            elif source == "trainings":
                facts = _t3(training_rows(store, period), spec)
            elif source == "competitions":
                facts = _t4(competition_rows(store, period), spec)
            elif source == "innovation":
                facts = _t5(innovation_rows(store, period)[0], spec)
            else:
                raise KeyError(f"未知的数据来源“{source}”")
            self.cache[source] = facts
        return self.cache[source]


def table_facts(store: Store, period: Period, table: str, definition: Definition | None = None) -> list[Fact]:
    """The facts behind one table of the return for ``period``."""
    spec = spec_of(definition)
    return _Facts(store, period, spec).of(spec.table(table).source)


# ------------------------------------------------------------------------------------------------
# Computing a return


def compute(store: Store, period: Period, *, today: dt.date | None = None,
            definition: Definition | None = None) -> Return:
    """The draft return this store's unit reports for ``period``.

    A county's (or an industry union's) is computed from its records (:func:`compute_own`). A prefecture
    or the province reports the consolidated return: its own records plus the returns received from
    its subordinates (``models.consolidate``); review, finalise, sign and export then treat it exactly
    like a county's.
    """
    from models import unit

    own = unit.load(store)
    if own is not None and own.has_subordinates:
        from models.consolidate import consolidate_period

        return consolidate_period(store, period, today=today, definition=definition).ret
    return compute_own(store, period, today=today, definition=definition)


# Computing a return from this many honours takes about a second on an old PC (people and honours are read, each
# person's roster row written): the window computes it off its thread, behind a progress dialog.
LONG_WORK_HONOURS = 20_000


def computing_is_long(store: Store) -> bool:
    """Whether computing this store's draft return (and reviewing or finalising it) may take a second or more: a
    prefecture's or the province's (the sum of every return it received, up to the whole province's roster), or a
    unit with more than :data:`LONG_WORK_HONOURS` honours recorded."""
    from models import unit

    own = unit.load(store)
    if own is not None and own.has_subordinates:
        return True
    return int(store.scalar("SELECT count(*) FROM honours") or 0) > LONG_WORK_HONOURS


def definition_for(store: Store, period: Period) -> Definition:
    """The definition a new return of ``period`` is built on (the highest installed one covering its year)."""
    from models.definitions import definition_for as for_year

    return for_year(store, period.year)


@without_gc_passes
def compute_own(store: Store, period: Period, *, today: dt.date | None = None,
                definition: Definition | None = None) -> Return:
    """The draft return of this store's own records for ``period``, every table computed from the records."""
    from models import unit as unit_mod

    unit = unit_mod.load(store)
    if unit is None:
        raise RecordError("尚未设置本单位，无法生成报表")
    definition = definition or definition_for(store, period)
    spec = definition.spec
    facts = _Facts(store, period, spec)
    tables = {t.key: sum_facts(t, facts.of(t.source)) for t in spec.tables}
    rosters: dict[str, list[dict[str, str]]] = {}
    for roster in spec.rosters:
        if roster.source == "people":
            facts.of("people")
            rosters[roster.key] = _people_roster(store, facts.held)
        else:
            rosters[roster.key] = _studio_roster(facts.studios())
    cover = {"head": unit.head, "statistician": unit.statistician, "preparer": unit.preparer, "phone": unit.phone,
             "report_date": (today or dt.date.today()).isoformat()}
    return Return(unit.code, unit.name, unit.level, unit.parent_code, period.code, cover, tables, rosters,
                  definition=definition)


def _people_roster(store: Store, held: Mapping[int, list[HeldHonour]]) -> list[dict[str, str]]:
    from common.ids import mask_id_number

    if not held:
        return []
    # Tuples, not dicts, and each repeated text (sex, 民族, employer, a common name …) kept once: at province
    # scale (100,000 people) the roster is the largest thing in memory while a return is computed and exported.
    details: dict[int, tuple[Any, ...]] = {}
    ids = sorted(held)
    for offset in range(0, len(ids), 900):
        chunk = ids[offset:offset + 900]
        for row in store.conn.execute(
                "SELECT id, name, sex, ethnicity, birth_date, id_number, employer, post, skill_level, frontline, "
                f"migrant, sort_key FROM people WHERE id IN ({', '.join('?' * len(chunk))})", chunk):
            details[row[0]] = row
    levels = list(LEVEL_RANK)
    shared: dict[str, str] = {}
    once = shared.setdefault
    highest = {pid: min(h[0] for h in honours) for pid, honours in held.items()}
    order = sorted(ids, key=lambda pid: (highest[pid], details[pid][11], pid))
    out = []
    for seq, pid in enumerate(order, start=1):
        _id, name, sex, ethnicity, birth, number, employer, post, skill, frontline, migrant, _key = details.pop(pid)
        honours = "；".join(f"{year}年{title}" for _rank, year, title in held[pid])
        name, sex, ethnicity, birth = name or "", sex or "", ethnicity or "", (birth or "")[:7]
        employer, post, skill = employer or "", post or "", skill or ""
        out.append({
            "seq": str(seq), "name": once(name, name), "sex": once(sex, sex), "ethnicity": once(ethnicity, ethnicity),
            "birth_date": once(birth, birth), "id_number": mask_id_number(number),
            "employer": once(employer, employer), "post": once(post, post), "skill_level": once(skill, skill),
            "frontline": "是" if frontline else "否", "migrant": "是" if migrant else "否",
            "highest": levels[highest[pid]], "honours": once(honours, honours),
        })
    return out


def _studio_roster(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    out = []
    for seq, r in enumerate(rows, start=1):
        outputs = ""
        if r["output_id"] is not None:
            outputs = (f"{int(r['projects'] or 0)}/{int(r['achievements'] or 0)}/{int(r['patents'] or 0)}/"
                       f"{money(r['benefit']):.2f}")
        out.append({
            "seq": str(seq), "name": r["name"] or "", "type": r["type"] or "", "level": r["level"] or "",
            "host_unit": r["host_unit"] or "", "leader_id": r["leader_name"] or "",
            "named_year": str(r["named_year"] or ""), "members": str(r["members"] or 0), "status": r["status"] or "",
            "outputs": outputs,
        })
    return out


# ------------------------------------------------------------------------------------------------
# Drill-down: the records behind a number


@dataclasses.dataclass(frozen=True)
class RecordRef:
    kind: str  # record kind (people, studios, trainings, competitions, innovation)
    id: int
    name: str
    detail: str  # a short description shown in the list
    value: Number  # what this record adds to the cell


def records_behind(store: Store, period: Period, table: str, row: str, column: str,
                   definition: Definition | None = None) -> list[RecordRef]:
    """The records that make up one number of the return (what a click on the number shows)."""
    definition = definition or definition_for(store, period)
    spec = definition.spec.table(table)
    row_spec, col_spec = spec.row(row), spec.column(column)
    facts = [f for f in table_facts(store, period, table, definition) if _in_cell(f, row_spec, col_spec)]
    if not facts:
        return []
    ids = sorted({f.record_id for f in facts})
    names = _describe(store, spec.source, ids)
    out = []
    for fact in facts:
        name, detail = names.get(fact.record_id, (str(fact.record_id), ""))
        if spec.source == "people":
            detail = f"{fact.attrs['category']}·{fact.attrs['level']}；{detail}"
        out.append(RecordRef(spec.source, fact.record_id, name, detail, _measure(fact, col_spec)))
    return out


def _describe(store: Store, kind: str, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    out: dict[int, tuple[str, str]] = {}
    for offset in range(0, len(ids), 900):
        chunk = list(ids[offset:offset + 900])
        marks = ", ".join("?" * len(chunk))
        if kind == "people":
            sql = ("SELECT p.id, p.name, p.employer || '；' || coalesce((SELECT group_concat(h.award_year || '年' || "
                   f"h.title, '、') FROM honours h WHERE h.person_id = p.id), '') AS detail FROM people p "
                   f"WHERE p.id IN ({marks})")
        elif kind == "studios":
            sql = f"SELECT id, name, type || '；' || level || '；' || coalesce(host_unit, '') AS detail FROM studios " \
                  f"WHERE id IN ({marks})"
        elif kind == "trainings":
            sql = f"SELECT id, name, start_date || '～' || end_date || '；' || type AS detail FROM trainings " \
                  f"WHERE id IN ({marks})"
        elif kind == "competitions":
            sql = f"SELECT id, name, date || '；' || level || '；' || type AS detail FROM competitions " \
                  f"WHERE id IN ({marks})"
        else:
            sql = f"SELECT id, period AS name, '填报数' AS detail FROM innovation WHERE id IN ({marks})"
        for r in store.query(sql, chunk):
            out[r["id"]] = (str(r["name"]), str(r["detail"] or ""))
    return out


# ------------------------------------------------------------------------------------------------
# Consolidation (汇总): summing returns


def add_tables(target: dict[str, dict[str, dict[str, Number]]],
               other: Mapping[str, Mapping[str, Mapping[str, Number]]], spec_: R.ReturnSpec | None = None) -> None:
    """Add ``other``'s cells into ``target`` (same declarations)."""
    for spec in (spec_ or shipped_spec()).tables:
        for row in spec.rows:
            for col in spec.columns:
                target[spec.key][row.key][col.key] += other[spec.key][row.key][col.key]


class DefinitionMismatch(RecordError):
    """Returns of different definitions cannot be added up; ``str()`` names both (the screens show it)."""


@without_gc_passes
def consolidate(returns: Sequence[Return], *, unit_code: str, unit_name: str, unit_level: str,
                parent_code: str | None, period: str, cover: Mapping[str, str],
                definition: Definition | None = None) -> Return:
    """A consolidated return: tables summed, rosters joined with a 来源单位 column.

    Every input must be for ``period`` and built on ``definition`` (default: the first input's): tables of
    different definitions are never added. The inputs' 说明 are not carried over: the consolidating unit
    reviews and explains its own return.
    """
    definition = definition or (returns[0].definition if returns else shipped_definition())
    spec = definition.spec
    tables = empty_tables(spec)
    rosters: dict[str, list[dict[str, str]]] = {r.key: [] for r in spec.rosters}
    sources: list[str] = []
    for ret in returns:
        if ret.period != period:
            raise ReturnFormatError(f"“{ret.unit_name}”的报表报告期为{ret.period}，不是{period}")
        if ret.definition.digest != definition.digest:
            raise DefinitionMismatch(
                f"“{ret.unit_name}”的报表按“{ret.definition.title}”第{ret.definition.version}版编制，本次汇总按"
                f"第{definition.version}版（{definition.label}），两者的表式不同，不能相加。请让该单位按第"
                f"{definition.version}版重新生成并上报，或安装相应的报表制度后再汇总")
        add_tables(tables, ret.tables, spec)
        sources.append(ret.unit_code)
        for key, rows in ret.rosters.items():
            for row in rows:
                rosters[key].append({**row, "source_unit": row.get("source_unit") or ret.unit_name})
    for rows in rosters.values():
        for seq, row in enumerate(rows, start=1):
            row["seq"] = str(seq)
    return Return(unit_code, unit_name, unit_level, parent_code, period, dict(cover), tables, rosters,
                  sources=sources, definition=definition)
