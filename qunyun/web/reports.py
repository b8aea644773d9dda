"""The analytics report per community, cached for the console.

`qunyun.analytics.build_report` reads the whole event log (seconds for a million
events), so pages never call it while rendering: charts and health figures are an HTMX
fragment that waits for the cache, and other pages only use a report already built.
A cached report is reused until events or the plan changed *and* it is older than
`min_age` seconds — or `BUILD_SHARE_INVERSE` times as long as it took to build, if that is
longer — so a busy live group does not rebuild on every page view, and the builder of a
ten-million-event community (tens of seconds per report) is busy at most a tenth of the
time. Each report built opens its work items (suspects, elimination candidates, tier
to-dos) in the queues, so the queues and the report always agree without a "refresh" click.

New events are noticed without anyone opening a page (issue 11 walk finding 21: the home
page showed the tour's report, built before the live bot's events, next to live counts):
`watch` runs a thread that every `CHECK_EVERY` seconds asks for the log's newest event id
(one primary-key lookup) and, only when it moved, which communities the new rows belong to
(a primary-key range over the new rows); a community whose events, plan or moderators
changed is rebuilt as soon as its report is older than the rebuild interval. So while
events keep coming a community is rebuilt at most every `min_age` seconds, and the last
event is in the report `min_age` + `CHECK_EVERY` seconds after it arrived. `status` tells
a page when its report was built and whether a newer one is on the way.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine

from qunyun.services import analytics_child
from qunyun.services import plans as plan_service
from qunyun.services.report_queues import open_from_report
from qunyun.storage.console import overview as console_overview
from qunyun.storage.engine import writing

log = logging.getLogger(__name__)

Builder = Callable[..., dict[str, Any]]
BUILD_SHARE_INVERSE = 10  # a report is kept at least 10x its build time
# While events keep coming, a community's report is rebuilt at most this often (seconds).
REBUILD_EVERY = 10.0
# A panel asks whether its old report is still current at most this often (seconds): the
# three queries of the check, on every panel view of a busy console, cost more than the
# panel itself (issue 13).
CHECK_EVERY = 2.0


def _analytics() -> Builder | None:
    try:
        from qunyun.analytics import build_report
    except ImportError:
        return None
    return build_report


def _build_in_child(url: str, community_id: int, plan_yaml: str | None,
                    name: str | None) -> tuple[dict[str, Any], float]:
    """Runs in the builder process: its own engine without a pool, the plan parsed there.
    With the report, the seconds the build itself took: a child's first start (a second
    or more, several on a busy machine) is not the report's cost, and counted in it kept
    the live bot's events out of the console's report for a minute after start-up."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from qunyun.plan.load import parse_plan

    builder = _analytics()
    assert builder is not None
    engine = create_engine(url, poolclass=NullPool)
    try:
        plan = parse_plan(plan_yaml).plan if plan_yaml else None
        extra = {"community_name": name} if "community_name" in inspect.signature(
            builder).parameters else {}
        started = time.perf_counter()
        report = builder(engine, community_id=community_id, plan=plan, **extra)
        return report, time.perf_counter() - started
    finally:
        engine.dispose()


def _in_child(url: str, community_id: int, plan_yaml: str | None,
              name: str | None) -> tuple[dict[str, Any], float]:
    return analytics_child.run(_build_in_child, url, community_id, plan_yaml, name)


class _Marks:
    """The newest event id seen per community, read incrementally: the log's newest id
    (one primary-key lookup), and only when it moved, the new rows' communities (a
    primary-key range, never a scan of a community's whole history). Events of another
    community leave a community's report current."""

    def __init__(self) -> None:
        self._since: int | None = None  # the log's newest id when last read
        self._base = 0  # ... when first read: a community with no event since has this
        self._newest: dict[int, int] = {}
        self._guard = threading.Lock()

    def of(self, conn: Connection, community_id: int) -> int:
        from sqlalchemy import func, select

        from qunyun.storage.tables import events

        with self._guard:
            top = console_overview.latest_event_id(conn)
            if self._since is None:
                self._since = self._base = top
            elif top > self._since:
                rows = conn.execute(
                    select(events.c.community_id, func.max(events.c.id))
                    .where(events.c.id > self._since).group_by(events.c.community_id))
                for cid, newest in rows:
                    self._newest[int(cid)] = max(int(newest), self._newest.get(int(cid), 0))
                self._since = top
            return self._newest.get(community_id, self._base)


def _key(conn: Connection, community_id: int, plan_text: str | None,
         marks: _Marks | None = None) -> tuple[int, str]:
    """What a cached report depends on: the community's last event, the plan, and the
    groups' moderators the bot recorded (staff are off the tiers, `services.staff`)."""
    from qunyun.services import staff

    stamp = staff.moderators_stamp(conn, community_id=community_id)
    last = marks.of(conn, community_id) if marks is not None else \
        console_overview.latest_event_id(conn)
    return (last, hashlib.sha256(f"{plan_text or ''}\n{stamp}".encode()).hexdigest())


@dataclass
class _Entry:
    key: tuple[int, str]
    built_at: float
    report: dict[str, Any]
    seconds: float
    checked_at: float = 0.0  # when `latest` last found the key unchanged
    built_ms: int = 0  # wall clock, for the page's "生成于"
    stale: bool = False  # events, the plan or moderators changed after it was built


class ReportCache:
    def __init__(self, engine: Engine, *, min_age: float = REBUILD_EVERY,
                 builder: Builder | None = None) -> None:
        self.engine = engine
        self.min_age = min_age
        self.builder = builder if builder is not None else _analytics()
        # `community_name` is an optional extra of build_report (titles a plan-less report).
        self._takes_name = self.builder is not None and \
            "community_name" in inspect.signature(self.builder).parameters
        # On SQLite the report is built in a child process (`services.analytics_child`
        # says why).
        self._in_child = builder is None and self.builder is not None and \
            engine.dialect.name == "sqlite"
        self._entries: dict[int, _Entry] = {}
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()
        self._background: list[threading.Thread] = []
        self._closed = threading.Event()
        self._marks = _Marks()
        self._watcher: threading.Thread | None = None

    @property
    def available(self) -> bool:
        return self.builder is not None

    def _lock(self, community_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(community_id, threading.Lock())

    def _young(self, entry: _Entry) -> bool:
        """Built less than `min_age` ago, or than ten times its build time if longer."""
        return time.monotonic() - entry.built_at < max(
            self.min_age, BUILD_SHARE_INVERSE * entry.seconds)

    def peek(self, community_id: int) -> dict[str, Any] | None:
        """The report built last, whatever its age; never builds."""
        entry = self._entries.get(community_id)
        return entry.report if entry else None

    def get(self, community_id: int) -> dict[str, Any] | None:
        """A current report, built now if there is none or it is stale."""
        if self.builder is None:
            return None
        entry = self._entries.get(community_id)
        if entry is not None and self._young(entry):
            # Kept whatever changed since: no query and no lock, so the panels of a busy
            # console do not queue behind one another on the community's lock (issue 13).
            return entry.report
        with self._lock(community_id):
            with self.engine.connect() as conn:
                text = plan_service.stored_text(conn, community_id=community_id)
                key = _key(conn, community_id, text, self._marks)
            entry = self._entries.get(community_id)
            if entry and (entry.key == key or self._young(entry)):
                return entry.report
            # Only now, when building: parsing the plan costs more than the checks above.
            with self.engine.connect() as conn:
                _text, plan = plan_service.stored_plan(conn, community_id=community_id)
                name = next((str(c["name"]) for c in console_overview.communities_with_counts(
                    conn, ids={community_id})), None)
            started = time.perf_counter()
            if self._in_child:
                report, seconds = _in_child(
                    self.engine.url.render_as_string(hide_password=False),
                    community_id, text, name)
            else:
                extra = {"community_name": name} if self._takes_name else {}
                report = self.builder(self.engine, community_id=community_id, plan=plan,
                                      **extra)
                seconds = time.perf_counter() - started
            log.info("report for community %s built in %.2f s", community_id, seconds)
            self._open_items(community_id, report)
            self._entries[community_id] = _Entry(key, time.monotonic(), report, seconds,
                                                 built_ms=int(time.time() * 1000))
            return report

    def latest(self, community_id: int) -> dict[str, Any] | None:
        """The report for a panel, which must not wait for a rebuild: the cached one, with
        a rebuild started in the background when events or the plan changed after it
        (the next view shows the new one); built now only when there is none yet.

        Under load a blocking rebuild held every panel request on the community's lock,
        each holding one of the worker's threads, until the whole worker stalled for the
        build's seconds (issue 13)."""
        if self.builder is None:
            return None
        entry = self._entries.get(community_id)
        if entry is None:
            return self.get(community_id)
        now = time.monotonic()
        if self._young(entry) or now - entry.checked_at < CHECK_EVERY or \
                self._lock(community_id).locked():
            return entry.report  # kept, checked just now, or being rebuilt right now
        with self.engine.connect() as conn:
            text = plan_service.stored_text(conn, community_id=community_id)
            key = _key(conn, community_id, text, self._marks)
        if key != entry.key:
            entry.stale = True
            self.warm([community_id])
        else:
            entry.checked_at = now
        return entry.report

    def status(self, community_id: int) -> dict[str, Any]:
        """What a page says beside the report (never queries): when it was built, and
        whether a newer one is on the way (being built, or due once the kept one is
        `min_age` old)."""
        entry = self._entries.get(community_id)
        building = self._lock(community_id).locked()
        if entry is None:
            return {"built_ms": None, "updating": building}
        return {"built_ms": entry.built_ms, "updating": building or entry.stale}

    def watch(self, interval: float = CHECK_EVERY) -> threading.Thread:
        """Keep the reports current without page views: every `interval` seconds, each
        community with a report is checked (`_Marks` keeps that cheap) and one whose
        events, plan or moderators changed is rebuilt here once its report is `min_age`
        old; the watcher builds one report at a time. Started by `qunyun up` and each
        `qunyun serve` worker; ends with `close`."""
        with self._guard:
            if self._watcher is not None and self._watcher.is_alive():
                return self._watcher

            def run() -> None:
                while not self._closed.wait(interval):
                    for cid in list(self._entries):
                        if self._closed.is_set():
                            return
                        try:
                            self._refresh(cid)
                        except Exception:  # the next round tries again
                            if self._closed.is_set():
                                return
                            log.exception("checking the report for community %s failed", cid)

            self._watcher = threading.Thread(target=run, name="qunyun-report-watch",
                                             daemon=True)
            self._background.append(self._watcher)
            self._watcher.start()
            return self._watcher

    def _refresh(self, community_id: int) -> None:
        entry = self._entries.get(community_id)
        if entry is None or self._lock(community_id).locked():
            return
        if not entry.stale:
            with self.engine.connect() as conn:
                text = plan_service.stored_text(conn, community_id=community_id)
                key = _key(conn, community_id, text, self._marks)
            if key == entry.key:
                entry.checked_at = time.monotonic()
                return
            entry.stale = True  # the page says a newer report is coming
        if not self._young(entry):
            self.get(community_id)

    def _open_items(self, community_id: int, report: dict[str, Any]) -> None:
        try:
            with writing(self.engine) as conn:
                open_from_report(conn, community_id=community_id, report=report,
                                 operator=None)
        except Exception:  # the report is still good to show; the queues catch up next build
            log.exception("opening queue items for community %s failed", community_id)

    def is_fresh(self, community_id: int) -> bool:
        """A report is cached and no event or plan change came after it (never builds)."""
        entry = self._entries.get(community_id)
        if entry is None:
            return False
        with self.engine.connect() as conn:
            text = plan_service.stored_text(conn, community_id=community_id)
            key = _key(conn, community_id, text, self._marks)
        if entry.key != key:
            entry.stale = True
        return entry.key == key

    def invalidate(self, community_id: int) -> None:
        self._entries.pop(community_id, None)

    def plan_changed(self, community_id: int) -> None:
        """A plan was saved: the report is rebuilt in the background with it, and until
        then the pages keep the last numbers and say 正在生成 (`status`). Dropping the
        report instead left the home row blank while it was rebuilt (issue 11 walk13
        finding 53)."""
        entry = self._entries.get(community_id)
        if entry is None:
            self.warm([community_id])
            return
        entry.stale = True
        entry.built_at = float("-inf")  # not young: the next check rebuilds at once
        entry.checked_at = 0.0
        entry.key = (-1, "")
        self.warm([community_id])

    def warm(self, community_ids: list[int]) -> threading.Thread:
        """Build the reports in the background (at start-up, or when a page finds its
        report out of date), so views are fast. Nothing starts once the cache is closed."""
        def run() -> None:
            for cid in community_ids:
                if self._closed.is_set():
                    return
                try:
                    self.get(cid)
                except Exception:  # a broken report must not take the console down
                    if self._closed.is_set():  # the console stopped mid-build: nothing to say
                        return
                    log.exception("building the report for community %s failed", cid)
        thread = threading.Thread(target=run, name="qunyun-report-warm", daemon=True)
        with self._guard:
            self._background = [t for t in self._background if t.is_alive()]
            self._background.append(thread)
            thread.start()  # (once closed, it ends at once)
        return thread

    def close(self, timeout: float = 60.0) -> None:
        """Stop starting background builds and wait (up to `timeout` seconds) for the ones
        running: the console's shutdown, and a test's teardown before its database is
        dropped (a build cut off by the drop logged "terminating connection")."""
        self._closed.set()
        with self._guard:
            running = [t for t in self._background if t.is_alive()]
        deadline = time.monotonic() + timeout
        for thread in running:
            thread.join(max(0.0, deadline - time.monotonic()))
