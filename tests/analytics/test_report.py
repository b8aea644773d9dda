"""The community report on a small history whose answers are known, on SQLite and PostgreSQL:
per-group counts (H1), tiers with reasons (T1/T5), the to-do list (T2), elimination (E1),
suspects with evidence (R4), the invite tree (G2) and the dying warning (H2)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from qunyun.analytics import SCHEMA_VERSION, build_report
from qunyun.events import (
    Event,
    GroupRef,
    MemberJoined,
    MemberLeft,
    MessagePosted,
    ReactionAdded,
    RedPacketGrabbed,
)
from qunyun.plan.model import Plan
from qunyun.services.importing import import_events
from qunyun.storage.community import communities as community_repo
from tests.factories import GROUP, T0, user

AS_OF = T0 + timedelta(days=30)
HOSTILE = "<script>window.pwned=1</script>"


def _msg(i: int, who: int, text: str, at_days: float, reply_to: str | None = None,
         name: str | None = None) -> MessagePosted:
    return MessagePosted(source="t", source_event_id=f"m{i}", group=GROUP,
                         at=T0 + timedelta(days=at_days), actor=user(who, name), text=text,
                         reply_to=reply_to)


def _join(i: int, who: int, at_days: float, inviter: int | None = None,
          name: str | None = None) -> MemberJoined:
    return MemberJoined(source="t", source_event_id=f"j{i}", group=GROUP,
                        at=T0 + timedelta(days=at_days), member=user(who, name),
                        inviter=user(inviter) if inviter else None,
                        via="invite" if inviter else "link")


def history() -> list[Event]:
    events: list[Event] = [_join(1, 1, 0)]
    events += [_join(2, 2, 1, inviter=1), _join(3, 3, 1, inviter=1)]
    events += [_join(4, 4, 2), _join(5, 5, 3, inviter=4), _join(6, 6, 3, inviter=4)]
    # The admin talks every day of the last ten: 30 messages on 10 days.
    events += [_msg(100 + k, 1, f"今天的分享第{k}条", 20 + k / 3) for k in range(30)]
    events += [_msg(200, 2, "谢谢老师，学到了", 25, reply_to="m100"),
               _msg(201, 4, "我也来说一句", 26), _msg(202, 5, "新人报到", 27)]
    events.append(ReactionAdded(source="t", source_event_id="r1", group=GROUP,
                                at=T0 + timedelta(days=26), actor=user(3),
                                target_event_id="m101", key="👍"))
    events += [_join(7, 7, 4), _msg(300, 7, "兼职日结 加微信 https://spam.example.cn", 28)]
    events += [_join(9, 9, 5, name=HOSTILE), _msg(301, 9, "<img src=x onerror=alert(1)>", 28,
                                                  name=HOSTILE)]
    # A burst of patterned accounts that never speak.
    events += [_join(20 + k, 20 + k, 10 + k / 20000, name=f"A0{k}-运营总监") for k in range(6)]
    # A red-packet bot: first on every packet.
    for p in range(4):
        for rank, who in enumerate((30, 2, 3)):
            events.append(RedPacketGrabbed(
                source="t", source_event_id=f"rp{p}-{who}", group=GROUP,
                at=T0 + timedelta(days=12 + p, seconds=rank), actor=user(who),
                sender=user(1), packet_id=f"p{p}"))
    return events


def _report(engine: Engine, plan: Plan | None = None) -> dict[str, Any]:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    import_events(engine, community_id=cid, events=history())
    return build_report(engine, community_id=cid, plan=plan, as_of=AS_OF, tz="Asia/Shanghai",
                        community_name="c")


def _plan(**extra: Any) -> Plan:
    return Plan.model_validate({"community": {"name": "测试", "slug": "t", "platform": "matrix"},
                                **extra})


@pytest.fixture
def report(engine: Engine) -> dict[str, Any]:
    return _report(engine, _plan(elimination={"silent_days": 20, "notice_days": 3},
                                 bot={"admins": ["@u1:localhost"]}))


def _member(report: dict[str, Any], n: int) -> dict[str, Any]:
    name = HOSTILE if n == 9 else (f"用户{n}")
    return next(m for m in report["members"] if m["name"] == name)


def test_group_counts_exclude_service_lines(report: dict[str, Any]) -> None:
    assert report["schema_version"] == SCHEMA_VERSION
    [group] = report["groups"]
    assert group["messages"] == 30 + 3 + 2  # joins, reactions, red packets are not messages
    assert group["senders"] == 6  # members 1, 2, 4, 5, 7, 9
    assert group["joins"] == 6 + 1 + 1 + 6
    assert group["leaves"] == 0
    assert group["first_event"].startswith("2026-03-01T17:00")  # 09:00 UTC, Shanghai time
    assert group["last_event"].startswith("2026-03-31T09:00")
    assert sum(d["messages"] for d in group["daily"]) == group["messages"]
    assert sum(cell[2] for cell in group["heatmap"]) == group["messages"]


def test_tiers_come_with_the_numbers_behind_them(engine: Engine) -> None:
    # With `points.include_admins` the plan's admin is tiered like everyone (as before).
    report = _report(engine, _plan(bot={"admins": ["@u1:localhost"]},
                                   points={"include_admins": True}))
    admin, spreader, newcomer, silent = (_member(report, n) for n in (1, 4, 5, 6))
    assert admin["tier"] == "opinion_leader" and admin["staff"] is False
    assert "发言 30 条、11 天有发言" in admin["tier_reason"]
    assert spreader["tier"] == "spreader" and spreader["invited"] == 2
    assert newcomer["tier"] == "participant"
    assert silent["tier"] == "onlooker"
    # T5: replies and reactions from others are counted apart from the tier.
    assert admin["replies_received"] == 1 and admin["reactions_received"] == 1
    todo = {t["tier"]: t for t in report["todo"]}
    assert [m["name"] for m in todo["spreader"]["members"]] == ["用户4"]
    assert "表扬" in todo["spreader"]["action"]


def test_admins_are_staff_off_the_tiers_chart_todo_and_core_measures(
        report: dict[str, Any]) -> None:
    """Issue 15: the plan's admin (who invited two members and wrote most messages) is
    not an opinion leader, not in the tier chart nor the to-do list: staff, with numbers."""
    admin = _member(report, 1)
    assert admin["staff"] is True and admin["tier"] is None
    assert admin["tier_name"] == "管理员" and "不参与分层" in admin["tier_reason"]
    assert admin["messages"] == 30 and admin["invited"] == 2  # the numbers stay
    [group] = report["groups"]
    current_others = sum(1 for m in report["members"] if m["in_community"] and not m["staff"])
    assert sum(group["tiers"].values()) == current_others
    listed = {m["id"] for t in report["todo"] for m in t["members"]}
    assert admin["id"] not in listed
    assert not [m for m in report["members"] if m["staff"] and m["id"] != admin["id"]]


def test_elimination_lists_the_silent_but_never_an_admin(report: dict[str, Any]) -> None:
    names = {m["name"] for m in report["elimination"]["members"]}
    assert "用户6" in names and "用户3" in names  # joined on day 1-3, never spoke
    assert "用户1" not in names and "用户5" not in names
    assert report["elimination"]["criteria"]["silent_days"] == 20


def test_suspects_carry_their_evidence(report: dict[str, Any]) -> None:
    by_name = {s["name"]: {sig["kind"]: sig["evidence"] for sig in s["signals"]}
               for s in report["suspects"]}
    burst = by_name["A00-运营总监"]
    assert {"join_burst", "nickname"} <= set(burst)
    assert burst["join_burst"]["joins_in_burst"] == 6
    assert "ads" in by_name["用户7"]
    assert by_name["用户30"]["red_packet_first"] == {"first_grabs": 4, "red_packets": 4}
    assert "用户2" not in by_name


def test_invite_tree_and_k_factor(report: dict[str, Any]) -> None:
    inv = report["invites"]
    assert inv["attributed_joins"] == 4
    top = {t["name"]: t["invited"] for t in inv["top_inviters"]}
    assert top == {"用户1": 2, "用户4": 2}
    assert inv["k_factor"] == round(4 / inv_seen(report), 4)


def inv_seen(report: dict[str, Any]) -> int:
    return len([m for m in report["members"] if m["first_seen"]])


def test_a_quiet_group_is_flagged_with_a_reason(engine: Engine) -> None:
    report = _report(engine)
    dying = report["community"]["health"]["dying"]
    # Five messages a day is the default floor; this group averages far less.
    assert dying["warning"] is True
    assert "下限" in dying["reason"] or "沉寂" in dying["reason"]
    assert report["elimination"]["criteria"] is None


def test_a_decaying_group_gets_a_projected_date(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="d", name="d", now_ms=0)
    events: list[Event] = []
    n = 0
    for week in range(16):
        per_day = max(3, int(80 * 0.8 ** week))  # -20% a week
        for day in range(7):
            for k in range(per_day):
                n += 1
                events.append(_msg(n, 1 + k % 12, f"消息{n}", week * 7 + day + k / 200))
    import_events(engine, community_id=cid, events=events)
    plan = _plan(health={"floor_messages_per_day": 1})
    report = build_report(engine, community_id=cid, plan=plan, tz="UTC")
    dying = report["community"]["health"]["dying"]
    assert dying["warning"] is True and dying["projected_below_floor"]
    assert dying["down_from_peak"] > 0.5
    # The stage agrees with the warning (issue 11): a group losing its activity is in
    # decline, and the stage its last four weeks still show is kept and named.
    health = report["community"]["health"]
    assert health["stage"] == "declining" and health["stage_name"] == "热寂"
    assert health["stage_reached"] in {"talking", "common_goal", "gathered"}
    assert "下降" in health["stage_reason"] and "falling" in health["stage_reason_en"]
    # The projection is explained in the group's own terms.
    assert "按本群近 8 周的消息趋势" in dying["reason"]


def test_a_groups_projected_date_ignores_another_groups_messages(engine: Engine) -> None:
    """Issue 11: the dying date is the group's own series, projected from its own last day;
    messages in another group of the community (which move the report's as_of) leave it."""
    other = GroupRef("matrix", "!other:localhost", "另一个群")
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="o", name="o", now_ms=0)
    events: list[Event] = []
    n = 0
    for week in range(12):
        per_day = max(3, int(80 * 0.8 ** week))
        for day in range(7):
            for k in range(per_day):
                n += 1
                events.append(_msg(n, 1 + k % 12, f"消息{n}", week * 7 + day + k / 200))
    import_events(engine, community_id=cid, events=events)
    plan = _plan(health={"floor_messages_per_day": 1})

    def decaying_group() -> dict[str, Any]:
        report = build_report(engine, community_id=cid, plan=plan, tz="UTC")
        return next(g for g in report["groups"] if g["external_id"] == GROUP.group_id)

    before = decaying_group()["health"]["dying"]
    assert before["projected_below_floor"]
    chatter = [MessagePosted(source="t", source_event_id=f"x{i}", group=other,
                             at=T0 + timedelta(days=83.1 + i / 200), actor=user(90 + i % 3),
                             text=f"别的群{i}") for i in range(20)]
    import_events(engine, community_id=cid, events=chatter)
    after = decaying_group()["health"]["dying"]
    assert after["projected_below_floor"] == before["projected_below_floor"]
    assert after["weekly_change"] == before["weekly_change"]


def test_todays_messages_do_not_move_the_projected_date(engine: Engine) -> None:
    """Issue 11 #60: the date is projected from whole past days; a dozen live messages this
    morning on a long history left it alone (they moved it by two weeks within an hour)."""
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="d", name="d", now_ms=0)
    events: list[Event] = []
    n = 0
    for week in range(12):
        per_day = max(3, int(80 * 0.8 ** week))
        for day in range(7):
            for k in range(per_day):
                n += 1
                events.append(_msg(n, 1 + k % 12, f"消息{n}", week * 7 + day + k / 200))
    import_events(engine, community_id=cid, events=events)
    plan = _plan(health={"floor_messages_per_day": 1})
    morning = T0 + timedelta(days=84, hours=1)

    def dying_now(at: datetime) -> dict[str, Any]:
        report = build_report(engine, community_id=cid, plan=plan, tz="UTC", as_of=at)
        return dict(report["community"]["health"]["dying"])

    before = dying_now(morning)
    assert before["projected_below_floor"]
    live = [_msg(10_000 + i, 1 + i % 5, f"今天{i}", 84 + 1 / 24 + i / 1440) for i in range(30)]
    import_events(engine, community_id=cid, events=live)
    after = dying_now(morning + timedelta(hours=1))
    assert after["projected_below_floor"] == before["projected_below_floor"]
    assert after["weekly_change"] == before["weekly_change"]


def test_the_active_ratio_agrees_with_the_tiers_and_members_are_counted_once(
        engine: Engine) -> None:
    """Issue 11: members now = an open membership or seen in the group and never left, in
    the report and in the memberships table alike; the 30-day active ratio counts current
    members only, so it equals the share of current members not onlookers."""
    from qunyun.storage.console import overview as console_overview

    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="m", name="m", now_ms=0)
    events: list[Event] = [_msg(1, 1, "我是群主，没有入群记录", 1.0)]  # no join on record
    events += [_join(10 + i, 10 + i, 1.0 + i / 100) for i in range(6)]
    events += [_msg(20 + i, 10 + i, f"大家好{i}", 2.0 + i / 100) for i in range(3)]
    # A member who wrote, then left: not in the ratio's numerator any more.
    events += [_join(30, 30, 1.5), _msg(31, 30, "再见", 2.5),
               MemberLeft(source="t", source_event_id="l30", group=GROUP,
                          at=T0 + timedelta(days=2.6), member=user(30))]
    import_events(engine, community_id=cid, events=events)
    report = build_report(engine, community_id=cid, plan=_plan(), tz="UTC")
    whole = report["community"]
    assert whole["member_count"] == 7  # the owner (no join) and the six who joined
    with engine.connect() as conn:
        [group] = console_overview.groups_with_counts(conn, community_id=cid)
    assert group["current"] == whole["member_count"]
    spoke = sum(n for tier, n in whole["tiers"].items() if tier != "onlooker")
    assert sum(whole["tiers"].values()) == whole["member_count"]
    assert whole["active_30d"] == spoke == 4
    assert whole["active_ratio"] == round(spoke / whole["member_count"], 4)


def test_a_log_that_starts_with_a_thousand_textless_events_reads(engine: Engine) -> None:
    # SQLite's Arrow reader types a column from its first rows: 1,100 joins (no text, no
    # reference) before the first message once made the text column an integer.
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="j", name="j", now_ms=0)
    events: list[Event] = [_join(i, i, i / 10_000) for i in range(1, 1101)]
    events += [_msg(5000 + i, 1 + i % 5, f"第{i}条", 1 + i / 100, reply_to="m5000" if i else None)
               for i in range(50)]
    import_events(engine, community_id=cid, events=events)
    report = build_report(engine, community_id=cid, plan=None, tz="UTC")
    assert report["community"]["messages"] == 50
    assert report["community"]["joins"] == 1100


def test_a_one_group_community_has_that_groups_numbers(report: dict[str, Any],
                                                       engine: Engine) -> None:
    from zoneinfo import ZoneInfo

    from qunyun.analytics import activity
    from qunyun.analytics.build import _scope_section
    from qunyun.analytics.log import EventLog
    from qunyun.storage.events import frames

    # The report takes the community section from its only group; computed the long way,
    # over the whole community, every number is the same.
    tier_of = {m["id"]: m["tier"] for m in report["members"]}
    plan = _plan(elimination={"silent_days": 20, "notice_days": 3},
                 bot={"admins": ["@u1:localhost"]})
    with frames.Reader(engine) as reader:
        log = EventLog.load(reader, community_id=1, tz=ZoneInfo("Asia/Shanghai"), as_of=AS_OF)
        full = _scope_section(log, activity.Scope.of(log, None), plan, tier_of,
                              {"id": 1, "name": "c"})
    assert len(report["groups"]) == 1
    assert report["community"] == full


def test_a_group_days_old_is_not_called_dying(engine: Engine) -> None:
    """Issue 11: the live demo room, a day old with a dozen messages, was flagged "below the
    plan's floor" (two weeks' messages over one day of life) and its stage "declining"."""
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="y", name="y", now_ms=0)
    import_events(engine, community_id=cid, events=[
        _msg(i, 1 + i % 3, f"你好{i}", 0.5 + i / 100) for i in range(12)])
    report = build_report(engine, community_id=cid, plan=_plan(), tz="UTC")
    health = report["community"]["health"]
    assert health["dying"]["warning"] is False and health["dying"]["young"] is True
    assert health["stage"] != "declining"
