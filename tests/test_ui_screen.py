"""Point 1 of the county office: every page and dialog fits a 1024×768 screen (and 1366×768 at 150 %)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import screen_survey
from consolidation_support import PERIOD, YEAR, County, receiving_store
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from forms.periods import Period
from models import receiving
from models.db import Store
from ui import settings_store
from ui.settings_store import Preferences

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "This plugin does not support raise", "This plugin does not support grab")


@pytest.fixture
def bundled_font(qapp: Any) -> Any:
    """The program's own font (wider than the test default), as in the real program."""
    from ui.app import install_font

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = QFont(app.font())
    install_font(app)
    yield
    app.setFont(before)


@pytest.fixture
def prefs(data_dir: Path) -> Preferences:
    p = Preferences(data_dir)
    settings_store.install(p)
    yield p
    settings_store.install(None)


def test_the_test_screen_is_an_old_office_pc(qapp: Any) -> None:
    screen = QApplication.primaryScreen().availableGeometry()
    if (screen.width(), screen.height()) != (1024, 768):
        pytest.skip("the offscreen platform was configured elsewhere")
    assert screen_survey.usable(qapp).height() == 728


def test_county_pages_and_dialogs_fit_1024x768(qtbot: Any, demo_store: Store, prefs: Preferences,
                                                 bundled_font: Any) -> None:
    limit = screen_survey.usable(QApplication.instance())  # type: ignore[arg-type]
    found = screen_survey.survey_window(demo_store, prefs, limit)
    found += screen_survey.survey_dialogs(demo_store, limit, consolidated=False)
    assert found == []


def test_prefecture_after_consolidation_fits_1024x768(qtbot: Any, tmp_path: Path, counties: dict[str, County],
                                                      bundled_font: Any) -> None:
    store = receiving_store(tmp_path / "普洱市", counties=counties)
    try:
        settings_store.set_current_period(store, Period(int(YEAR)))
        receiving.receive_files(store, [counties[c].xlsx for c in ("530821", "530822", "530823")])
        p = Preferences(tmp_path / "普洱市")
        settings_store.install(p)
        limit = screen_survey.usable(QApplication.instance())  # type: ignore[arg-type]
        widths: list[int] = []

        def back_to_home(window: Any) -> None:
            window.show_page("home")
            widths.append(window.width())

        found = screen_survey.survey_window(store, p, limit, after=back_to_home)
        found += screen_survey.survey_dialogs(store, limit, consolidated=True)
        assert found == []
        assert widths == [limit.width()]  # the window did not grow after 汇总
        from models import review

        report = review.review(store, PERIOD)  # 表5 holds the counties' numbers: not “全部为0”
        assert "innovation.missing" not in {f.code for f in report.findings}
    finally:
        settings_store.install(None)
        store.close()


def test_laptop_at_150_percent(tmp_path: Path) -> None:
    """1366×768 at 150 % leaves 910×512 logical pixels: the same survey in a child process."""
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1366, "height": 768,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}),
                      encoding="utf-8")
    if ":" in str(config):
        pytest.skip("the offscreen configuration path cannot contain a drive letter")
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}", QT_SCALE_FACTOR="1.5",
               PYTHONIOENCODING="utf-8", CHANGAI_DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run([sys.executable, str(Path(screen_survey.__file__))], env=env, capture_output=True,
                            text=True, encoding="utf-8", timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "limit 911x472" in result.stdout


def test_wrong_passphrase_message_is_not_cut_off(qtbot: Any, county_store: Store, bundled_font: Any) -> None:
    from models.signing import keys
    from ui.keys_dialog import PassphraseDialog

    keys.create_key(county_store, "茶马古道-签名-K7q!-2026", "茶马古道-签名-K7q!-2026")
    dialog = PassphraseDialog(county_store)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.passphrase, "wrong")
    dialog.accept()
    QApplication.processEvents()
    label = dialog.error
    assert label.isVisible() and "口令不正确" in label.text()
    assert label.height() >= label.heightForWidth(label.width())
    assert label.geometry().bottom() < dialog.height()
