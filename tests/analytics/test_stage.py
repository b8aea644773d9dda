"""H2 the lifecycle stage after a collapse (issue 11 walk13): an imported history whose last
four weeks are 87 % below its peak read 「不断创新」 beside that drop — the stage was judged on
the last four weeks' evidence alone while the history's warning was held (a live group
runs beside it). On seeded synthetic histories, SQLite and PostgreSQL: a group whose own
trend is falling is 热寂 whether or not it is warned; a collapse to under a fifth of the
peak is 热寂 even when steady since; settling after a launch burst is not."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from qunyun.analytics import build_report
from qunyun.events import Event, GroupRef, MessagePosted
from qunyun.report.html import render_html
from qunyun.services.importing import import_events
from qunyun.storage.community import communities as community_repo
from tests.factories import T0, user

DAYS = 16 * 7
AS_OF = T0 + timedelta(days=DAYS)
HISTORY = GroupRef("telegram", "-1001", "进阶营")
LIVE = GroupRef("matrix", "!room:localhost", "进阶营")
HISTORY_SOURCE = "import:telegram:-1001"


def chat(group: GroupRef, source: str, per_day: Callable[[int], int], *, seed: int,
         members: int = 40) -> list[Event]:
    """`per_day(week)` messages every day from 40 members at random, a third of them
    replies to a recent message: enough people, regulars and answered authors for 不断创新
    at any level the tests use (the evidence, not the volume, is what the stage reads)."""
    rng = random.Random(seed)
    events: list[Event] = []
    for day in range(DAYS):
        for k in range(per_day(day // 7)):
            # A reply answers one of the last few messages, as people do.
            reply_to = events[-rng.randint(1, min(len(events), 20))] \
                if events and rng.random() < 0.35 else None
            events.append(MessagePosted(
                source=source, source_event_id=f"{source}-{day}-{k}", group=group,
                at=T0 + timedelta(days=day, minutes=30 + k * 1440 // (per_day(day // 7) + 1)),
                actor=user(1 + rng.randrange(members)), text=f"第{day}天的讨论 {k}",
                reply_to=reply_to.source_event_id if isinstance(reply_to, MessagePosted)
                else None))
    return events


def report_of(engine: Engine, events: list[Event]) -> dict[str, Any]:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="camp", name="进阶营", now_ms=0)
    import_events(engine, community_id=cid, events=events)
    return build_report(engine, community_id=cid, plan=None, as_of=AS_OF, tz="Asia/Shanghai",
                        community_name="进阶营")


def falling(week: int) -> int:
    """Four weeks of 150 a day, then 18 % fewer every week: the last four 87 % down."""
    return 150 if week < 4 else round(150 * 0.82 ** (week - 3))


def test_an_imported_history_falling_away_beside_a_live_group_is_heat_death_not_innovating(
        engine: Engine) -> None:
    live = [MessagePosted(source="matrix:http://127.0.0.1:8008", source_event_id=f"$l{i}",
                          group=LIVE, at=AS_OF - timedelta(hours=3, minutes=i),
                          actor=user(1 + i % 3), text=f"今天的第{i}条") for i in range(5)]
    report = report_of(engine, [*chat(HISTORY, HISTORY_SOURCE, falling, seed=13), *live])
    history = next(g for g in report["groups"] if g["platform"] == "telegram")
    health = history["health"]
    dying = health["dying"]
    # Not warned (a bot runs the live group), but its own trend is the 87 % drop.
    assert dying["held"] == "imported_history" and dying["warning"] is False
    assert dying["history_warning"] is True and "近4周消息比高峰期少了 87%" in dying["reason"]
    assert (health["stage"], health["stage_name"]) == ("declining", "热寂")
    assert health["stage_reached"] == "innovating"  # what the last four weeks still show
    assert health["stage_reason"].startswith(
        "活跃度在下降（导入的历史记录，不作预警）；近4周仍有的表现：不断创新——")
    assert health["stage_reason_en"].startswith(
        "activity is falling away (imported history, not warned); the last 4 weeks still "
        "show innovating:")

    row = render_html(report).split('id="groups"', 1)[1].split("导入的历史 · Telegram 导出", 1)[1] \
        .split("</tr>", 1)[0]
    assert "热寂" in row and "不断创新" not in row and "不作预警" in row


def test_a_collapse_steady_since_is_heat_death_and_settling_after_the_launch_is_not(
        engine: Engine) -> None:
    # 150 a day for four weeks, then 13 a day rising to 15: steady, not warned, and the
    # last four weeks 90 % below the peak.
    collapsed = report_of(engine, chat(
        HISTORY, HISTORY_SOURCE, lambda w: 150 if w < 4 else (13 if w < 10 else 15), seed=7))
    health = collapsed["community"]["health"]
    assert health["dying"]["warning"] is False and health["dying"]["reason"] == "活跃度平稳"
    assert round(health["dying"]["down_from_peak"], 2) == 0.9
    assert (health["stage"], health["stage_reached"]) == ("declining", "innovating")
    assert health["stage_reason"].startswith(
        "近4周消息比高峰期少了 90%；近4周仍有的表现：不断创新——")
    assert 'id="dying"' in render_html(collapsed)
    assert "<b>热寂</b>" in render_html(collapsed)  # the stage card


def test_settling_after_the_launch_burst_keeps_the_stage_it_shows(engine: Engine) -> None:
    # The same launch, then 40 to 45 a day: 70 % below the peak and steady — a group that
    # settled, which the stage names by its evidence.
    settled = report_of(engine, chat(
        HISTORY, HISTORY_SOURCE, lambda w: 150 if w < 4 else (40 if w < 10 else 45), seed=7))
    health = settled["community"]["health"]
    assert health["dying"]["warning"] is False
    assert 0.5 < health["dying"]["down_from_peak"] < 0.8
    assert (health["stage"], health["stage_name"]) == ("innovating", "不断创新")
    assert "stage_reached" not in health
