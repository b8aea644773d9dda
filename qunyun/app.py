"""Wiring: open the database (migrated), load a community's plan, list the policies.

Policies are listed here explicitly, in order — no registries — so the order the
pipeline runs them in is readable in one place.
"""

from __future__ import annotations

from sqlalchemy import Engine

from qunyun.storage.engine import make_engine
from qunyun.storage.events.indexes import restore_missing
from qunyun.storage.migrate import upgrade


def open_database(url: str | None = None) -> Engine:
    """Engine for `url` (or QUNYUN_DB, or ./qunyun.db), schema brought up to date, with the
    event log's indexes an interrupted import left unbuilt built again."""
    engine = make_engine(url)
    upgrade(engine)
    restore_missing(engine)
    return engine
