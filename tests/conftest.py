"""Shared fixtures: a migrated database on SQLite and, when QUNYUN_TEST_PG_URL is set
(CI sets it), on the real PostgreSQL too — every storage test runs on both."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from qunyun.storage.engine import database_url, make_engine
from qunyun.storage.migrate import upgrade
from qunyun.web.reports import ReportCache

PG_URL = os.environ.get("QUNYUN_TEST_PG_URL")
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _backends() -> list[str]:
    if PG_URL:
        return ["sqlite", "pg"]
    if os.environ.get("CI"):
        raise RuntimeError("CI must run the storage suite on PostgreSQL: set QUNYUN_TEST_PG_URL")
    return ["sqlite"]


class PgDatabases:
    """Creates throw-away databases from one migrated template (CREATE DATABASE … TEMPLATE)."""

    def __init__(self, base_url: str) -> None:
        self.base = database_url(base_url)
        self.admin = create_engine(self.base, isolation_level="AUTOCOMMIT")
        self.prefix = f"qunyun_t_{uuid.uuid4().hex[:8]}"
        self.template = f"{self.prefix}_tpl"
        self.counter = itertools.count()
        self.created: list[str] = []
        self._dropper: ThreadPoolExecutor | None = None
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.template}"'))
        tpl = make_engine(self.url(self.template))
        upgrade(tpl)
        tpl.dispose()

    def url(self, name: str) -> str:
        return self.admin.url.set(database=name).render_as_string(hide_password=False)

    def empty(self) -> str:
        """A throw-away database with no tables at all (its name)."""
        name = f"{self.prefix}_{next(self.counter)}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return name

    def new(self) -> str:
        name = f"{self.prefix}_{next(self.counter)}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        self.created.append(name)
        return self.url(name)

    def drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def release(self, url: str) -> None:
        """Drop a test's database in the background once its test is over: a DROP DATABASE
        waits for a checkpoint (about half a second), and several hundred of them at the
        end of the session were a minute of nothing else."""
        name = make_url(url).database
        assert name is not None and name.startswith(self.prefix)
        if self._dropper is None:
            self._dropper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-drop")
        self._dropper.submit(self.drop, name)

    def close(self) -> None:
        if self._dropper is not None:
            self._dropper.shutdown(wait=True)
        for name in [*self.created, self.template]:
            self.drop(name)
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgDatabases | None]:
    if not PG_URL:
        yield None
        return
    dbs = PgDatabases(PG_URL)
    yield dbs
    dbs.close()


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path,
           pg_databases: PgDatabases | None) -> Iterator[str]:
    """URL of an empty, migrated database; the test runs once per backend."""
    if request.param == "pg":
        assert pg_databases is not None
        url = pg_databases.new()
        yield url
        pg_databases.release(url)
        return
    url = f"sqlite:///{tmp_path / 'qunyun.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(autouse=True)
def background_reports_end_first(request: pytest.FixtureRequest,
                                 monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every console report cache a test makes is closed — its background builds waited
    for — before the test's database is dropped: a build cut off by the drop logged
    "terminating connection" errors. (Taking `db_url` here orders this teardown first.)"""
    caches: list[ReportCache] = []
    made = ReportCache.__init__

    def recording(self: ReportCache, *args: object, **kwargs: object) -> None:
        made(self, *args, **kwargs)  # type: ignore[arg-type]
        caches.append(self)

    monkeypatch.setattr(ReportCache, "__init__", recording)
    if "db_url" in request.fixturenames:
        request.getfixturevalue("db_url")
    yield
    for cache in caches:
        cache.close()


def photo_club_with_qq_account(db_url: str, *, onebot_url: str, token: str
                               ) -> tuple[Engine, int]:
    """The photo club (its plan from examples/photo-club.yaml) with a stored QQ account on a
    OneBot server at `onebot_url`: a second community that `qunyun up` runs beside the
    plan's Matrix one. The database's engine (open) and the club's id."""
    from qunyun.app import open_database
    from qunyun.bot import accounts
    from qunyun.services import plans as plan_service
    from qunyun.storage.community import communities as community_repo

    engine = open_database(db_url)
    with engine.begin() as conn:
        club = community_repo.get_or_create_community(conn, slug="photo-club", name="摄影社",
                                                      now_ms=0)
        plan_service.import_file(conn, community_id=club, path="photo-club.yaml",
                                 text=(EXAMPLES / "photo-club.yaml").read_text(encoding="utf-8"))
        accounts.add(conn, community_id=club, platform="onebot",
                     settings={"onebot_url": onebot_url, "onebot_token": token})
    return engine, club
