"""Shared by the importer tests: import a file for real and read back what landed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from qunyun.importers.base import ParsedExport
from qunyun.importers.detect import open_export
from qunyun.services.importing import import_batches
from qunyun.services.ingest import RecordCounts
from qunyun.storage.community import communities as community_repo


@dataclass
class Imported:
    parsed: ParsedExport
    counts: RecordCounts
    engine: Engine

    def kinds(self) -> Counter[str]:
        return Counter(dict(self.rows("SELECT kind, count(*) FROM events GROUP BY kind")))

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]

    def names(self) -> set[str]:
        return {r[0] for r in self.rows("SELECT display_name FROM members") if r[0]}

    def joins_with_inviter(self) -> set[tuple[str, str | None]]:
        return set(self.rows(
            "SELECT m.display_name, i.display_name FROM events e "
            "JOIN members m ON m.id = e.member_id "
            "LEFT JOIN members i ON i.id = e.related_member_id WHERE e.kind = 'join'"))

    def texts(self) -> list[str]:
        return [r[0] for r in self.rows(
            "SELECT text FROM events WHERE kind = 'message' ORDER BY ts_ms, id")]


def community(engine: Engine, slug: str = "c") -> int:
    with engine.begin() as conn:
        return community_repo.get_or_create_community(conn, slug=slug, name=slug, now_ms=0)


def load(engine: Engine, path: Path, **kw: Any) -> Imported:
    cid = community(engine)
    if isinstance(kw.get("tz"), str):
        kw["tz"] = ZoneInfo(kw["tz"])
    parsed = open_export(path, **kw)
    counts = import_batches(engine, community_id=cid, batches=parsed.batches)
    return Imported(parsed, counts, engine)


def write(path: Path, content: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path.write_bytes(content.replace("\n", newline).encode(encoding))
    return path
