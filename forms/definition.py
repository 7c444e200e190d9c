"""The return's definition (报表制度) as data: one versioned JSON file sent down, signed, by the province.

This module reads and checks a definition file and names the one shipped with the program. A
definition is identified by ``id`` and ``version``; its ``digest`` (SHA-256 of the file's bytes) is
what a return built on it records, so an old return can always be re-rendered with its own definition.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from typing import TYPE_CHECKING, Any

from common.errors import UserError
from common.paths import resource_path

if TYPE_CHECKING:
    from forms.returns import ReturnSpec

FORMAT = "changai-definition"
FORMAT_VERSION = 1
MAX_BYTES = 4 * 1024 * 1024  # a definition is a few tens of kilobytes; refuse anything absurd before parsing
SHIPPED = "definitions/yn-changai-return.v1.json"


class DefinitionError(UserError):
    """A definition file that cannot be used; the message names the file and what is wrong."""


@dataclasses.dataclass(frozen=True)
class Definition:
    id: str
    version: int
    title: str
    authority: str  # 制定机关
    year_from: int
    year_to: int
    raw: bytes = dataclasses.field(repr=False)  # the file's bytes, exactly as signed
    body: dict[str, Any] = dataclasses.field(repr=False, compare=False, hash=False, default_factory=dict)

    @functools.cached_property
    def digest(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        """Sent to another process (a return verified by a helper) as the file's bytes, which that process parses
        once (:func:`definition_from_bytes`): not as the parsed body and return description, again with every
        return."""
        return definition_from_bytes, (self.raw,)

    @property
    def label(self) -> str:
        """``产业工人队伍建设改革统计表（2021—2030年，第1版）``."""
        return f"{self.title}（{self.year_from}—{self.year_to}年，第{self.version}版）"

    def covers(self, year: int) -> bool:
        return self.year_from <= year <= self.year_to

    @functools.cached_property
    def spec(self) -> ReturnSpec:
        """The return this file describes (tables, rosters, cover, rules …), checked when the file is loaded."""
        from forms.returns import spec_from_body

        return spec_from_body(self.body)

    @property
    def ref(self) -> dict[str, Any]:
        """What a return built on this definition records: ``{"id", "version", "digest"}``."""
        return {"id": self.id, "version": self.version, "digest": self.digest}

    def summary_lines(self) -> list[str]:
        """What a check of the file shows (command line and window): its tables, rosters, rules, added fields and
        digest."""
        spec = self.spec
        lines = [f"{self.label}，制定机关：{self.authority}",
                 f"表 {len(spec.tables)} 张（{'、'.join(t.number for t in spec.tables)}），名册 {len(spec.rosters)} 张，"
                 f"审核规则 {len(spec.rules)} 条，附加填报项 {len(spec.fields)} 个"]
        lines += [f"附加填报项：{extra.kind}.{extra.field.name}（{extra.field.caption}）" for extra in spec.fields]
        lines.append(f"摘要（SHA-256）：{self.digest}")
        return lines


def _need(data: dict[str, Any], key: str, kind: type, source: str) -> Any:
    value = data.get(key)
    if kind is int and isinstance(value, bool):
        value = None
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise DefinitionError(f"报表制度文件“{source}”缺少或写错了“{key}”项。")
    return value


def load_definition(data: bytes, *, source: str = "报表制度文件") -> Definition:
    """Parse and check a definition file's bytes; :class:`DefinitionError` names ``source`` and the problem."""
    if len(data) > MAX_BYTES:
        raise DefinitionError(f"“{source}”太大（{len(data) // 1024} KB），不是报表制度文件。")
    try:
        parsed = json.loads(data.decode("utf-8-sig"))  # Windows Notepad may have saved it with a BOM
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DefinitionError(f"“{source}”不是报表制度文件（无法按JSON读取：{exc}）。") from exc
    if not isinstance(parsed, dict) or parsed.get("format") != FORMAT:
        raise DefinitionError(f"“{source}”不是报表制度文件。")
    if parsed.get("format_version") != FORMAT_VERSION:
        raise DefinitionError(f"“{source}”的格式版本为{parsed.get('format_version')}，本程序只能读第{FORMAT_VERSION}版，"
                              "请安装新版程序。")
    defn = Definition(
        id=_need(parsed, "id", str, source), version=_need(parsed, "version", int, source),
        title=_need(parsed, "title", str, source), authority=_need(parsed, "authority", str, source),
        year_from=_need(parsed, "year_from", int, source), year_to=_need(parsed, "year_to", int, source),
        raw=bytes(data), body=parsed,
    )
    if defn.version < 1 or not 2000 <= defn.year_from <= defn.year_to <= 2100:
        raise DefinitionError(f"“{source}”的版本号或适用年度不正确。")
    from forms.returns import SpecError

    try:
        defn.spec  # noqa: B018 - built once here so that a wrong file is refused on load, naming the place
    except SpecError as exc:
        raise DefinitionError(f"报表制度文件“{source}”有误：{exc}。") from None
    return defn


def check_definition(data: bytes, *, source: str = "报表制度文件") -> tuple[Definition | None, list[str]]:
    """The definition in ``data`` and every problem found, each naming its place in the file (for
    ``definition check``); the definition is None when there is any problem."""
    from forms.returns import problems

    try:
        return load_definition(data, source=source), []
    except DefinitionError as exc:
        first = str(exc)
    try:
        body = json.loads(data.decode("utf-8-sig")) if len(data) <= MAX_BYTES else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = None
    found = problems(body) if isinstance(body, dict) and body.get("format") == FORMAT else []
    return None, found or [first]


@functools.cache
def shipped_definition() -> Definition:
    """The definition the program ships with (the return it implements)."""
    path = resource_path(SHIPPED)
    return load_definition(path.read_bytes(), source=path.name)


_PARSED: dict[str, Definition] = {}  # digest → definition: a file is parsed and checked once per process


def definition_from_bytes(raw: bytes, *, source: str = "已安装的报表制度") -> Definition:
    """The definition whose file is ``raw`` (installed in a store, or sent from another process): the shipped one,
    or one parsed and checked once per process; :class:`DefinitionError` names ``source`` when it is wrong."""
    shipped = shipped_definition()
    if raw == shipped.raw:
        return shipped
    digest = hashlib.sha256(raw).hexdigest()
    found = _PARSED.get(digest)
    if found is None or found.raw != raw:
        found = _PARSED[digest] = load_definition(raw, source=source)
    return found


def shipped_spec() -> ReturnSpec:
    """The shipped definition's return, for code with no return or store at hand (defaults, help texts, tests).
    Code that builds, renders, reviews or consolidates a return takes the return's own definition."""
    return shipped_definition().spec


def spec_of(definition: Definition | None) -> ReturnSpec:
    return definition.spec if definition is not None else shipped_spec()
