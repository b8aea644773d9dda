"""The console's report cache: a report that was slow to build is kept longer, so a big
community's builder is not kept busy rebuilding it (issue 12: console at 10M events)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from qunyun.services.importing import import_events
from qunyun.storage.community import communities as community_repo
from qunyun.web.reports import ReportCache
from tests.factories import message


def test_a_slow_report_is_kept_ten_times_its_build_time(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    import_events(engine, community_id=cid, events=[message(1)])
    built: list[int] = []

    def builder(_engine: Engine, *, community_id: int, plan: Any) -> dict[str, Any]:
        built.append(community_id)
        return {"n": len(built)}

    cache = ReportCache(engine, min_age=0, builder=builder)
    assert cache.get(cid) == {"n": 1}
    entry = cache._entries[cid]
    import_events(engine, community_id=cid, events=[message(2)])  # the log changed
    entry.seconds = 30.0  # as if it took 30 s: kept for 300 s
    assert cache.get(cid) == {"n": 1}
    entry.seconds = 0.0  # a quick report is rebuilt as soon as the log changed
    assert cache.get(cid) == {"n": 2}


def test_closing_waits_for_a_background_build_and_starts_no_more(engine: Engine) -> None:
    """A test's teardown (and the console's shutdown) closes the cache before the database
    goes: the build under way finishes first, and no background build starts after."""
    import threading

    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    building, release = threading.Event(), threading.Event()
    finished: list[int] = []

    def builder(_engine: Engine, *, community_id: int, plan: Any) -> dict[str, Any]:
        building.set()
        release.wait(10)
        with _engine.connect():  # still has its database
            finished.append(community_id)
        return {}

    cache = ReportCache(engine, min_age=0, builder=builder)
    cache.warm([cid])
    assert building.wait(10)
    threading.Timer(0.3, release.set).start()
    cache.close()
    assert finished == [cid]  # close returned only once the build was done
    cache.invalidate(cid)
    cache.warm([cid]).join(5)
    assert finished == [cid]  # nothing built after close


def test_a_moderator_change_makes_the_report_stale(engine: Engine) -> None:
    """Staff are off the report's tiers (issue 15): a moderator the bot records after the
    report was built makes it stale, with no new event."""
    from sqlalchemy import text

    from qunyun.services import staff

    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    import_events(engine, community_id=cid, events=[message(1)])
    built: list[int] = []

    def builder(_engine: Engine, *, community_id: int, plan: Any) -> dict[str, Any]:
        built.append(community_id)
        return {"n": len(built)}

    cache = ReportCache(engine, min_age=0, builder=builder)
    assert cache.get(cid) == {"n": 1} and cache.is_fresh(cid)
    with engine.begin() as conn:
        group_id = int(conn.execute(text("SELECT id FROM groups")).scalar_one())
        staff.record_moderators(conn, group_id=group_id, external_ids=["@u1:localhost"],
                                now_ms=1)
    assert not cache.is_fresh(cid)
    assert cache.get(cid) == {"n": 2}


def test_a_young_report_is_answered_without_asking_the_database(engine: Engine) -> None:
    """Under load every panel asks for the report (issue 13): while it is younger than
    `min_age` the cache answers from memory, with no query (and no wait on the lock that
    a build holds)."""
    from sqlalchemy import event

    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    cache = ReportCache(engine, min_age=60, builder=lambda _e, **_kw: {"n": 1})
    assert cache.get(cid) == {"n": 1}
    queries: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
    import_events(engine, community_id=cid, events=[message(1)])  # the log changed
    queries.clear()
    assert cache.get(cid) == {"n": 1}  # still young: kept
    assert queries == []


def _slow_rebuilds(engine: Engine) -> tuple[int, threading.Event, list[int],
                                            Callable[..., dict[str, Any]]]:
    """A community with one message and a builder whose first build is at once and whose
    rebuilds wait for `release` (the rebuild takes its time); `built` lists the builds."""
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    import_events(engine, community_id=cid, events=[message(1)])
    release = threading.Event()
    built: list[int] = []

    def builder(_engine: Engine, *, community_id: int, plan: Any) -> dict[str, Any]:
        if built:
            assert release.wait(10)
        built.append(community_id)
        return {"n": len(built)}

    return cid, release, built, builder


def test_a_panel_gets_the_kept_report_at_once_while_the_new_one_builds(engine: Engine) -> None:
    """Events after the report was built: a panel is not held while it is rebuilt (under
    load that held every thread of the worker, issue 13); it shows the kept report, the
    rebuild runs in the background, and the next view shows the new report."""
    cid, release, built, builder = _slow_rebuilds(engine)
    cache = ReportCache(engine, min_age=0, builder=builder)
    assert cache.latest(cid) == {"n": 1}  # none yet: built now
    cache._entries[cid].seconds = 0.0
    import_events(engine, community_id=cid, events=[message(2)])
    assert cache.latest(cid) == {"n": 1}  # at once, the rebuild started
    assert cache.latest(cid) == {"n": 1}  # still building: no second build
    release.set()
    cache.close()
    assert cache.latest(cid) == {"n": 2}
    assert built == [cid, cid]


def test_an_old_report_is_checked_at_most_every_two_seconds(engine: Engine) -> None:
    """Past `min_age` a panel asks whether its report is still current (three queries):
    on a busy console at most once every `CHECK_EVERY` seconds, not on every view."""
    from sqlalchemy import event

    from qunyun.web import reports

    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    cache = ReportCache(engine, min_age=0, builder=lambda _e, **_kw: {"n": 1})
    assert cache.latest(cid) == {"n": 1}
    cache._entries[cid].seconds = 0.0  # old at once
    queries: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
    assert cache.latest(cid) == {"n": 1}  # checked: nothing changed
    checked = len(queries)
    assert checked > 0
    assert cache.latest(cid) == {"n": 1}
    assert len(queries) == checked  # checked just now: no query
    cache._entries[cid].checked_at -= reports.CHECK_EVERY
    assert cache.latest(cid) == {"n": 1}
    assert len(queries) > checked  # checked again


def test_a_saved_plan_keeps_the_last_numbers_while_the_report_is_rebuilt(
        engine: Engine) -> None:
    """Issue 11 walk13 finding 53: after a plan was saved the home row went blank (only
    「2 · 246 · ✓」) until the next report was built. The last report stays on the page,
    marked as being rebuilt, and the new one replaces it."""
    cid, release, _built, builder = _slow_rebuilds(engine)
    cache = ReportCache(engine, min_age=60, builder=builder)
    assert cache.get(cid) == {"n": 1}
    cache.plan_changed(cid)
    assert cache.peek(cid) == {"n": 1}  # the last numbers, never nothing
    assert cache.status(cid)["updating"] is True  # … with 正在生成
    release.set()
    cache.close()
    assert cache.peek(cid) == {"n": 2}  # rebuilt although the kept one was young
    assert cache.status(cid)["updating"] is False
