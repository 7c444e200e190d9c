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

import dataclasses
import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from forms import returns as R
from forms.fields import Finding
from forms.periods import Period, parse_period
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


def parse_where(where: str) -> Place:
    """The place a finding points at (see the module docstring)."""
    if "#" in where:
        kind, _, number = where.partition("#")
        return Place("record", record_kind=kind, record_id=int(number))
    parts = where.split("/")
    if parts[0] == "cover" and len(parts) == 2:
        return Place("cover", field=parts[1])
    if parts[0] == "font":
        return Place("font", field="/".join(parts[1:]))
    if len(parts) == 3 and parts[0] in R.TABLE_BY_KEY:
        return Place("cell", table=parts[0], row=parts[1], column=parts[2])
    if len(parts) == 3 and parts[0] == "roster" and parts[1] in R.ROSTER_BY_KEY:
        return Place("roster", table=parts[1], row=parts[2])  # a row (序号) of a consolidated return's roster
    if len(parts) == 2 and parts[0] == "units":
        return Place("units", field=parts[1])  # the subordinates of a consolidated return (上报情况)
    raise ValueError(f"unknown place {where!r}")


def cell_label(table: str, row: str, column: str) -> str:
    spec = R.table(table)
    col = spec.column(column)
    col_label = f"{col.group}·{col.label}" if col.group else col.label
    return f"{spec.number}“{spec.row(row).full_label}”行“{col_label}”栏"


# ------------------------------------------------------------------------------------------------
# 说明 (notes on warnings)


def _unit_code(store: Store) -> str:
    from models import unit

    current = unit.load(store)
    return current.code if current else ""


def set_note(store: Store, period: Period | str, code: str, where: str, text: str) -> None:
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


def get_notes(store: Store, period: Period | str) -> dict[tuple[str, str], str]:
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


def _finding(code: str, where: str, label: str, message: str) -> Finding:
    rule = R.RULE_BY_CODE[code]
    text = f"{message}。{rule.fix}" if rule.fix else message
    return Finding(rule.severity, where, text, code, label)


def review(store: Store, period: Period | str, ret: Return | None = None) -> ReviewReport:
    """Apply every review rule to the return of ``period`` (computed unless given)."""
    from models import versions

    period = parse_period(period) if isinstance(period, str) else period
    ret = ret if ret is not None else ret_mod.compute(store, period)
    findings = check_return(ret, versions.previous_finalised(store, period))
    findings += _people_checks(store)
    findings += _honour_checks(store, period)
    findings += _studio_checks(store, period)
    findings += _activity_checks(store, period)
    if not ret.consolidated:  # a consolidated 表5 is the sum of the units' own: this unit's entry is not missing
        findings += _innovation_notices(store, period)
    findings += font_findings(ret)
    if ret.consolidated:
        from models.consolidate import consolidation_findings

        findings += consolidation_findings(ret)
    order = {R.ERROR: 0, R.WARNING: 1, R.NOTICE: 2}
    findings.sort(key=lambda f: order.get(f.severity, 3))
    return ReviewReport(period.code, findings, get_notes(store, period))


# ------------------------------------------------------------------------------------------------
# Rules on the return itself (also apply to a consolidated or imported return)


def check_return(ret: Return, previous: Return | None = None) -> list[Finding]:
    """Cell relations (其中 ≤ 合计 …), required cover fields and the change against ``previous``."""
    out: list[Finding] = []
    for spec in R.TABLES:
        for row in spec.rows:
            cells = ret.tables[spec.key][row.key]
            for col in spec.columns:
                if col.not_above and cells[col.key] > cells[col.not_above]:
                    total = spec.column(col.not_above)
                    out.append(_finding("cell.not_above", cell_where(spec.key, row.key, col.key),
                                        cell_label(spec.key, row.key, col.key),
                                        f"{col.label}（{cells[col.key]}）大于{total.label}（{cells[col.not_above]}）"))
    for field in R.COVER_FIELDS:
        if field.required and not ret.cover.get(field.key, "").strip():
            out.append(_finding("cover.required", f"cover/{field.key}", f"封面“{field.label}”", "未填写"))
    if previous is not None:
        out += _change_checks(ret, previous)
    return out


def _change_checks(ret: Return, previous: Return) -> list[Finding]:
    out = []
    for spec in R.TABLES:
        for col in spec.columns:
            if not col.key_total:
                continue
            now_value = Decimal(ret.tables[spec.key][R.TOTAL][col.key])
            before = Decimal(previous.tables[spec.key][R.TOTAL][col.key])
            if before <= 0:
                continue
            change = (now_value - before) / before
            if abs(change) > Decimal(str(R.CHANGE_THRESHOLD)):
                where = cell_where(spec.key, R.TOTAL, col.key)
                word = "增长" if change > 0 else "下降"
                unit = f"{col.unit}" if col.unit else ""
                out.append(_finding(
                    "change.over_50", where, cell_label(spec.key, R.TOTAL, col.key),
                    f"本期{_fmt(now_value, col.money)}{unit}，上期（{previous.period_obj.label}第{previous.version}版）"
                    f"{_fmt(before, col.money)}{unit}，{word}{abs(change) * 100:.1f}%"))
    return out


def _fmt(value: Decimal, is_money: bool) -> str:
    return f"{value:.2f}" if is_money else f"{int(value)}"


# ------------------------------------------------------------------------------------------------
# Rules on the records


def _person_label(row: Mapping[str, Any]) -> str:
    from common.ids import mask_id_number

    return f"人员“{row['name']}”（{mask_id_number(row['id_number'])}）"


def _people_checks(store: Store, today: dt.date | None = None) -> list[Finding]:
    from common.ids import id_number_is_normal, id_number_problem, normalize_id_number

    # Plain tuples and one check per distinct number (no shared cache to thrash): at province scale
    # (100,000 people) this loop is most of the review, so a row costs a few dictionary lookups.
    out: list[Finding] = []
    today_iso = (today or dt.date.today()).isoformat()
    names = ("id", "name", "id_number", "birth_date", "sex")
    seen: dict[str, tuple[Any, ...]] = {}  # valid numbers: each is checked once, at its first row
    invalid: dict[str, str] = {}
    for row in store.conn.execute(
            "SELECT id, name, id_number, birth_date, sex FROM people WHERE deleted_at IS NULL ORDER BY id"):
        raw = row[2]
        number = raw if type(raw) is str and id_number_is_normal(raw) else normalize_id_number(raw)
        first = seen.get(number)
        if first is None:
            problem = invalid.get(number) or id_number_problem(number, today_iso)
            if problem is not None:
                invalid[number] = problem
                person = dict(zip(names, row, strict=True))
                out.append(_finding("person.id_invalid", record_where("people", row[0]), _person_label(person),
                                    problem))
                continue
            seen[number] = row
        else:
            person = dict(zip(names, row, strict=True))
            out.append(_finding("person.id_duplicate", record_where("people", row[0]), _person_label(person),
                                f"与“{first[1]}”的身份证号相同"))
        birth, sex = row[3], row[4]
        if birth:
            born = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
            if not born.startswith(str(birth)):
                person = dict(zip(names, row, strict=True))
                out.append(_finding("person.id_mismatch", record_where("people", row[0]), _person_label(person),
                                    f"出生日期 {birth} 与身份证号中的 {born} 不一致"))
        if sex:
            from_number = "男" if number[16] in "13579" else "女"
            if sex != from_number:
                person = dict(zip(names, row, strict=True))
                out.append(_finding("person.id_mismatch", record_where("people", row[0]), _person_label(person),
                                    f"性别“{sex}”与身份证号（{from_number}）不一致"))
    return out


def _honour_checks(store: Store, period: Period, today: dt.date | None = None) -> list[Finding]:
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
            out.append(_finding("honour.future", record_where("people", row["pid"]), _person_label(row),
                                f"荣誉“{title}”授予于{when}，晚于今天"))
            continue
        if after:
            later.append(dict(zip(fields, values, strict=True)))
            continue
        if birth and year and year - int(str(birth)[:4]) < R.MIN_HONOUR_AGE:
            row = dict(zip(fields, values, strict=True))
            when = f"{date}" if date else f"{year}年"
            out.append(_finding("honour.young", record_where("people", row["pid"]), _person_label(row),
                                f"荣誉“{title}”授予于{when}，本人{str(birth)[:4]}年出生，不满{R.MIN_HONOUR_AGE}岁"))
        if not annual and not date and year == period.year:
            year_only.append(dict(zip(fields, values, strict=True)))
    if later:
        names = "、".join(f"{r['name']}（{r['title']}）" for r in later[:5])
        more = f"等{len(later)}条" if len(later) > 5 else ""
        out.append(_finding("honour.after_period", "people#" + str(later[0]["pid"]), "人员荣誉",
                            f"{names}{more}授予于报告期末（{end}）之后"))
    if year_only:
        names = "、".join(f"{r['name']}（{r['title']}）" for r in year_only[:5])
        more = f"等{len(year_only)}条" if len(year_only) > 5 else ""
        out.append(_finding("honour.year_only", "people#" + str(year_only[0]["pid"]), "人员荣誉",
                            f"{names}{more}只有授予年份{period.year}年，按年末计入，本期不统计"))
    return out


def _studio_checks(store: Store, period: Period) -> list[Finding]:
    from forms.honours import STUDIO_LEADER_REQUIREMENTS

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
        required = STUDIO_LEADER_REQUIREMENTS.get(s["type"])
        if required and not (held.get(s["leader_id"] or 0, set()) & set(required)):
            out.append(_finding("studio.leader_honour", where, label,
                                f"{s['type']}的领办人须获得“{'”或“'.join(required)}”荣誉，"
                                f"领办人“{s['leader_name'] or '（未指定）'}”没有"))
        if (s["named_year"] or 0) <= years[0] and s["id"] not in active:
            out.append(_finding("studio.no_output", where, label, f"{years[0]}年和{years[1]}年均无成果"))
    return out


def _activity_checks(store: Store, period: Period) -> list[Finding]:
    from forms.records import CERT_FIELDS, COMPETITIONS, TRAININGS

    out: list[Finding] = []
    for form, rows in ((TRAININGS, ret_mod.training_rows(store, period)),
                       (COMPETITIONS, ret_mod.competition_rows(store, period))):
        relations = [(f, form.field(f.not_above)) for f in form.fields if f.not_above]
        for row in rows:
            where = record_where(form.kind, row["id"])
            label = f"{form.title}“{row['name']}”"
            for part, total in relations:
                if (row[part.name] or 0) > (row[total.name] or 0):
                    out.append(_finding("record.not_above", where, label,
                                        f"{part.label}（{row[part.name]}）大于{total.label}（{row[total.name] or 0}）"))
            if form is TRAININGS:
                certs = sum(row[c] or 0 for c in CERT_FIELDS)
                if certs > (row["participants"] or 0):
                    out.append(_finding("record.not_above", where, label,
                                        f"取证人数合计（{certs}）大于参训人次（{row['participants'] or 0}）"))
                if (row["participants"] or 0) > R.IMPLAUSIBLE_PARTICIPANTS:
                    out.append(_finding("training.implausible", where, label,
                                        f"参训人次为{row['participants']}，超过{R.IMPLAUSIBLE_PARTICIPANTS}"))
    return out


def _innovation_notices(store: Store, period: Period) -> list[Finding]:
    rows, how = ret_mod.innovation_rows(store, period)
    if how == "derived":
        codes = "、".join(r["period"] for r in rows)
        return [_finding("innovation.derived", "T5/total/suggestions", "表5",
                         f"本期未单独填报，按{codes}的填报数合计")]
    if how == "missing":
        return [_finding("innovation.missing", "T5/total/suggestions", "表5", f"{period.label}没有填报数，表5全部为0")]
    return []


# ------------------------------------------------------------------------------------------------
# Font coverage


def printed_strings(ret: Return) -> Iterable[tuple[str, str]]:
    """(where it is shown, text) for every free text a printed return contains."""
    yield "封面", ret.unit_name
    for field in R.COVER_FIELDS:
        yield f"封面“{field.label}”", ret.cover.get(field.key, "")
    for roster in R.ROSTERS:
        for row in ret.rosters.get(roster.key, []):
            for value in row.values():
                yield f"{roster.number}第{row.get('seq', '')}行", value
    for note in ret.notes:
        yield "说明", note.get("text", "")


def printed_texts(ret: Return) -> set[str]:
    """Every distinct free text a printed return contains (the texts of :func:`printed_strings`)."""
    texts = {ret.unit_name}
    texts.update(ret.cover.get(field.key, "") for field in R.COVER_FIELDS)
    for roster in R.ROSTERS:
        texts.update(itertools.chain.from_iterable(map(dict.values, ret.rosters.get(roster.key, []))))
    texts.update(note.get("text", "") for note in ret.notes)
    return texts


def font_findings(ret: Return) -> list[Finding]:
    """A warning for the characters the bundled font cannot print (they would show as □)."""
    from models.fonts import missing_characters

    # First the characters the font lacks, from one string of every distinct non-ASCII text (a roster of
    # 100,000 people has over a million cells, few of them distinct); only when some are missing are the
    # cells that hold them located.
    distinct = set("".join(t for t in printed_texts(ret) if not t.isascii()))
    missing = set(missing_characters("".join(sorted(distinct))))
    if not missing:
        return []
    places: dict[str, list[str]] = defaultdict(list)
    for where, text in _printed_with_missing(ret, missing):
        for char in missing_characters(text):
            if where not in places[char]:
                places[char].append(where)
    chars = "".join(sorted(places))
    detail = "；".join(f"“{c}”见{'、'.join(places[c][:3])}{'等' if len(places[c]) > 3 else ''}" for c in sorted(places))
    return [_finding("font.missing", f"font/{chars}", "字库", f"内置字库缺少以下字：{detail}")]


def _printed_with_missing(ret: Return, missing: set[str]) -> Iterable[tuple[str, str]]:
    """The (place, text) of :func:`printed_strings` whose text has one of ``missing``; places made only for those."""
    has = missing.intersection  # same order as printed_strings: the cover, the rosters, the notes
    for where, text in (("封面", ret.unit_name),
                        *((f"封面“{field.label}”", ret.cover.get(field.key, "")) for field in R.COVER_FIELDS)):
        if text and has(text):
            yield where, text
    for roster in R.ROSTERS:
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
