"""The pages of the main window's navigation, in order.

Each entry names a QWidget subclass taking ``(store, parent=None)`` and offering ``refresh()``
(called whenever the page is shown or data changed elsewhere). A page that changes data emits
its ``data_changed`` signal so the other pages refresh. Modules are imported when first shown.

Optional, used by ``ui.main_window`` when present: a ``message = Signal(str)`` shown in the
status bar; a ``navigate = Signal(str)`` carrying another page's key; and the hooks the 数据
menu calls — ``add_record()`` (Ctrl+N/Insert), ``edit_current()``, ``delete_current()``,
``undo_delete()`` (Ctrl+Z), ``focus_search()`` (Ctrl+F), ``import_records()`` (Ctrl+I). A menu
entry is disabled on pages without its hook. Keep keys inside the page's own widgets so they do
not clash with these window shortcuts.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class PageEntry:
    key: str
    title: str
    target: str  # "module:ClassName"
    shortcut: str = ""  # e.g. "Ctrl+1"


PAGES: list[PageEntry] = [
    PageEntry("home", "首页", "ui.home_page:HomePage", "Ctrl+1"),
    PageEntry("people", "劳模名册", "ui.record_page:PeoplePage", "Ctrl+2"),
    PageEntry("studios", "工作室", "ui.record_page:StudiosPage", "Ctrl+3"),
    PageEntry("trainings", "培训", "ui.record_page:TrainingsPage", "Ctrl+4"),
    PageEntry("competitions", "竞赛", "ui.record_page:CompetitionsPage", "Ctrl+5"),
    PageEntry("innovation", "经济技术创新", "ui.record_page:InnovationPage", "Ctrl+6"),
    PageEntry("returns", "报表", "ui.return_page:ReturnPage", "Ctrl+7"),
    # For every unit: a prefecture or the province sees its subordinates' board; a county or an industry union
    # (no subordinates) sees an explanation and “打开回执” for the receipts its superior wrote.
    PageEntry("board", "上报情况", "ui.board_page:BoardPage", "Ctrl+8"),
    # Progress against the province's plan targets, from the unit's finalised (or consolidated) annual returns.
    PageEntry("progress", "目标完成情况", "ui.progress_page:ProgressPage", "Ctrl+9"),
    PageEntry("recycle", "回收站", "ui.recycle_page:RecyclePage", ""),
]
