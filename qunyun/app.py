"""Wiring: open the database (migrated), load a community's plan, list the policies.

Policies are listed here explicitly, in order — no registries — so the order the
pipeline runs them in is readable in one place.
"""

from __future__ import annotations

from sqlalchemy import Engine

from qunyun.storage.engine import make_engine
from qunyun.storage.migrate import upgrade


def open_database(url: str | None = None) -> Engine:
    """Engine for `url` (or QUNYUN_DB, or ./qunyun.db), schema brought up to date."""
    engine = make_engine(url)
    upgrade(engine)
    return engine
