"""The facts about record kinds live on their form declarations (forms/records.py); every list of kinds the
program shows or uses is derived from them, so a new kind is declared in one place."""

from __future__ import annotations

import pytest

from forms.records import IMPORTABLE, SPECS, TOP_LEVEL, children, kind_titles


def test_the_derived_lists_are_the_ones_users_know() -> None:
    assert TOP_LEVEL == ("people", "studios", "trainings", "competitions", "innovation")
    assert IMPORTABLE == ("people", "studios", "trainings", "competitions", "innovation", "studio_outputs")
    assert kind_titles() == {"people": "人员", "studios": "工作室", "trainings": "培训", "competitions": "竞赛",
                             "innovation": "经济技术创新"}
    assert [s.kind for s in children("people")] == ["honours"]
    assert [s.kind for s in children("studios")] == ["studio_outputs"]
    assert children("trainings") == ()


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_each_declaration_is_consistent(kind: str) -> None:
    form = SPECS[kind]
    assert (form.parent is None) == (form.parent_key is None)  # a child names its parent and the parent's column
    if form.parent is not None:
        assert SPECS[form.parent].top_level and form in children(form.parent)
    assert bool(form.import_label) == bool(form.template_sheet)  # an importable kind has a template
    assert len(form.template_sheet) <= 31  # Excel's limit on sheet names


def test_every_place_uses_the_declarations() -> None:
    from cli import history as cli_history
    from cli import importing as cli_importing
    from models import backup, history, importer, records

    assert importer.IMPORT_KINDS == {k: SPECS[k].import_label for k in IMPORTABLE}
    assert importer.TEMPLATE_SHEETS == {k: SPECS[k].template_sheet for k in IMPORTABLE}
    assert importer.IMPORT_KINDS["people"] == "人员与荣誉" and importer.TEMPLATE_SHEETS["people"] == "劳模名册"
    assert cli_importing.KIND_CHOICES == IMPORTABLE
    assert all(SPECS[k].import_label in cli_importing.KIND_HELP for k in IMPORTABLE)
    assert cli_history.KIND_NAMES == kind_titles()
    assert dict(backup.KIND_TABLES) == kind_titles()
    assert records.CHILDREN == history.CHILD_FORMS == {"people": children("people"), "studios": children("studios")}
