"""Schema versions, as named migrations (each runs in a transaction and is recorded).

They are applied with sqlite-utils' ``Migrations`` (table ``_sqlite_migrations``). The registry
below is plain Python so that opening an up-to-date store does not import sqlite-utils at all
(it costs a tenth of a second at start-up).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database

MIGRATION_SET = "changai"


class Registry:
    """Named migration functions, in the order they are applied."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, Callable[[Database], None]]] = []

    def __call__(self, *, name: str) -> Callable[[Callable[[Database], None]], Callable[[Database], None]]:
        def register(func: Callable[[Database], None]) -> Callable[[Database], None]:
            if any(n == name for n, _f in self.steps):
                raise ValueError(f"migration {name} registered twice")
            self.steps.append((name, func))
            return func

        return register

    @property
    def names(self) -> list[str]:
        return [n for n, _f in self.steps]

    def apply(self, db: Database) -> None:
        from sqlite_utils.migrations import Migrations

        migrations = Migrations(MIGRATION_SET)
        for name, func in self.steps:
            migrations(name=name)(func)
        migrations.apply(db)

    def pending(self, conn: Any) -> list[str]:
        """Names not yet applied to the store behind ``conn`` (a plain sqlite3 connection)."""
        import sqlite3

        try:
            applied = {r[0] for r in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", (MIGRATION_SET,))}
        except sqlite3.OperationalError:  # a new store: no table yet
            applied = set()
        return [n for n in self.names if n not in applied]


MIGRATIONS = Registry()

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


@MIGRATIONS(name="0002_returns")
def m0002_returns(db: Database) -> None:
    """Finalised return versions (canonical JSON snapshots) and the 说明 written for review warnings."""
    statements = [
        """CREATE TABLE returns (
            id INTEGER PRIMARY KEY,
            unit_code TEXT NOT NULL, period TEXT NOT NULL, version INTEGER NOT NULL,
            created_at TEXT NOT NULL, payload TEXT NOT NULL, notes TEXT NOT NULL DEFAULT '[]', digest TEXT NOT NULL,
            UNIQUE (unit_code, period, version))""",
        """CREATE TABLE review_notes (
            id INTEGER PRIMARY KEY,
            unit_code TEXT NOT NULL, period TEXT NOT NULL, code TEXT NOT NULL, place TEXT NOT NULL,
            text TEXT NOT NULL, updated_at TEXT,
            UNIQUE (unit_code, period, code, place))""",
    ]
    for sql in statements:
        db.execute(sql)


@MIGRATIONS(name="0003_import_batches")
def m0003_import_batches(db: Database) -> None:
    """Imports from spreadsheets, one batch each, with what they inserted and the values they replaced (to undo)."""
    statements = [
        """CREATE TABLE import_batches (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL, file_name TEXT NOT NULL, sheet TEXT,
            created_at TEXT NOT NULL, undone_at TEXT,
            added INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,
            errors INTEGER NOT NULL DEFAULT 0, honours INTEGER NOT NULL DEFAULT 0)""",
        """CREATE TABLE import_batch_items (
            id INTEGER PRIMARY KEY,
            batch_id INTEGER NOT NULL REFERENCES import_batches(id) ON DELETE CASCADE,
            table_name TEXT NOT NULL, record_id INTEGER NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('insert', 'update')),
            before TEXT)""",
        "CREATE INDEX import_items_batch ON import_batch_items(batch_id)",
        "CREATE INDEX import_items_record ON import_batch_items(table_name, record_id)",
    ]
    for sql in statements:
        db.execute(sql)


@MIGRATIONS(name="0004_signing")
def m0004_signing(db: Database) -> None:
    # own_keys: every key pair this unit has had (the newest with retired_at NULL signs); a retired key's
    # certificate still verifies the returns it signed. key_file is a name inside the data folder's keys/.
    # trusted_certs: certificates of subordinate units registered by this (superior) unit.
    statements = [
        """CREATE TABLE own_keys (
            id INTEGER PRIMARY KEY,
            fingerprint TEXT NOT NULL UNIQUE, unit_code TEXT NOT NULL, unit_name TEXT NOT NULL,
            cert_pem TEXT NOT NULL, key_file TEXT NOT NULL, created_at TEXT NOT NULL, retired_at TEXT)""",
        """CREATE TABLE trusted_certs (
            id INTEGER PRIMARY KEY,
            unit_code TEXT NOT NULL, unit_name TEXT NOT NULL, fingerprint TEXT NOT NULL UNIQUE,
            cert_pem TEXT NOT NULL, registered_at TEXT NOT NULL, revoked_at TEXT, revoke_reason TEXT,
            replaced_by TEXT, note TEXT)""",
        "CREATE INDEX trusted_certs_unit ON trusted_certs(unit_code)",
    ]
    for sql in statements:
        db.execute(sql)


@MIGRATIONS(name="0005_receiving")
def m0005_receiving(db: Database) -> None:
    """Returns received from subordinate units (汇总) and the 回执 written for them."""
    # received_returns: one row per distinct canonical payload (digest) received. Only status 'valid' rows
    # count; other rows record a failed attempt so the 上报情况 board can show it. ``sound`` = the signature
    # itself checked out when received, so only the registry decides valid/unregistered (re-checked after
    # ``trust add`` from the stored fingerprint).
    # Among a unit's valid rows for a period the newest version is current; the others are superseded.
    statements = [
        """CREATE TABLE received_returns (
            id INTEGER PRIMARY KEY,
            unit_code TEXT NOT NULL, unit_name TEXT NOT NULL, period TEXT NOT NULL, version INTEGER NOT NULL,
            finalised_at TEXT NOT NULL DEFAULT '', payload TEXT NOT NULL, digest TEXT NOT NULL UNIQUE,
            signer_fingerprint TEXT, signer_name TEXT, signed_at TEXT,
            status TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', sound INTEGER NOT NULL DEFAULT 0,
            received_at TEXT NOT NULL, file_name TEXT NOT NULL, superseded INTEGER NOT NULL DEFAULT 0,
            returned_at TEXT, return_reason TEXT)""",
        "CREATE INDEX received_period_unit ON received_returns(period, unit_code)",
        """CREATE TABLE receipts (
            id INTEGER PRIMARY KEY,
            received_id INTEGER NOT NULL REFERENCES received_returns(id),
            decision TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', issued_at TEXT NOT NULL, file_name TEXT NOT NULL)""",
        "CREATE INDEX receipts_received ON receipts(received_id)",
    ]
    for sql in statements:
        db.execute(sql)


@MIGRATIONS(name="0006_history")
def m0006_history(db: Database) -> None:
    """Change history of the records: one row per write, with the fields' old and new values."""
    # changes: JSON list of [field, old, new]; a child list (honours, yearly outputs) is a field whose
    # values are lists of one-line texts. Written in the same transaction as the change itself.
    statements = [
        """CREATE TABLE history (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL, operation TEXT NOT NULL, kind TEXT NOT NULL, record_id INTEGER NOT NULL,
            label TEXT NOT NULL DEFAULT '', batch_id INTEGER, changes TEXT NOT NULL DEFAULT '[]')""",
        "CREATE INDEX history_record ON history(kind, record_id)",
        "CREATE INDEX history_at ON history(at)",
    ]
    for sql in statements:
        db.execute(sql)


@MIGRATIONS(name="0007_definitions")
def m0007_definitions(db: Database) -> None:
    """Installed return definitions (报表制度), kept forever so an old return re-renders with its own."""
    # raw: the definition file's bytes exactly as the province signed them; digest = SHA-256 of raw.
    # signer_*: who signed the installed file (empty for the definition shipped with the program).
    db.execute(
        """CREATE TABLE definitions (
            digest TEXT PRIMARY KEY,
            def_id TEXT NOT NULL, version INTEGER NOT NULL, title TEXT NOT NULL,
            year_from INTEGER NOT NULL, year_to INTEGER NOT NULL,
            raw BLOB NOT NULL, installed_at TEXT NOT NULL, source TEXT NOT NULL DEFAULT '',
            signer_name TEXT NOT NULL DEFAULT '', signer_fingerprint TEXT NOT NULL DEFAULT '',
            signed_package BLOB)""")
    db.execute("CREATE UNIQUE INDEX definitions_id_version ON definitions(def_id, version)")


@MIGRATIONS(name="0008_definition_fields")
def m0008_definition_fields(db: Database) -> None:
    """Entry fields a definition adds to a record kind (报表制度 ``fields``): one JSON object per record."""
    # extra: {"field name": value} for the fields of the definitions in use; absent or NULL means none entered.
    for table in ("people", "studios", "trainings", "competitions", "innovation"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN extra TEXT")


# The people list sorts by its 荣誉 column: a key kept up to date by the honours' triggers (the same text the
# column shows), indexed, instead of a subquery per person and a sort of every row each time (0.6 s at
# 100,000 people); likewise every column the list sorts by has an index. A search counts its matches from a
# narrow index of the search text instead of reading whole rows.
HONOURS_KEY_SQL = ("(SELECT group_concat(h.award_year || h.title, '、') FROM honours h "
                   "WHERE h.person_id = {person})")


_PEOPLE_SORTED = ("sex", "ethnicity", "birth_date", "political", "education", "employer", "post", "skill_level",
                  "frontline", "migrant", "status", "mobile")


@MIGRATIONS(name="0009_list_keys")
def m0009_list_keys(db: Database) -> None:
    """``people.honours_key`` (maintained by triggers on ``honours``) and the list's indexes."""
    key = HONOURS_KEY_SQL
    statements = [
        "ALTER TABLE people ADD COLUMN honours_key TEXT",
        f"UPDATE people SET honours_key = {key.format(person='people.id')}",
        f"""CREATE TRIGGER honours_key_insert AFTER INSERT ON honours BEGIN
            UPDATE people SET honours_key = {key.format(person='NEW.person_id')} WHERE id = NEW.person_id; END""",
        f"""CREATE TRIGGER honours_key_delete AFTER DELETE ON honours BEGIN
            UPDATE people SET honours_key = {key.format(person='OLD.person_id')} WHERE id = OLD.person_id; END""",
        f"""CREATE TRIGGER honours_key_update AFTER UPDATE OF person_id, award_year, title ON honours BEGIN
            UPDATE people SET honours_key = {key.format(person='OLD.person_id')} WHERE id = OLD.person_id;
            UPDATE people SET honours_key = {key.format(person='NEW.person_id')} WHERE id = NEW.person_id; END""",
        "CREATE INDEX people_honours_key ON people(honours_key)",
        "CREATE INDEX people_search ON people(search, deleted_at)",
        # every other column the list sorts by: its page of 200 is the first entries of an index, not a sort of all
        *(f"CREATE INDEX people_{column} ON people({column})" for column in _PEOPLE_SORTED),
    ]
    for sql in statements:
        db.execute(sql)


@MIGRATIONS(name="0010_plans")
def m0010_plans(db: Database) -> None:
    """Installed plans of targets (规划目标), kept forever like definitions."""
    # raw: the plan file's bytes exactly as the province signed them; digest = SHA-256 of raw.
    db.execute(
        """CREATE TABLE plans (
            digest TEXT PRIMARY KEY,
            plan_id TEXT NOT NULL, version INTEGER NOT NULL, title TEXT NOT NULL,
            year_from INTEGER NOT NULL, year_to INTEGER NOT NULL,
            raw BLOB NOT NULL, installed_at TEXT NOT NULL, source TEXT NOT NULL DEFAULT '',
            signer_name TEXT NOT NULL DEFAULT '', signer_fingerprint TEXT NOT NULL DEFAULT '',
            signed_package BLOB)""")
    db.execute("CREATE UNIQUE INDEX plans_id_version ON plans(plan_id, version)")


# The people list's search reads this index instead of every row's search text (a pass over 200,000 rows
# is 40–100 ms a keystroke): an FTS5 trigram index of ``people.search`` with two spaces appended, so that
# every character of the text begins one of its trigrams. A word of three characters or more is found as the
# phrase of its trigrams, a word of one or two as any trigram beginning with it (models.records). Contentless:
# it holds the index alone. Triggers note the rows written since the index was last brought up to date, with
# the text the index holds for each (``<index>_pending``); the next search brings it up to date in three
# statements, however many rows (an FTS5 table written by a trigger row by row writes a segment a row: an
# import of 10,000 people took 2 s longer). It is derived data, left out of the content digest of a backup.
SEARCH_INDEXES = {"people": ("people_find", "people_find_terms")}
SEARCH_PADDING = "  "


def search_index_tables(conn: Any) -> set[str]:
    """The tables of the search indexes in the store behind ``conn``, their FTS5 shadow tables included."""
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    out: set[str] = set()
    for index, terms in SEARCH_INDEXES.values():
        out.update(n for n in names if n in (index, terms) or n.startswith(index + "_"))
    return out


def fts5_trigram_available(conn: Any) -> bool:
    """Whether this SQLite has FTS5 with its trigram tokenizer (3.34+; every supported platform's has)."""
    import sqlite3

    try:
        conn.execute("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(t, tokenize='trigram')")
    except sqlite3.OperationalError:
        return False
    conn.execute("DROP TABLE temp.fts5_probe")
    return True


def search_index_update(table: str) -> list[str]:
    """The statements that bring the search index of ``table`` up to date with the rows written since."""
    index, _terms = SEARCH_INDEXES[table]
    return [f"INSERT INTO {index}({index}, rowid, text) SELECT 'delete', id, indexed_text || '{SEARCH_PADDING}' "
            f"FROM {index}_pending WHERE indexed_text IS NOT NULL",
            f"INSERT INTO {index}(rowid, text) SELECT t.id, t.search || '{SEARCH_PADDING}' "
            f"FROM {index}_pending JOIN {table} t ON t.id = {index}_pending.id",
            f"DELETE FROM {index}_pending"]


def create_search_index(conn: Any, table: str) -> None:
    """The search index of ``table`` and the triggers that note what it lacks, filled from the rows there are."""
    index, terms = SEARCH_INDEXES[table]
    pending = f"{index}_pending"
    # indexed_text: the text the index holds for the row (NULL: none); the first change since the last update
    # notes it, later ones leave it (OR IGNORE), so that exactly what was indexed is taken out.
    for sql in (
            f"CREATE VIRTUAL TABLE {index} USING fts5(text, content='', tokenize='trigram')",
            f"CREATE VIRTUAL TABLE {terms} USING fts5vocab({index}, 'row')",
            f"CREATE TABLE {pending} (id INTEGER PRIMARY KEY, indexed_text TEXT)",
            f"INSERT INTO {index}(rowid, text) SELECT id, search || '{SEARCH_PADDING}' FROM {table}",
            f"""CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN
                INSERT OR IGNORE INTO {pending}(id, indexed_text) VALUES (NEW.id, NULL); END""",
            f"""CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN
                INSERT OR IGNORE INTO {pending}(id, indexed_text) VALUES (OLD.id, OLD.search); END""",
            f"""CREATE TRIGGER {index}_update AFTER UPDATE OF id, search ON {table} BEGIN
                INSERT OR IGNORE INTO {pending}(id, indexed_text) VALUES (OLD.id, OLD.search);
                INSERT OR IGNORE INTO {pending}(id, indexed_text) VALUES (NEW.id, NULL); END"""):
        conn.execute(sql)


@MIGRATIONS(name="0011_search_index")
def m0011_search_index(db: Database) -> None:
    """The people list's search index (without FTS5 the search reads every row, as before)."""
    if fts5_trigram_available(db.conn):
        create_search_index(db.conn, "people")


@MIGRATIONS(name="0012_id_checks")
def m0012_id_checks(db: Database) -> None:
    """The people whose ID number fails a check (``common.ids.ID_SUSPECT_SQL``), as a partial index kept by
    SQLite on every write: the review reads those rows instead of checking every person (a second per 200,000
    people). And the birth dates of the numbers, for the review's "born after today"."""
    from common.ids import ID_BIRTH_SQL, ID_SUSPECT_SQL

    # A later change to ID_SUSPECT_SQL needs a migration that makes this index again: the review's query
    # finds the same rows either way, but SQLite uses the index only while the two expressions are the same.
    db.execute(f"CREATE INDEX people_id_suspect ON people(id) WHERE {ID_SUSPECT_SQL}")
    db.execute(f"CREATE INDEX people_id_birth ON people({ID_BIRTH_SQL})")


@MIGRATIONS(name="0013_received_state")
def m0013_received_state(db: Database) -> None:
    """A unit's received versions of a period, by their state, in an index of their own. Receiving asks for the
    current version and marks the older ones superseded on every file; status and superseded come after the
    payload in the row, so without this index each of those questions read every version's whole payload (a
    hundred versions of one county: 5 ms a file instead of 1, and growing with every version)."""
    db.execute("CREATE INDEX received_unit_state ON received_returns(unit_code, period, status, superseded, version, "
               "finalised_at)")
