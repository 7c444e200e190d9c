"""The pages of the main window's navigation, in order.

Each entry names a QWidget subclass taking ``(store, parent=None)`` and offering ``refresh()``
(called whenever the page is shown or data changed elsewhere). A page that changes data emits
its ``data_changed`` signal so the other pages refresh. Modules are imported when first shown.
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
    PageEntry("recycle", "回收站", "ui.recycle_page:RecyclePage", ""),
]
