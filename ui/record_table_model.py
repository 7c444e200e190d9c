"""The table model of a record page: a window onto SQL, never all rows in memory.

``rowCount`` is ``records.count``; ``data`` fetches the page of :data:`PAGE_SIZE` rows holding the
requested row (a few pages are kept, least recently used dropped). Searching and sorting
re-query in SQL, so a filter keystroke costs one ``count`` and one page whatever the size.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from forms import fields as F
from models import records

if TYPE_CHECKING:
    from models.db import Store

RecordIdRole = Qt.ItemDataRole.UserRole + 1  # int: the row's record id
RawValueRole = Qt.ItemDataRole.UserRole + 2  # the value as stored (None when empty)

# Plain ints: data() runs for every role of every visible cell on each repaint, and comparing
# ints is much cheaper than comparing enum members.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_RECORD_ID = int(RecordIdRole)
_RAW = int(RawValueRole)
_ITEM_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

PAGE_SIZE = 200
MAX_PAGES = 8

_ALIGN_NUMBER = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_ALIGN_CENTER = Qt.AlignmentFlag.AlignCenter
_ALIGN_TEXT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter

_Index = QModelIndex | QPersistentModelIndex


def format_value(kind: str, value: Any) -> str:
    """How a stored value is shown in a table cell."""
    if value is None or value == "":
        return ""
    if kind == F.BOOL:
        return "是" if value else "否"
    if kind == F.MONEY:
        try:
            return f"{float(value):,.2f}"
        except (TypeError, ValueError):
            return str(value)
    if kind == F.INT:
        try:
            return f"{int(value):,}"
        except (TypeError, ValueError):
            return str(value)
    if kind == F.PERIOD:
        from common.text import ParseError
        from forms.periods import parse_period

        try:
            return parse_period(value).label
        except ParseError:
            return str(value)
    return str(value)


def alignment(kind: str) -> Qt.AlignmentFlag:
    if kind in F.NUMERIC_KINDS:
        return _ALIGN_NUMBER
    if kind in (F.BOOL, F.YEAR, F.DATE, F.PERIOD):
        return _ALIGN_CENTER
    return _ALIGN_TEXT


def _header_label(kind: str, column: records.Column) -> str:
    """The column's label; money columns carry their unit (万元)."""
    if column.kind == F.MONEY:
        from forms.records import spec

        try:
            return spec(kind).field(column.name).caption
        except KeyError:
            return column.label
    return column.label


def _shown(field: Any, value: Any) -> str:
    """A list cell: ID and mobile numbers masked (前6后4, 前3后4); the full number is in the record."""
    from common.ids import mask_id_number, mask_phone
    from forms import fields as F

    if value:
        if field.kind == F.ID_NUMBER:
            return mask_id_number(str(value))
        if field.kind == F.MOBILE:
            return mask_phone(str(value))
    return format_value(field.kind, value)


class RecordTableModel(QAbstractTableModel):
    """Records of one kind (live ones, or those in the 回收站 with ``deleted=True``)."""

    def __init__(self, store: Store, kind: str, parent: Any = None, *, deleted: bool = False) -> None:
        super().__init__(parent)
        self.store = store
        self.kind = kind
        self.columns: list[records.Column] = records.columns(kind)
        self.labels = [_header_label(kind, c) for c in self.columns]
        self._alignments = [alignment(c.kind) for c in self.columns]
        self._tip_widths = [c.width for c in self.columns]
        self._total: int | None = None  # live records ignoring search and filters
        self._query = records.ListQuery(kind, deleted=deleted)
        self._count = records.count(store, self._query)
        self._ids: list[int] | None = None  # every match of a search with few (records.matches)
        self._pages: collections.OrderedDict[int, list[dict[str, Any]]] = collections.OrderedDict()
        self._cells: dict[int, list[str]] = {}  # formatted cells of recently shown rows

    # -- query ----------------------------------------------------------------------------------

    @property
    def query(self) -> records.ListQuery:
        return self._query

    @property
    def search(self) -> str:
        return self._query.search

    def set_search(self, text: str) -> None:
        """Show only records matching ``text`` (name, pinyin initials, ID number …)."""
        if text != self._query.search:
            self._requery(dataclasses.replace(self._query, search=text))

    def set_filters(self, filters: tuple[tuple[str, Any], ...]) -> None:
        if filters != self._query.filters:
            self._requery(dataclasses.replace(self._query, filters=filters))

    def refresh(self) -> None:
        """Re-read everything (after records were added, changed or deleted)."""
        self._total = None
        self._requery(self._query)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort in SQL by a column; ``column < 0`` returns to the form's default order."""
        name = self.columns[column].name if 0 <= column < len(self.columns) else None
        descending = order == Qt.SortOrder.DescendingOrder and name is not None
        if (name, descending) != (self._query.sort, self._query.descending):
            # the same rows in another order: the count (and a search's ids) stay, only pages are read again
            self._requery(dataclasses.replace(self._query, sort=name, descending=descending), same_rows=True)

    def sort_column(self) -> int:
        """The column currently sorted by (-1 for the default order)."""
        for number, col in enumerate(self.columns):
            if col.name == self._query.sort:
                return number
        return -1

    def _requery(self, query: records.ListQuery, *, same_rows: bool = False) -> None:
        self.beginResetModel()
        self._query = query
        self._pages.clear()
        self._cells.clear()
        if not same_rows:
            # A search with few matches finds them all: they are the count, and pages are picked among them.
            self._count, self._ids = records.matches(self.store, query)
        if not query.search and not query.filters:
            self._total = self._count
        self.endResetModel()

    # -- rows and ids ----------------------------------------------------------------------------

    def _row(self, row: int) -> dict[str, Any] | None:
        if not 0 <= row < self._count:
            return None
        number, offset = divmod(row, PAGE_SIZE)
        page = self._pages.get(number)
        if page is None:
            page = records.fetch(self.store, self._query, number * PAGE_SIZE, PAGE_SIZE, ids=self._ids)
            self._pages[number] = page
            while len(self._pages) > MAX_PAGES:
                dropped, _ = self._pages.popitem(last=False)
                start = dropped * PAGE_SIZE
                for key in range(start, start + PAGE_SIZE):
                    self._cells.pop(key, None)
        else:
            self._pages.move_to_end(number)
        return page[offset] if offset < len(page) else None

    def record(self, row: int) -> dict[str, Any] | None:
        """The listed values of a row (``id`` plus every column), or None."""
        found = self._row(row)
        return dict(found) if found is not None else None

    def record_id(self, row: int) -> int | None:
        found = self._row(row)
        return int(found["id"]) if found is not None else None

    def record_name(self, row: int) -> str:
        """The first column of a row (the name), for messages."""
        found = self._row(row)
        if found is None:
            return ""
        return format_value(self.columns[0].kind, found.get(self.columns[0].name))

    def row_of(self, record_id: int) -> int | None:
        """The row showing ``record_id`` under the current search and sort, or None."""
        return records.row_index(self.store, self._query, record_id)

    def total_count(self) -> int:
        """Records of the kind ignoring the search (for 找到 N 条（共 M 条）); cached until refresh."""
        if self._total is None:
            self._total = records.count(self.store, records.ListQuery(self.kind, deleted=self._query.deleted))
        return self._total

    # -- Qt model --------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        role = int(role)
        if role == _DISPLAY or role == _TOOLTIP:
            if not index.isValid():
                return None
            row = index.row()
            cells = self._cells.get(row)
            if cells is None:
                found = self._row(row)
                if found is None:
                    return None
                cells = [_shown(c, found.get(c.name)) for c in self.columns]
                self._cells[row] = cells
            column = index.column()
            if not 0 <= column < len(cells):
                return None
            text = cells[column]
            if role == _TOOLTIP:
                return text if len(text) > self._tip_widths[column] else None
            return text
        if role == _ALIGNMENT:
            column = index.column()
            return self._alignments[column] if index.isValid() and 0 <= column < len(self._alignments) else None
        if role == _RECORD_ID:
            return self.record_id(index.row()) if index.isValid() else None
        if role == _RAW:
            found = self._row(index.row()) if index.isValid() else None
            column = index.column()
            return None if found is None or not 0 <= column < len(self.columns) else found.get(self.columns[column].name)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if not 0 <= section < len(self.columns):
                return None
            if role == Qt.ItemDataRole.DisplayRole:
                return self.labels[section]
            return None
        if role == Qt.ItemDataRole.DisplayRole and 0 <= section < self._count:
            return str(section + 1)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        return _ITEM_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags
