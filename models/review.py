"""The review (审核) of a return: the rules of ``forms.returns.RULES`` applied to the records and
to the computed :class:`~models.returns.Return`.

Every :class:`~forms.fields.Finding` has a machine-readable ``where`` so the GUI can jump to it:

* ``T3/total/certs`` — a cell (table / row key / column key);
* ``cover/head`` — a cover field;
* ``people#12`` — a record (kind and id);
* ``font/䶮`` — characters the bundled font lacks;
* ``roster/R1/12`` — a row (序号) of a consolidated return's roster;
* ``units/missing`` — the subordinates of a consolidated return that did not report.

Errors block finalising. A warning needs a written 说明 (:func:`set_note`) first; the 说明
travel with the finalised return. Notices (提示) only inform.
"""

from __future__ import annotations

import contextvars
import dataclasses
import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from forms import checks
from forms import returns as R
from forms.definition import shipped_spec
from forms.fields import Finding
from forms.periods import Period
from models import returns as ret_mod
from models.db import Store, now
from models.returns import Return

# ------------------------------------------------------------------------------------------------
# Places


@dataclasses.dataclass(frozen=True)
class Place:
    kind: str  # cell / cover / record / font
    table: str = ""
    row: str = ""
    column: str = ""
    record_kind: str = ""
    record_id: int = 0
    field: str = ""


def cell_where(table: str, row: str, column: str) -> str:
    return f"{table}/{row}/{column}"


def record_where(kind: str, record_id: int) -> str:
    return f"{kind}#{record_id}"


def parse_where(where: str, spec: R.ReturnSpec | None = None) -> Place:
    """The place a finding points at (see the module docstring)."""
    if "#" in where:
        kind, _, number = where.partition("#")
        return Place("record", record_kind=kind, record_id=int(number))
    parts = where.split("/")
    if parts[0] == "cover" and len(parts) == 2:
        return Place("cover", field=parts[1])
    if parts[0] == "font":
        return Place("font", field="/".join(parts[1:]))
    spec = spec or shipped_spec()
    if len(parts) == 3 and parts[0] in spec.table_by_key:
        return Place("cell", table=parts[0], row=parts[1], column=parts[2])
    if len(parts) == 3 and parts[0] == "roster" and parts[1] in spec.roster_by_key:
        return Place("roster", table=parts[1], row=parts[2])  # a row (序号) of a consolidated return's roster
    if len(parts) == 2 and parts[0] == "units":
        return Place("units", field=parts[1])  # the subordinates of a consolidated return (上报情况)
    raise ValueError(f"unknown place {where!r}")


def cell_label(table: str, row: str, column: str, return_spec: R.ReturnSpec | None = None) -> str:
    spec = (return_spec or shipped_spec()).table(table)
    col = spec.column(column)
    col_label = f"{col.group}·{col.label}" if col.group else col.label
    return f"{spec.number}“{spec.row(row).full_label}”行“{col_label}”栏"


# ------------------------------------------------------------------------------------------------
# 说明 (notes on warnings)


def _unit_code(store: Store) -> str:
    from models import unit

    current = unit.load(store)
    return current.code if current else ""


def set_note(store: Store, period: Period, code: str, where: str, text: str) -> None:
    """Store (or, with empty ``text``, remove) the 说明 for the warning ``code`` at ``where``."""
    from common.text import plain_text

    text = plain_text(text)
    unit_code = _unit_code(store)
    with store.atomic():
        if not text:
            store.conn.execute("DELETE FROM review_notes WHERE unit_code = ? AND period = ? AND code = ? AND place = ?",
                               (unit_code, str(period), code, where))
            return
        store.conn.execute(
            "INSERT INTO review_notes (unit_code, period, code, place, text, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(unit_code, period, code, place) DO UPDATE SET text = excluded.text, "
            "updated_at = excluded.updated_at", (unit_code, str(period), code, where, text, now()))


def get_notes(store: Store, period: Period) -> dict[tuple[str, str], str]:
    rows = store.query("SELECT code, place, text FROM review_notes WHERE unit_code = ? AND period = ?",
                       (_unit_code(store), str(period)))
    return {(r["code"], r["place"]): r["text"] for r in rows}


# ------------------------------------------------------------------------------------------------
# The report


@dataclasses.dataclass
class ReviewReport:
    period: str
    findings: list[Finding]
    notes: dict[tuple[str, str], str]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == R.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == R.WARNING]

    @property
    def notices(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == R.NOTICE]

    def note_for(self, finding: Finding) -> str:
        return self.notes.get((finding.code, finding.where), "")

    @property
    def missing_notes(self) -> list[Finding]:
        return [f for f in self.warnings if not self.note_for(f)]

    @property
    def can_finalise(self) -> bool:
        return not self.errors and not self.missing_notes

    def note_entries(self) -> list[dict[str, str]]:
        """The 说明 that travel with the return: one per warning that has one."""
        out = [{"code": f.code, "where": f.where, "message": f.text(), "text": self.note_for(f)}
               for f in self.warnings if self.note_for(f)]
        return sorted(out, key=lambda n: (n["code"], n["where"]))

    def summary(self) -> str:
        return f"错误 {len(self.errors)} 个，警告 {len(self.warnings)} 个（未说明 {len(self.missing_notes)} 个），" \
               f"提示 {len(self.notices)} 个"


# The definition of the return being reviewed, so that every rule's severity and texts are its definition's.
_REVIEWING: contextvars.ContextVar[R.ReturnSpec | None] = contextvars.ContextVar("reviewing", default=None)


def rule_finding(code: str, where: str, label: str, message: str, spec: R.ReturnSpec | None = None) -> Finding:
    spec = spec or _REVIEWING.get() or shipped_spec()
    rule = spec.rule_by_code.get(code) or shipped_spec().rule_by_code[code]
    text = f"{message}。{rule.fix}" if rule.fix else message
    return Finding(rule.severity, where, text, code, label)


def _declared(findings: list[Finding], spec: R.ReturnSpec) -> list[Finding]:
    """The findings of the rules ``spec`` declares (a definition may leave a built-in rule out)."""
    return [dataclasses.replace(f, severity=spec.rule_by_code[f.code].severity) for f in findings
            if f.code in spec.rule_by_code]


def review(store: Store, period: Period, ret: Return | None = None) -> ReviewReport:
    """Apply every review rule of the return's definition to the return of ``period`` (computed unless given)."""
    from models import versions

    ret = ret if ret is not None else ret_mod.compute(store, period)
    token = _REVIEWING.set(ret.spec)
    try:
        return _review(store, period, ret, versions.previous_finalised(store, period))
    finally:
        _REVIEWING.reset(token)


def _review(store: Store, period: Period, ret: Return, previous: Return | None) -> ReviewReport:
    spec = ret.spec
    findings = check_return(ret, previous)
    findings += _people_checks(store)
    findings += _honour_checks(store, period, spec=spec)
    findings += _studio_checks(store, period)
    findings += _activity_checks(store, period, spec)
    findings += record_rule_findings(store, period, spec)
    if not ret.consolidated:  # a consolidated 表5 is the sum of the units' own: this unit's entry is not missing
        findings += _innovation_notices(store, period)
    findings += font_findings(ret)
    if ret.consolidated:
        from models.consolidate import consolidation_findings

        findings += consolidation_findings(ret)
    findings = _declared(findings, spec)
    order = {R.ERROR: 0, R.WARNING: 1, R.NOTICE: 2}
    findings.sort(key=lambda f: order.get(f.severity, 3))
    return ReviewReport(period.code, findings, get_notes(store, period))


# ------------------------------------------------------------------------------------------------
# Rules on the return itself (also apply to a consolidated or imported return)


def check_return(ret: Return, previous: Return | None = None) -> list[Finding]:
    """Cell relations (其中 ≤ 合计 …), required cover fields, the definition's rules on the cells and the
    change against ``previous`` — all from the return's own definition."""
    out: list[Finding] = []
    rs = ret.spec
    for spec in rs.tables:
        for row in spec.rows:
            cells = ret.tables[spec.key][row.key]
            for col in spec.columns:
                if col.not_above and cells[col.key] > cells[col.not_above]:
                    total = spec.column(col.not_above)
                    out.append(rule_finding("cell.not_above", cell_where(spec.key, row.key, col.key),
                                        cell_label(spec.key, row.key, col.key, rs),
                                        f"{col.label}（{cells[col.key]}）大于{total.label}（{cells[col.not_above]}）", rs))
    for field in rs.cover:
        if field.required and not ret.cover.get(field.key, "").strip():
            out.append(rule_finding("cover.required", f"cover/{field.key}", f"封面“{field.label}”", "未填写", rs))
    out += return_rule_findings(ret)
    if previous is not None and previous.definition.digest == ret.definition.digest:
        out += _change_checks(ret, previous)
    return _declared(out, rs)


def return_rule_findings(ret: Return) -> list[Finding]:
    """The definition's rules over the cells (``scope: return``), each a condition in ``forms.expr``."""
    from forms import expr

    spec = ret.spec

    def resolve(name: str) -> Any:
        if name.startswith("threshold."):
            return spec.threshold(name.removeprefix("threshold."))
        table, row, column = name.split(".")
        return ret.tables[table][row][column]

    out = []
    for rule in spec.rules:
        if rule.scope != "return" or rule.node is None:
            continue
        try:
            fired = expr.truth(rule.node, resolve)
        except (expr.ExprError, KeyError, ValueError):
            continue  # checked when the definition was loaded; a bad cell reference cannot reach here
        if fired:
            table, row, column = rule.where.split("/")
            out.append(rule_finding(rule.code, rule.where, cell_label(table, row, column, spec),
                                expr.fill(rule.message, resolve), spec))
    return out


def record_rule_findings(store: Store, period: Period, spec: R.ReturnSpec) -> list[Finding]:
    """The definition's rules over each record of a kind (``scope: trainings`` …) that the period counts."""
    from forms import records as record_forms

    out: list[Finding] = []
    for kind in dict.fromkeys(r.scope for r in spec.rules if r.node is not None and r.scope != "return"):
        form = record_forms.spec(kind)
        for row in _period_rows(store, period, kind):
            values = {**{k: row[k] for k in row.keys() if k != "extra"}, **ret_mod.extra_values(row)}
            for finding in spec.record_findings(kind, values):
                name = row.get(form.name_field) or row.get("id")
                out.append(dataclasses.replace(finding, where=record_where(kind, row["id"]),
                                               label=f"{form.title}“{name}”"))
    return out


def _period_rows(store: Store, period: Period, kind: str) -> list[dict[str, Any]]:
    if kind == "trainings":
        return ret_mod.training_rows(store, period)
    if kind == "competitions":
        return ret_mod.competition_rows(store, period)
    if kind == "innovation":
        return ret_mod.innovation_rows(store, period)[0]
    if kind == "studios":
        return store.query("SELECT * FROM studios WHERE deleted_at IS NULL AND coalesce(named_year, 0) <= ? "
                           "AND (revoked_year IS NULL OR revoked_year > ?) ORDER BY id", (period.year, period.year))
    if kind == "people":
        return store.query("SELECT * FROM people WHERE deleted_at IS NULL ORDER BY id")
    return []


def _change_checks(ret: Return, previous: Return) -> list[Finding]:
    out = []
    rs = ret.spec
    for spec in rs.tables:
        for col in spec.columns:
            if not col.key_total:
                continue
            now_value = Decimal(ret.tables[spec.key][R.TOTAL][col.key])
            before = Decimal(previous.tables[spec.key][R.TOTAL][col.key])
            if before <= 0:
                continue
            change = (now_value - before) / before
            if abs(change) > rs.threshold("change_ratio"):
                where = cell_where(spec.key, R.TOTAL, col.key)
                word = "增长" if change > 0 else "下降"
                unit = f"{col.unit}" if col.unit else ""
                out.append(rule_finding(
                    "change.over_50", where, cell_label(spec.key, R.TOTAL, col.key, rs),
                    f"本期{_fmt(now_value, col.money)}{unit}，上期（{previous.period_obj.label}第{previous.version}版）"
                    f"{_fmt(before, col.money)}{unit}，{word}{abs(change) * 100:.1f}%", rs))
    return out


def _fmt(value: Decimal, is_money: bool) -> str:
    return f"{value:.2f}" if is_money else f"{int(value)}"


# ------------------------------------------------------------------------------------------------
# Rules on the records


def _person_label(row: Mapping[str, Any]) -> str:
    from common.ids import mask_id_number

    return f"人员“{row['name']}”（{mask_id_number(row['id_number'])}）"


def _people_checks(store: Store, today: dt.date | None = None) -> list[Finding]:
    from common.ids import ID_BIRTH_SQL, ID_SUSPECT_SQL, id_number_is_normal, id_number_problem, normalize_id_number

    # Only the people SQLite finds suspect are read (a partial index kept on every write, models.migrations
    # 0012), those whose number's birth date is after today, and the people holding the usual form of a number
    # another row writes otherwise (lower-case x, spaces): they are the same number. Then every rule below is
    # applied to those rows as to all of them: the rows it leaves out have nothing to report.
    out: list[Finding] = []
    today_iso = (today or dt.date.today()).isoformat()
    names = ("id", "name", "id_number", "birth_date", "sex")
    select = "SELECT id, name, id_number, birth_date, sex FROM people WHERE +deleted_at IS NULL AND "
    rows = {r[0]: r for r in store.conn.execute(select + f"({ID_SUSPECT_SQL})")}
    rows.update((r[0], r) for r in store.conn.execute(select + f"{ID_BIRTH_SQL} > ?", (today_iso.replace("-", ""),)))
    written_otherwise = {normalize_id_number(r[2]) for r in rows.values()
                         if not (type(r[2]) is str and id_number_is_normal(r[2]))}
    for number in written_otherwise - {""}:
        rows.update((r[0], r) for r in store.conn.execute(select + "id_number = ?", (number,)))
    seen: dict[str, tuple[Any, ...]] = {}  # valid numbers: each is checked once, at its first row
    invalid: dict[str, str] = {}
    for _id, row in sorted(rows.items()):
        raw = row[2]
        number = raw if type(raw) is str and id_number_is_normal(raw) else normalize_id_number(raw)
        first = seen.get(number)
        if first is None:
            problem = invalid.get(number) or id_number_problem(number, today_iso)
            if problem is not None:
                invalid[number] = problem
                person = dict(zip(names, row, strict=True))
                out.append(rule_finding(checks.ID_INVALID, record_where("people", row[0]), _person_label(person),
                                        problem))
                continue
            seen[number] = row
        else:
            person = dict(zip(names, row, strict=True))
            out.append(rule_finding("person.id_duplicate", record_where("people", row[0]), _person_label(person),
                                    f"与“{first[1]}”的身份证号相同"))
        birth, sex = row[3], row[4]
        if (birth and not f"{number[6:10]}-{number[10:12]}-{number[12:14]}".startswith(str(birth))) or (
                sex and sex != ("男" if number[16] in "13579" else "女")):
            person = dict(zip(names, row, strict=True))
            for _field, message in checks.id_mismatches(number, birth, sex):
                out.append(rule_finding(checks.ID_MISMATCH, record_where("people", row[0]), _person_label(person),
                                        message))
    return out


def _honour_checks(store: Store, period: Period, today: dt.date | None = None,
                   spec: R.ReturnSpec | None = None) -> list[Finding]:
    min_age = int((spec or shipped_spec()).threshold("min_honour_age"))
    out: list[Finding] = []
    end = period.end.isoformat()
    placeholders = ", ".join("?" * len(R.NOT_COUNTED_STATUSES))
    fields = ("pid", "name", "id_number", "birth_date", "title", "award_year", "award_date")
    cursor = store.conn.execute(
        "SELECT p.id AS pid, p.name, p.id_number, p.birth_date, h.title, h.award_year, h.award_date "
        "FROM honours h JOIN people p ON p.id = h.person_id "
        f"WHERE p.deleted_at IS NULL AND coalesce(p.status, '') NOT IN ({placeholders}) ORDER BY p.id, h.id",
        R.NOT_COUNTED_STATUSES)
    year_only: list[Mapping[str, Any]] = []
    later: list[Mapping[str, Any]] = []
    today_iso = (today or dt.date.today()).isoformat()
    this_year = int(today_iso[:4])
    annual = period.kind == "annual"
    # Tuples, and a row's place and label are made only for a finding: this loop sees every honour.
    for values in cursor:
        _pid, _name, _number, birth, title, year, date = values
        if date:
            future, after = str(date) > today_iso, str(date) > end
        else:
            future, after = bool(year and year > this_year), bool(year and year > period.year)
        if future:
            row = dict(zip(fields, values, strict=True))
            when = f"{date}" if date else f"{year}年"
            out.append(rule_finding("honour.future", record_where("people", row["pid"]), _person_label(row),
                                    f"荣誉“{title}”授予于{when}，晚于今天"))
            continue
        if after:
            later.append(dict(zip(fields, values, strict=True)))
            continue
        if birth and year and year - int(str(birth)[:4]) < min_age:
            row = dict(zip(fields, values, strict=True))
            message = checks.honour_too_young(birth, year, min_age)
            out.append(rule_finding(checks.HONOUR_YOUNG, record_where("people", row["pid"]), _person_label(row),
                                    f"荣誉“{title}”{message}"))
        if not annual and not date and year == period.year:
            year_only.append(dict(zip(fields, values, strict=True)))
    if later:
        names = "、".join(f"{r['name']}（{r['title']}）" for r in later[:5])
        more = f"等{len(later)}条" if len(later) > 5 else ""
        out.append(rule_finding("honour.after_period", "people#" + str(later[0]["pid"]), "人员荣誉",
                            f"{names}{more}授予于报告期末（{end}）之后"))
    if year_only:
        names = "、".join(f"{r['name']}（{r['title']}）" for r in year_only[:5])
        more = f"等{len(year_only)}条" if len(year_only) > 5 else ""
        out.append(rule_finding("honour.year_only", "people#" + str(year_only[0]["pid"]), "人员荣誉",
                            f"{names}{more}只有授予年份{period.year}年，按年末计入，本期不统计"))
    return out


def _studio_checks(store: Store, period: Period) -> list[Finding]:
    out: list[Finding] = []
    studios = store.query(
        "SELECT s.id, s.name, s.type, s.named_year, s.leader_id, p.name AS leader_name FROM studios s "
        "LEFT JOIN people p ON p.id = s.leader_id WHERE s.deleted_at IS NULL AND coalesce(s.named_year, 0) <= ? "
        "AND (s.revoked_year IS NULL OR s.revoked_year > ?) ORDER BY s.id", (period.year, period.year))
    if not studios:
        return out
    held: dict[int, set[str]] = defaultdict(set)
    for r in store.query("SELECT person_id, category FROM honours WHERE award_year <= ?", (period.year,)):
        held[r["person_id"]].add(r["category"])
    years = (period.year - 1, period.year) if period.kind == "annual" else (period.year - 2, period.year - 1)
    active: set[int] = set()
    measures = ("projects", "achievements", "patents", "methods", "benefit", "apprentices", "trainees")
    for r in store.query(f"SELECT studio_id FROM studio_outputs WHERE year IN (?, ?) AND "
                         f"({' OR '.join(f'coalesce({m}, 0) > 0' for m in measures)})", years):
        active.add(r["studio_id"])
    for s in studios:
        where = record_where("studios", s["id"])
        label = f"工作室“{s['name']}”"
        problem = checks.leader_honour_problem(s["type"], held.get(s["leader_id"] or 0, set()), s["leader_name"] or "")
        if problem:
            out.append(rule_finding(checks.LEADER_HONOUR, where, label, problem))
        if (s["named_year"] or 0) <= years[0] and s["id"] not in active:
            out.append(rule_finding("studio.no_output", where, label, f"{years[0]}年和{years[1]}年均无成果"))
    return out


def _activity_checks(store: Store, period: Period, spec: R.ReturnSpec | None = None) -> list[Finding]:
    extra_fields = {kind: (spec or shipped_spec()).extra_fields(kind) for kind in ("trainings", "competitions")}
    from forms.records import COMPETITIONS, TRAININGS

    out: list[Finding] = []
    for form, rows in ((TRAININGS, ret_mod.training_rows(store, period)),
                       (COMPETITIONS, ret_mod.competition_rows(store, period))):
        for row in rows:
            where = record_where(form.kind, row["id"])
            label = f"{form.title}“{row['name']}”"
            values = {**{k: (row[k] or 0) for k in form.names if k in row}, **ret_mod.extra_values(row)}
            for _field, message in checks.not_above(form, values, extra_fields.get(form.kind, ())):
                out.append(rule_finding(checks.NOT_ABOVE, where, label, message))
    return out


def _innovation_notices(store: Store, period: Period) -> list[Finding]:
    rows, how = ret_mod.innovation_rows(store, period)
    if how == "derived":
        codes = "、".join(r["period"] for r in rows)
        return [rule_finding("innovation.derived", "T5/total/suggestions", "表5",
                         f"本期未单独填报，按{codes}的填报数合计")]
    if how == "missing":
        return [rule_finding("innovation.missing", "T5/total/suggestions", "表5", f"{period.label}没有填报数，表5全部为0")]
    return []


# ------------------------------------------------------------------------------------------------
# Font coverage


def printed_strings(ret: Return) -> Iterable[tuple[str, str]]:
    """(where it is shown, text) for every free text a printed return contains."""
    yield "封面", ret.unit_name
    for field in ret.spec.cover:
        yield f"封面“{field.label}”", ret.cover.get(field.key, "")
    for roster in ret.spec.rosters:
        for row in ret.rosters.get(roster.key, []):
            for value in row.values():
                yield f"{roster.number}第{row.get('seq', '')}行", value
    for note in ret.notes:
        yield "说明", note.get("text", "")


def printed_texts(ret: Return) -> Iterable[str]:
    """Every free text a printed return contains, as often as it is printed (the texts of :func:`printed_strings`
    without their places, in one chain of iterators: a roster of 100,000 people has over a million cells)."""
    rosters = (itertools.chain.from_iterable(map(dict.values, ret.rosters.get(r.key, []))) for r in ret.spec.rosters)
    return itertools.chain((ret.unit_name,), (ret.cover.get(field.key, "") for field in ret.spec.cover), *rosters,
                           (note.get("text", "") for note in ret.notes))


def font_findings(ret: Return) -> list[Finding]:
    """A warning for the characters the bundled font cannot print (they would show as □)."""
    from models.fonts import lacks_any, missing_characters

    # First whether the font lacks any character: one string of every text that is not plain ASCII (which the
    # font has), its distinct characters looked up, without places; only when it lacks one are the characters
    # and their cells found.
    printed = "".join(itertools.filterfalse(str.isascii, printed_texts(ret)))
    if not lacks_any(printed):
        return []
    missing = set(missing_characters("".join(sorted(set(printed)))))
    if not missing:
        return []
    places: dict[str, list[str]] = defaultdict(list)
    for where, text in _printed_with_missing(ret, missing):
        for char in missing_characters(text):
            if where not in places[char]:
                places[char].append(where)
    chars = "".join(sorted(places))
    detail = "；".join(f"“{c}”见{'、'.join(places[c][:3])}{'等' if len(places[c]) > 3 else ''}" for c in sorted(places))
    return [rule_finding("font.missing", f"font/{chars}", "字库", f"内置字库缺少以下字：{detail}")]


def _printed_with_missing(ret: Return, missing: set[str]) -> Iterable[tuple[str, str]]:
    """The (place, text) of :func:`printed_strings` whose text has one of ``missing``; places made only for those."""
    has = missing.intersection  # same order as printed_strings: the cover, the rosters, the notes
    for where, text in (("封面", ret.unit_name),
                        *((f"封面“{field.label}”", ret.cover.get(field.key, "")) for field in ret.spec.cover)):
        if text and has(text):
            yield where, text
    for roster in ret.spec.rosters:
        for row in ret.rosters.get(roster.key, []):
            for value in row.values():
                if value and not value.isascii() and has(value):
                    yield f"{roster.number}第{row.get('seq', '')}行", value
    for note in ret.notes:
        text = note.get("text", "")
        if text and has(text):
            yield "说明", text


def findings_text(findings: Sequence[Finding], notes: Mapping[tuple[str, str], str] | None = None) -> list[str]:
    """One line per finding for the command line: ``[错误] 表3…：…``."""
    lines = []
    for f in findings:
        line = f"[{R.SEVERITY_LABELS.get(f.severity, f.severity)}] {f.text()}（位置 {f.where}）"
        note = (notes or {}).get((f.code, f.where))
        if note:
            line += f"\n    说明：{note}"
        lines.append(line)
    return lines
