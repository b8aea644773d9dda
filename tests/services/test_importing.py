"""Imports are all-or-nothing per file and idempotent (I2), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from qunyun.events import Event
from qunyun.services.importing import import_events
from qunyun.storage.community import communities as community_repo
from qunyun.storage.community import members as member_repo
from qunyun.storage.events import log as eventlog
from tests.factories import join, message


def _community(engine: Engine) -> int:
    with engine.begin() as conn:
        return community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)


def _export(n: int) -> list[Event]:
    return [join(0, 1), *(message(i, who=1 + i % 7) for i in range(1, n))]


def test_import_then_reimport_adds_nothing(engine: Engine) -> None:
    cid = _community(engine)
    progress: list[int] = []
    first = import_events(engine, community_id=cid, events=_export(250), batch_size=64,
                          on_progress=progress.append)
    again = import_events(engine, community_id=cid, events=_export(250), batch_size=64)
    assert (first.seen, first.inserted) == (250, 250)
    assert (again.seen, again.inserted) == (250, 0)
    assert sum(progress) == 250
    with engine.connect() as conn:
        assert eventlog.count_events(conn) == 250


def test_a_parse_error_half_way_leaves_nothing(engine: Engine) -> None:
    cid = _community(engine)

    def truncated() -> Iterator[Event]:
        yield from _export(300)
        raise ValueError("export.json:1234: unexpected end of data")

    with pytest.raises(ValueError, match="unexpected end"):
        import_events(engine, community_id=cid, events=truncated(), batch_size=64)
    with engine.connect() as conn:
        assert eventlog.count_events(conn) == 0
        assert member_repo.count_members(conn, community_id=cid) == 0


def test_a_database_error_surfaces_and_leaves_nothing(engine: Engine) -> None:
    cid = _community(engine)
    with pytest.raises(Exception):  # noqa: B017 - any database error, as long as it surfaces
        import_events(engine, community_id=cid + 999, events=_export(100), batch_size=64)
    with engine.connect() as conn:
        assert eventlog.count_events(conn) == 0


def test_interrupted_and_failed_imports_leave_no_staging_behind(
        engine: Engine, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    scratch = tmp_path_factory.mktemp("scratch")
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    cid = _community(engine)

    def interrupted() -> Iterator[Event]:
        yield from _export(200)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_events(engine, community_id=cid, events=interrupted(), batch_size=64)
    done = import_events(engine, community_id=cid, events=_export(200), batch_size=64)
    assert done.inserted == 200  # running again after Ctrl-C resumes from nothing written
    assert list(scratch.iterdir()) == []


def test_text_the_database_cannot_store_is_cleaned_not_fatal(engine: Engine) -> None:
    cid = _community(engine)
    nul = message(1, who=1, text="前\x00后")
    import_events(engine, community_id=cid, events=[join(0, 1), nul])
    with engine.connect() as conn:
        texts = conn.exec_driver_sql("SELECT text FROM events WHERE kind = 'message'").all()
    assert texts == [("前后",)]  # PostgreSQL refuses NUL in text; no chat means anything by it


def test_texts_arrive_exactly_as_written(engine: Engine) -> None:
    # The bulk path goes through CSV (PostgreSQL COPY) and Arrow (SQLite): quoting,
    # separators, line breaks and the words COPY gives meaning to must all survive.
    tricky = ["a,b", 'quote "x" done', "line1\nline2", "cr\rhere\r\n", "back\\slash", "",
              "NULL", "\\N", "\t制表符\t", "😀 表情 " * 50, "=1+2"]
    cid = _community(engine)
    import_events(engine, community_id=cid, events=[
        join(0, 1), *(message(i, who=1, text=t) for i, t in enumerate(tricky, start=1))])
    with engine.connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT source_event_id, text FROM events WHERE kind = 'message'").all()
    assert {seid: text for seid, text in stored} == {
        f"m{i}": t for i, t in enumerate(tricky, start=1)}
