"""首页: the unit, the reporting period, live counts as tiles, and what to do next."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from common.text import date_cn
from forms.periods import Period
from models import counts as live
from models import unit as unit_model
from ui.settings_store import current_period, set_current_period

if TYPE_CHECKING:
    from PySide6.QtGui import QKeyEvent, QMouseEvent

    from models.db import Store

# (page key, caption, measure word) per tile, in the order of the navigation
TILES = (
    ("people", "劳模名册", "人"),
    ("studios", "工作室", "个"),
    ("trainings", "培训", "期"),
    ("competitions", "竞赛", "项"),
    ("innovation", "经济技术创新", "期"),
)


# Contacts printed on the return's cover (attribute of models.unit.Unit, caption)
CONTACTS = (("head", "单位负责人"), ("statistician", "统计负责人"), ("preparer", "填表人"), ("phone", "联系电话"))


def period_choices(today: dt.date | None = None) -> list[Period]:
    """Periods offered on the home page: this year's and last year's annual, halves, quarters."""
    year = (today or dt.date.today()).year
    out: list[Period] = []
    for y in (year, year - 1):
        out.append(Period(y))
        out.extend(Period(y, f"H{n}") for n in (1, 2))
        out.extend(Period(y, f"Q{n}") for n in (1, 2, 3, 4))
    return out


def period_text(period: Period) -> str:
    return f"{period.label}（{period.kind_label}）"


class Tile(QFrame):
    """A large count that opens its page when clicked or activated with Enter/Space."""

    activated = Signal(str)

    def __init__(self, key: str, caption: str, measure: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.measure = measure
        self.setObjectName("tile")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(118)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 12)
        layout.setSpacing(2)
        self.caption = QLabel(caption)
        self.caption.setObjectName("tileCaption")
        self.number = QLabel("0")
        self.number.setObjectName("tileNumber")
        self.detail = QLabel("")
        self.detail.setObjectName("tileDetail")
        for label in (self.caption, self.number, self.detail):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            layout.addWidget(label)
        self.setAccessibleName(caption)
        self.setToolTip(f"打开“{caption}”")

    def set_count(self, count: int, detail: str = "") -> None:
        self.number.setText(f"{count:,}<span style='font-size:11pt; font-weight:normal'> {self.measure}</span>")
        self.detail.setText(detail)
        self.setAccessibleDescription(f"{count} {self.measure}")

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.activated.emit(self.key)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit(self.key)
            return
        super().keyPressEvent(event)


class HomePage(QWidget):
    """The first page: who we are, which period, how much is entered, what is next."""

    data_changed = Signal()
    navigate = Signal(str)  # a page key of ui.pages.PAGES

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.tiles: dict[str, Tile] = {}
        self._build()
        self.refresh()

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(scroll)
        body = QWidget()
        body.setObjectName("homeBody")
        scroll.setWidget(body)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(28, 22, 28, 22)
        layout.setSpacing(14)

        card = QFrame()
        card.setObjectName("unitCard")
        card_layout = QHBoxLayout(card)
        card_layout.setContentsMargins(22, 18, 22, 18)
        left = QVBoxLayout()
        left.setSpacing(6)
        self.unit_name = QLabel()
        self.unit_name.setObjectName("unitName")
        self.unit_name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.unit_facts = QLabel()
        self.unit_facts.setObjectName("unitFacts")
        self.unit_facts.setWordWrap(True)
        left.addWidget(self.unit_name)
        left.addWidget(self.unit_facts)
        contacts = QGridLayout()
        contacts.setHorizontalSpacing(6)
        contacts.setVerticalSpacing(4)
        self.contact_values: dict[str, QLabel] = {}
        for number, (key, caption) in enumerate(CONTACTS):
            label = QLabel(f"{caption}：")
            label.setObjectName("unitFacts")
            value = QLabel()
            value.setObjectName("contactValue")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.contact_values[key] = value
            row, col = divmod(number, 2)
            contacts.addWidget(label, row, col * 3)
            contacts.addWidget(value, row, col * 3 + 1)
        contacts.setColumnMinimumWidth(2, 24)
        contacts.setColumnStretch(5, 1)
        self.contacts_box = QWidget()
        self.contacts_box.setLayout(contacts)
        contacts.setContentsMargins(0, 4, 0, 0)
        left.addWidget(self.contacts_box)
        card_layout.addLayout(left, 1)
        card_layout.addSpacing(16)

        right = QVBoxLayout()
        right.setSpacing(6)
        period_caption = QLabel("当前报告期")
        period_caption.setObjectName("unitFacts")
        self.period_box = QComboBox()
        self.period_box.setMinimumWidth(200)
        self.period_box.setAccessibleName("当前报告期")
        self.period_box.setToolTip("统计表、审核和“本期新增”都按此报告期计算")
        period_caption.setBuddy(self.period_box)
        self.period_range = QLabel()
        self.period_range.setObjectName("unitFacts")
        right.addWidget(period_caption)
        right.addWidget(self.period_box)
        right.addWidget(self.period_range)
        right.addStretch(1)
        card_layout.addLayout(right)
        layout.addWidget(card)

        overview = QLabel("数据概览")
        overview.setObjectName("sectionTitle")
        layout.addWidget(overview)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(14)
        for number, (key, caption, measure) in enumerate(TILES):
            tile = Tile(key, caption, measure)
            tile.activated.connect(self.navigate)
            self.tiles[key] = tile
            grid.addWidget(tile, 0, number)
        layout.addLayout(grid)

        steps = QLabel("下一步")
        steps.setObjectName("sectionTitle")
        layout.addWidget(steps)
        self.hints = QLabel()
        self.hints.setObjectName("hints")
        self.hints.setWordWrap(True)
        self.hints.setTextFormat(Qt.TextFormat.RichText)
        self.hints.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                           | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.hints.linkActivated.connect(self._link)
        self.hints.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.hints)
        layout.addStretch(1)

        self.period_box.currentIndexChanged.connect(self._period_chosen)

    # -- data -------------------------------------------------------------------------------------

    def refresh(self) -> None:
        unit = unit_model.load(self.store)
        if unit is None:
            self.unit_name.setText("尚未设置本单位")
            self.unit_facts.setText("请在“文件 → 设置本单位…”中设置单位代码和名称。")
            self.contacts_box.hide()
        else:
            self.unit_name.setText(unit.name)
            facts = [f"单位代码 {unit.code}", unit.level_label]
            if unit.parent_name:
                facts.append(f"上级单位 {unit.parent_name}")
            self.unit_facts.setText("  ·  ".join(facts))
            for key, value in self.contact_values.items():
                text = str(getattr(unit, key) or "")
                value.setText(text or "未填")
                if value.property("missing") != (not text):
                    value.setProperty("missing", not text)
                    # The style sheet picks the new colour up at the label's first polish; one already polished
                    # (shown) is polished again. Not at start-up: reaching the style object from Python makes
                    # PySide build every enum of QStyle (≈ 15 ms, more than the rest of the page).
                    if value.testAttribute(Qt.WidgetAttribute.WA_WState_Polished):
                        value.style().unpolish(value)
                        value.style().polish(value)
            self.contacts_box.show()
        period = current_period(self.store)
        self._fill_periods(period)
        self.period_range.setText(f"{date_cn(period.start.isoformat())} 至 {date_cn(period.end.isoformat())}")

        counts = live.counts(self.store, self.tiles)  # a tile's key is its record kind, and the kind's table
        for key, tile in self.tiles.items():
            detail = f"荣誉 {counts.get('honours', 0):,} 项" if key == "people" else ""
            tile.set_count(counts.get(key, 0), detail)
        self.hints.setText(self._hint_html(unit, counts, period))

    def _fill_periods(self, period: Period) -> None:
        options = period_choices()
        if period not in options:
            options.insert(0, period)
        self.period_box.blockSignals(True)
        self.period_box.clear()
        for option in options:
            self.period_box.addItem(period_text(option), option.code)
        self.period_box.setCurrentIndex(options.index(period))
        self.period_box.blockSignals(False)

    def _period_chosen(self, index: int) -> None:
        if index < 0:
            return
        from forms.periods import parse_period

        period = parse_period(self.period_box.itemData(index))
        if period == current_period(self.store):
            return
        set_current_period(self.store, period)
        self.refresh()
        self.data_changed.emit()

    def _hint_html(self, unit: unit_model.Unit | None, counts: dict[str, int], period: Period) -> str:
        hints: list[str] = []
        if unit is None:
            hints.append("设置本单位：<a href='action:unit'>文件 → 设置本单位…</a>")
        elif not (unit.head and unit.statistician and unit.preparer and unit.phone):
            hints.append("填写单位负责人、统计负责人、填表人和联系电话（统计表封面需要）："
                         "<a href='action:unit'>设置本单位…</a>")
        # unit.has_subordinates, not models.board: the home page is painted at start-up, and the board's module
        # (receiving, signing, the return's declarations) costs tens of milliseconds to import.
        if unit is not None and unit.has_subordinates:
            return self._superior_hints(hints, unit, period)
        if not counts.get("people"):
            hints.append("在<a href='page:people'>劳模名册</a>中录入劳模和先进人物及其荣誉，"
                         "或从Excel/CSV表格批量导入（Ctrl+I）")
        if not counts.get("studios"):
            hints.append("在<a href='page:studios'>工作室</a>中录入创新工作室（领办人须先录入劳模名册）")
        if not counts.get("trainings"):
            hints.append(f"在<a href='page:trainings'>培训</a>中录入{period.year}年开展的培训")
        if not counts.get("competitions"):
            hints.append(f"在<a href='page:competitions'>竞赛</a>中录入{period.year}年举办的劳动和技能竞赛")
        if not live.innovation_entered(self.store, period.code):
            hints.append(f"在<a href='page:innovation'>经济技术创新</a>中填写{period.label}的合计数")
        if not hints:
            hints.append(f"{period.label}的各类数据均已录入，请逐项核对")
        hints.append("期末生成统计表并审核，经单位负责人批准、签名后导出Excel和PDF，报送上级工会")
        items = "".join(f"<li style='margin-bottom:6px'>{h}</li>" for h in hints)
        return f"<ol style='margin-left:0px; -qt-list-indent:1'>{items}</ol>"

    @staticmethod
    def _superior_hints(hints: list[str], unit: unit_model.Unit, period: Period) -> str:
        """A prefecture's or the province's year: registering, receiving, the board, 汇总."""
        upward = "报送省总工会" if unit.level != "province" else "按要求报送"
        hints += [
            "登记各下级单位交来的证书（核对盖章的公钥登记表上的指纹）：文件 → 证书登记（下级、上级单位）…",
            f"在<a href='page:board'>上报情况</a>中接收下级单位的{period.label}{period.kind_label}（U盘），"
            "程序逐个核验签名；查看谁已报、谁未报",
            "报表有误的在<a href='page:board'>上报情况</a>中“退回”并写明原因；已接收的“写回执”交给下级",
            "本级直属单位的劳模、工作室、培训、竞赛和经济技术创新照常在左侧各页录入",
            "在<a href='page:board'>上报情况</a>中点“汇总”，到<a href='page:returns'>报表</a>审核、定稿、签名导出，"
            + upward,
        ]
        items = "".join(f"<li style='margin-bottom:6px'>{h}</li>" for h in hints)
        return f"<ol style='margin-left:0px; -qt-list-indent:1'>{items}</ol>"

    def _link(self, href: str) -> None:
        kind, _, target = href.partition(":")
        if kind == "page":
            self.navigate.emit(target)
        elif kind == "action" and target == "unit":
            self.navigate.emit("action:unit")
