"""Schema versions, as named migrations (each runs in a transaction and is recorded)."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("changai")

_STAMPS = "created_at TEXT, updated_at TEXT, deleted_at TEXT"


@MIGRATIONS(name="0001_initial")
def m0001_initial(db: Database) -> None:
    statements = [
        """CREATE TABLE unit (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            code TEXT NOT NULL, name TEXT NOT NULL, level TEXT NOT NULL, parent_code TEXT,
            head TEXT, statistician TEXT, preparer TEXT, phone TEXT,
            created_at TEXT, updated_at TEXT)""",
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT)",
        f"""CREATE TABLE people (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL, sex TEXT, ethnicity TEXT, birth_date TEXT,
            id_number TEXT NOT NULL UNIQUE, political TEXT, education TEXT,
            employer TEXT, employer_nature TEXT, industry TEXT, post TEXT, job_title TEXT, pro_title TEXT,
            skill_level TEXT, frontline INTEGER NOT NULL DEFAULT 0, migrant INTEGER NOT NULL DEFAULT 0,
            status TEXT, mobile TEXT, note TEXT,
            search TEXT NOT NULL DEFAULT '', sort_key TEXT NOT NULL DEFAULT '', {_STAMPS})""",
        "CREATE INDEX people_live ON people(deleted_at, sort_key)",
        """CREATE TABLE honours (
            id INTEGER PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            title TEXT NOT NULL, category TEXT NOT NULL, level TEXT NOT NULL,
            award_year INTEGER NOT NULL, award_date TEXT, awarding_body TEXT, doc_no TEXT)""",
        "CREATE INDEX honours_person ON honours(person_id)",
        f"""CREATE TABLE studios (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE, type TEXT NOT NULL, level TEXT NOT NULL, host_unit TEXT,
            host_nature TEXT, industry TEXT,
            leader_id INTEGER REFERENCES people(id) ON DELETE RESTRICT,
            named_year INTEGER, named_doc TEXT, members INTEGER, status TEXT, revoked_year INTEGER, note TEXT,
            search TEXT NOT NULL DEFAULT '', sort_key TEXT NOT NULL DEFAULT '', {_STAMPS})""",
        "CREATE INDEX studios_leader ON studios(leader_id)",
        """CREATE TABLE studio_outputs (
            id INTEGER PRIMARY KEY,
            studio_id INTEGER NOT NULL REFERENCES studios(id) ON DELETE CASCADE,
            year INTEGER NOT NULL, projects INTEGER, achievements INTEGER, patents INTEGER,
            invention_patents INTEGER, methods INTEGER, benefit REAL, apprentices INTEGER, trainees INTEGER,
            UNIQUE (studio_id, year))""",
        f"""CREATE TABLE trainings (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL, organizer TEXT, type TEXT NOT NULL, start_date TEXT, end_date TEXT,
            participants INTEGER, migrant INTEGER, female INTEGER,
            cert_junior INTEGER, cert_middle INTEGER, cert_senior INTEGER, cert_technician INTEGER,
            cert_senior_technician INTEGER, funds REAL, union_funds REAL, note TEXT,
            search TEXT NOT NULL DEFAULT '', sort_key TEXT NOT NULL DEFAULT '', {_STAMPS})""",
        f"""CREATE TABLE competitions (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL, type TEXT NOT NULL, level TEXT NOT NULL, host TEXT, date TEXT,
            trades INTEGER, participants INTEGER, winners INTEGER, promoted INTEGER, experts INTEGER, note TEXT,
            search TEXT NOT NULL DEFAULT '', sort_key TEXT NOT NULL DEFAULT '', {_STAMPS})""",
        f"""CREATE TABLE innovation (
            id INTEGER PRIMARY KEY,
            period TEXT NOT NULL UNIQUE, suggestions INTEGER, suggestions_adopted INTEGER,
            innovations INTEGER, inventions INTEGER, patents INTEGER, methods INTEGER, benefit REAL,
            search TEXT NOT NULL DEFAULT '', sort_key TEXT NOT NULL DEFAULT '', {_STAMPS})""",
    ]
    for sql in statements:
        db.execute(sql)
