"""First-run wizard: which union this is, its name and code, and the contacts on the return's cover.

Regional unions pick their division (search by name, pinyin initials or code: ``nex`` finds
宁洱哈尼族彝族自治县); the code, level and superior follow from it. Provincial industry-system
unions give their name and 统一社会信用代码. Finishing calls ``models.unit.setup``.
Everything works from the keyboard: Down moves from the search box into the list, Enter picks.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFormLayout,
    QFrame,
    QHeaderView,
    QLabel,
    QLineEdit,
    QRadioButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from common.errors import UserError
from common.text import ParseError, clean_text
from forms import divisions
from models import unit as unit_model
from models.db import Store
from ui.screen import fit_size
from ui.widgets import ERROR_COLOUR, FORM_STYLE, NOTE_COLOUR

PAGE_KIND, PAGE_REGION, PAGE_INDUSTRY, PAGE_CONTACTS = range(4)

_BUTTON_TEXTS = {
    QWizard.WizardButton.BackButton: "< 上一步(&B)",
    QWizard.WizardButton.NextButton: "下一步(&N) >",
    QWizard.WizardButton.CommitButton: "提交(&C)",
    QWizard.WizardButton.FinishButton: "完成(&F)",
    QWizard.WizardButton.CancelButton: "取消",
    QWizard.WizardButton.HelpButton: "帮助(&H)",
}


def _note(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {NOTE_COLOUR};")
    return label


def _message() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {ERROR_COLOUR};")
    return label


def _is_enter(event: QEvent) -> bool:
    return isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress \
        and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class KindPage(QWizardPage):
    """Page 1: a regional union (总工会 of the province, a prefecture or a county) or an industry-system union."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("本单位是哪一类工会？")
        self.setSubTitle("首次使用请先设置本单位。报表封面、上报和汇总都以此为准。")
        self.regional = QRadioButton("地方工会（省总工会、州市总工会、县市区总工会）")
        self.industry = QRadioButton("省级产业系统工会（如 云南电网、云南烟草等公司工会）")
        self.group = QButtonGroup(self)
        self.group.addButton(self.regional)
        self.group.addButton(self.industry)
        self.regional.setChecked(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.regional)
        layout.addWidget(_note("单位代码即行政区划代码，如 宁洱哈尼族彝族自治县总工会 为 530821。"))
        layout.addSpacing(12)
        layout.addWidget(self.industry)
        layout.addWidget(_note("单位代码为统一社会信用代码，直接向云南省总工会报送。"))
        layout.addStretch(1)
        layout.addWidget(_note("用方向键选择，回车进入下一步。"))

    def nextId(self) -> int:
        return PAGE_INDUSTRY if self.industry.isChecked() else PAGE_REGION


class RegionPage(QWizardPage):
    """Page 2 for regional unions: find the division; its code, level and superior follow."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("选择本单位所在的行政区划")
        self.setSubTitle("输入名称、拼音首字母或代码查找，如 nex、宁洱 或 530821；↓ 进入列表，回车选定。")
        self.division: divisions.Division | None = None
        self._proposed = ""
        self.search = QLineEdit()
        self.search.setPlaceholderText("查找：名称、拼音首字母或行政区划代码")
        self.search.setClearButtonEnabled(True)
        self.list = QTreeWidget()
        self.list.setColumnCount(4)
        self.list.setHeaderLabels(["代码", "名称", "级别", "上级"])
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.list.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.list.setMinimumHeight(200)
        self.code_label = QLabel("—")
        self.level_label = QLabel("—")
        self.parent_label = QLabel("—")
        self.name = QLineEdit()
        self.name.setPlaceholderText("选定行政区划后自动填写，可修改")
        self.name.setMaxLength(60)
        info = QFormLayout()
        info.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        info.addRow("单位代码：", self.code_label)
        info.addRow("级别：", self.level_label)
        info.addRow("上级单位：", self.parent_label)
        info.addRow("单位名称：", self.name)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addLayout(info)
        self.search.textChanged.connect(self._fill)
        self.search.installEventFilter(self)
        self.list.installEventFilter(self)
        self.list.itemActivated.connect(lambda _item, _col: self.pick())  # double click (Enter is filtered)
        self.list.itemClicked.connect(lambda _item, _col: self.pick())
        self.name.textChanged.connect(self.completeChanged)
        self._fill("")

    def _fill(self, query: str) -> None:
        self.list.clear()
        for division in divisions.search(query):
            parent = divisions.get(division.parent_code) if division.parent_code else None
            item = QTreeWidgetItem([division.code, division.name, divisions.LEVEL_NAMES[division.level],
                                    parent.name if parent else "—"])
            item.setData(0, Qt.ItemDataRole.UserRole, division.code)
            self.list.addTopLevelItem(item)
        first = self.list.topLevelItem(0)
        if first is not None:
            self.list.setCurrentItem(first)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        key = event.key()
        if watched is self.search:
            if key == Qt.Key.Key_Down and self.list.topLevelItemCount():
                self.list.setFocus(Qt.FocusReason.OtherFocusReason)
                current = self.list.currentItem() or self.list.topLevelItem(0)
                if current is not None:
                    self.list.setCurrentItem(current)
                    current.setSelected(True)
                return True
            if _is_enter(event) and self.list.topLevelItemCount():
                self.pick()
                return True
        if watched is self.list:
            if _is_enter(event):
                self.pick()
                return True
            if key == Qt.Key.Key_Up and self.list.currentItem() is self.list.topLevelItem(0):
                self.search.setFocus(Qt.FocusReason.OtherFocusReason)
                return True
        return super().eventFilter(watched, event)

    def pick(self, code: str | None = None) -> None:
        """Take the current row (or ``code``) as this unit's division; focus the name to confirm it."""
        if code is None:
            item = self.list.currentItem() or self.list.topLevelItem(0)
            if item is None:
                return
            code = str(item.data(0, Qt.ItemDataRole.UserRole))
        division = divisions.get(code)
        if division is None:
            return
        proposed, level, parent_code = unit_model.describe_code(code)
        self.division = division
        self.code_label.setText(division.code)
        self.level_label.setText(divisions.LEVEL_NAMES[level])
        parent = divisions.get(parent_code) if parent_code else None
        self.parent_label.setText(parent.union_name if parent else "无（省级）")
        if not self.name.text().strip() or self.name.text() == self._proposed:
            self.name.setText(proposed)
        self._proposed = proposed
        self.completeChanged.emit()
        self.name.setFocus(Qt.FocusReason.OtherFocusReason)
        self.name.selectAll()

    def isComplete(self) -> bool:
        return self.division is not None and bool(self.name.text().strip())

    def initializePage(self) -> None:
        self.search.setFocus(Qt.FocusReason.OtherFocusReason)

    def nextId(self) -> int:
        return PAGE_CONTACTS


class IndustryPage(QWizardPage):
    """Page 2 for provincial industry-system unions: name and 统一社会信用代码."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("省级产业系统工会")
        self.setSubTitle("请填写工会的全称和统一社会信用代码（18位，见营业执照或工会法人资格证书）。")
        self.name = QLineEdit()
        self.name.setPlaceholderText("如 云南电网有限责任公司工会")
        self.name.setMaxLength(60)
        self.code = QLineEdit()
        self.code.setPlaceholderText("18位统一社会信用代码")
        self.code.setMaxLength(24)
        self.code_message = _message()
        self.code_ok = False
        form = QFormLayout(self)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("单位名称：", self.name)
        form.addRow("统一社会信用代码：", self.code)
        form.addRow("", self.code_message)
        form.addRow("上级单位：", QLabel("云南省总工会"))
        self.name.textChanged.connect(self.completeChanged)
        self.code.textEdited.connect(self._upper)
        self.code.textChanged.connect(self._check_code)

    def _upper(self, text: str) -> None:
        if text != text.upper():
            pos = self.code.cursorPosition()
            self.code.setText(text.upper())
            self.code.setCursorPosition(pos)

    def _check_code(self, text: str) -> None:
        from common.ids import check_credit_code

        message = ""
        self.code_ok = False
        if clean_text(text):
            try:
                check_credit_code(text)
                self.code_ok = True
            except ParseError as exc:
                message = str(exc)
        self.code_message.setText(message)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.code_ok and bool(self.name.text().strip())

    def initializePage(self) -> None:
        self.name.setFocus(Qt.FocusReason.OtherFocusReason)

    def nextId(self) -> int:
        return PAGE_CONTACTS


class ContactsPage(QWizardPage):
    """Page 3: the people named on the return's cover and the contact phone."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("报表封面上的联系人")
        self.setSubTitle("这些信息印在统计报表的封面上，以后可以修改。")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        self.head = QLineEdit()
        self.statistician = QLineEdit()
        self.preparer = QLineEdit()
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("如 0879-2123456 或 11位手机号")
        for edit in (self.head, self.statistician, self.preparer):
            edit.setMaxLength(30)
        self.phone_message = _message()
        self.error = _message()
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("单位负责人：", self.head)
        form.addRow("统计负责人：", self.statistician)
        form.addRow("填表人：", self.preparer)
        form.addRow("联系电话：", self.phone)
        form.addRow("", self.phone_message)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(line)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.error)
        self.phone_ok = True
        self.phone.textChanged.connect(self._check_phone)

    def _check_phone(self, text: str) -> None:
        from common.ids import check_phone

        message = ""
        self.phone_ok = True
        if clean_text(text):
            try:
                check_phone(text)
            except ParseError as exc:
                message = str(exc)
                self.phone_ok = False
        self.phone_message.setText(message)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.phone_ok

    def initializePage(self) -> None:
        wizard = self.wizard()
        if isinstance(wizard, SetupWizard):
            self.summary.setText(wizard.summary())
        self.error.clear()
        self.head.setFocus(Qt.FocusReason.OtherFocusReason)

    def validatePage(self) -> bool:
        wizard = self.wizard()
        if not isinstance(wizard, SetupWizard):
            return False
        try:
            wizard.finish_setup()
        except UserError as exc:
            self.error.setText(f"未能保存：{exc}")
            return False
        return True

    def nextId(self) -> int:
        return -1


class SetupWizard(QWizard):
    """The first-run setup of the unit; ``unit`` holds the result after finishing."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.unit: unit_model.Unit | None = None
        self.setWindowTitle("设置本单位")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setStyleSheet(FORM_STYLE)
        for button, text in _BUTTON_TEXTS.items():
            self.setButtonText(button, text)
        self.kind_page = KindPage()
        self.region_page = RegionPage()
        self.industry_page = IndustryPage()
        self.contacts_page = ContactsPage()
        self.setPage(PAGE_KIND, self.kind_page)
        self.setPage(PAGE_REGION, self.region_page)
        self.setPage(PAGE_INDUSTRY, self.industry_page)
        self.setPage(PAGE_CONTACTS, self.contacts_page)
        self.setStartId(PAGE_KIND)
        # 640×520 where the screen allows; a laptop at 150 % has only about 910×470 to offer.
        self.setMinimumSize(560, 400)
        fit_size(self, 640, 520)
        existing = unit_model.load(store)
        if existing is not None:
            self._prefill(existing)

    def _prefill(self, existing: unit_model.Unit) -> None:
        if existing.level == "industry":
            self.kind_page.industry.setChecked(True)
            self.industry_page.name.setText(existing.name)
            self.industry_page.code.setText(existing.code)
        elif divisions.get(existing.code) is not None:
            self.region_page.pick(existing.code)
            self.region_page.name.setText(existing.name)
        contacts = self.contacts_page
        contacts.head.setText(existing.head)
        contacts.statistician.setText(existing.statistician)
        contacts.preparer.setText(existing.preparer)
        contacts.phone.setText(existing.phone)

    @property
    def is_industry(self) -> bool:
        return self.kind_page.industry.isChecked()

    def summary(self) -> str:
        if self.is_industry:
            page = self.industry_page
            return (f"本单位：<b>{page.name.text().strip()}</b>（统一社会信用代码 {page.code.text().strip()}，"
                    f"省级产业系统，上级：云南省总工会）")
        region = self.region_page
        if region.division is None:
            return ""
        return (f"本单位：<b>{region.name.text().strip()}</b>（代码 {region.code_label.text()}，"
                f"{region.level_label.text()}，上级：{region.parent_label.text()}）")

    def finish_setup(self) -> unit_model.Unit:
        """Store the unit through the core; raises ParseError/StoreError with a Chinese message."""
        contacts = self.contacts_page
        if self.is_industry:
            code, name = self.industry_page.code.text(), self.industry_page.name.text()
        else:
            region = self.region_page
            if region.division is None:
                raise ParseError("请先选择行政区划")
            code, name = region.division.code, region.name.text()
        self.unit = unit_model.setup(self.store, code=code, name=name, industry=self.is_industry,
                                     head=contacts.head.text(), statistician=contacts.statistician.text(),
                                     preparer=contacts.preparer.text(), phone=contacts.phone.text())
        return self.unit


def run_setup_wizard(store: Store, parent: QWidget | None = None) -> unit_model.Unit | None:
    """Run the wizard modally; the unit that was set up, or None when cancelled."""
    wizard = SetupWizard(store, parent)
    try:
        if wizard.exec() == QWizard.DialogCode.Accepted:
            return wizard.unit
        return None
    finally:
        wizard.deleteLater()
