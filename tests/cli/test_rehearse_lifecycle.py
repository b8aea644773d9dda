"""`qunyun rehearse` (45 days) with issue 14's lifecycle: sweeps that notice and (with a stand-in
operator approving) remove, `!复活` applications that bring members back, the bundled
event's registrations and check-ins, and the Monday reports — each occurrence once."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from qunyun.app import open_database
from qunyun.bot.rehearse import rehearse
from qunyun.plan.load import load_plan
from qunyun.plan.model import Plan
from tests.conftest import EXAMPLES


def test_weeks_of_the_course_plan_remove_revive_and_run_its_event(
        tmp_path: Path) -> None:
    loaded = load_plan(EXAMPLES / "python-camp.yaml")
    assert loaded.plan is not None
    data = loaded.plan.model_dump()
    data["revival"]["ways"] = ["reapply"]
    plan = Plan.model_validate(data)
    engine = open_database(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        result = rehearse(engine, plan, days=45, members=30, seed=3,
                          start=dt.date(2026, 3, 2), approve=True)
    finally:
        engine.dispose()
    totals = result.totals
    assert totals["removals"] > 0 and totals["revivals"] > 0
    assert totals["event_checkins"] > 0
    kinds = Counter(i.kind for i in result.timeline)
    # Removals are the sweep's (淘汰：…) and moderation's (累计 3 次警告…, the advertisers).
    swept = [i for i in result.timeline if i.kind == "removal" and i.reason.startswith("淘汰")]
    assert swept and kinds["elimination_notice"] >= len(swept)
    assert kinds["revival_application"] >= totals["revivals"]
    # One group; the monthly Pandas night's 21 March and 18 April occurrences, each
    # announced once, on its own (18 April's six days ahead, within the 45 days).
    events = [i for i in result.timeline if i.kind == "event"]
    assert [(i.key, i.at.date().isoformat()) for i in events] == [
        ("event:pandas-night-20260321:announced", "2026-03-15"),
        ("event:pandas-night-20260418:announced", "2026-04-12")]
    weekly = [i for i in result.timeline if i.kind == "weekly_report"]
    assert len(weekly) == 7 and {i.at.strftime("%a %H:%M") for i in weekly} == {"Mon 09:00"}
    removed = Counter(i.member for i in result.timeline if i.kind == "removal")
    assert max(removed.values()) <= 2  # removed, revived, and at most once more
    checkins = Counter(i.key for i in result.timeline if i.kind == "event_checkin")
    assert max(checkins.values()) == 1  # one check-in per member
