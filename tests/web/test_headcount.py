"""People that add up (issue 11 walk findings 24, 27 and 34): a community with joins,
leaves, removals and re-joins in two groups, a DM with the bot, the bot's own account (it
removed someone) and a moderator. Every page says 当前成员 + 已离开 = 累计成员 for the same
people, joins and leaves are times, the member list shows current members unless asked for
the departed (each saying 已退群 and when), a young community's trend is said in words, and
every number the console shows is the number `qunyun report` writes."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from qunyun.cli import app
from qunyun.events import Event, GroupRef, MemberJoined, MemberLeft, MessagePosted, UserRef
from qunyun.services import staff as staff_service
from qunyun.services.ingest import EventRecorder
from qunyun.storage.community import communities as community_repo
from tests.factories import T0, user
from tests.web.seed import Seeded

Make = Callable[..., TestClient]
SEEDED = GroupRef("matrix", "!qa:localhost", "Python 训练营 · 答疑群")  # the seed's group
SECOND = GroupRef("matrix", "!b:localhost", "Python 训练营 · 二群")
DM = GroupRef("matrix", "!dm:localhost", None, "direct")
BOT = UserRef("matrix", "@qunyun:localhost", "群运机器人")
OPERATOR = UserRef("matrix", "@operator:localhost", "运营者")
CELL = re.compile(r'data-k="(\w+)">([^<]*)<')


def _generated(seed: int = 11) -> tuple[list[Event], dict[str, object]]:
    """Members 10…39 join, talk, leave, are removed by the bot and come back, over three
    weeks; what a person would count by hand comes back beside the events."""
    rng = random.Random(seed)
    at = T0 + timedelta(days=1)
    events: list[Event] = [MemberJoined(source="gen", source_event_id="j-op", group=SEEDED,
                                        at=at, member=OPERATOR, via="link")]
    inside: dict[tuple[str, str], bool] = {(OPERATOR.user_id, SEEDED.group_id): True}
    # The seed: 用户1…4 joined the seed's group and stayed.
    for n in (1, 2, 3, 4):
        inside[(user(n).user_id, SEEDED.group_id)] = True
    joins, leaves = 5, 0
    for step in range(240):
        at += timedelta(minutes=rng.randint(20, 180))
        who = user(rng.randint(10, 39))
        group = rng.choice((SEEDED, SECOND))
        key = (who.user_id, group.group_id)
        if key in inside and not inside[key] and rng.random() < 0.8:
            continue  # most who left stay away; some come back
        if not inside.get(key):
            events.append(MemberJoined(source="gen", source_event_id=f"j{step}", group=group,
                                       at=at, member=who, via="link"))
            inside[key], joins = True, joins + 1
        elif rng.random() < 0.35:
            removed = rng.random() < 0.4  # the bot removed them (a warning limit)
            events.append(MemberLeft(source="gen", source_event_id=f"l{step}", group=group,
                                     at=at, member=who, removed_by=BOT if removed else None))
            inside[key], leaves = False, leaves + 1
        else:
            events.append(MessagePosted(source="gen", source_event_id=f"m{step}", group=group,
                                        at=at, actor=who, text=f"第 {step} 条，大家好"))
    events.append(MessagePosted(source="gen", source_event_id="dm1", group=DM,
                                at=at + timedelta(minutes=1), actor=user(10), text="零基础"))
    people = {who for who, _group in inside}
    now = {who for (who, _group), yes in inside.items() if yes}
    truth = {"current": len(now), "left": len(people - now), "ever": len(people),
             "joins": joins, "leaves": leaves, "rejoined": sorted(
                 who for who in now if any(
                     isinstance(e, MemberLeft) and e.member.user_id == who for e in events))}
    return events, truth


def _record(engine: Engine, seeded: Seeded) -> dict[str, object]:
    events, truth = _generated()
    with engine.begin() as conn:
        EventRecorder(community_id=seeded.community_id).record_many(conn, events)
        first = conn.exec_driver_sql("SELECT id FROM groups WHERE external_id = '!qa:localhost'"
                                     ).scalar_one()
        # The operator moderates the seed's group: an admin, in the room, off the tiers.
        staff_service.record_moderators(conn, group_id=int(first),
                                        external_ids=[OPERATOR.user_id], now_ms=0)
    return truth


def _cells(html: str) -> dict[str, str]:
    return {k: v.strip() for k, v in CELL.findall(html)}


def _row(html: str, marker: str) -> str:
    return html.split(marker, 1)[1].split("</tr>", 1)[0]


def _people(cells: dict[str, str]) -> tuple[int, int, int]:
    return (int(cells["member_count"].replace(",", "")), int(cells["members_left"].replace(
        ",", "")), int(cells["members_ever"].replace(",", "")))


def _qunyun_report(db_url: str, out: Path) -> tuple[dict[str, object], str]:
    result = CliRunner().invoke(app, ["report", "--db", db_url, "--community", "python-camp",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    return (json.loads((out / "report.json").read_text(encoding="utf-8")),
            (out / "report.html").read_text(encoding="utf-8"))


def test_the_home_page_cards_add_up(make_client: Make, engine: Engine, seeded: Seeded) -> None:
    truth = _record(engine, seeded)
    client = make_client("owner")
    client.get("/c/python-camp/panel")  # the report is built
    index = client.get("/").text
    row = _cells(_row(index, 'href="/c/python-camp"'))
    current, left, ever = _people(row)
    assert (current, left, ever) == (truth["current"], truth["left"], truth["ever"])
    assert current + left == ever
    # Joins and leaves are times, not people: a re-join is a second join.
    assert row["moves"] == f'{truth["joins"]} / {truth["leaves"]}'
    assert truth["rejoined"], "the generated community has members who came back"
    # Each heading says what it counts, and the page says how they add up.
    heads = index.split('id="community-table"')[1].split("</thead>")[0]
    for label in ("当前成员", "已离开", "累计成员", "入群 / 退群（次）", "消息（累计）",
                  "活跃率（近30天）"):
        assert f">{label}</th>" in heads, label
    assert heads.count('title="') >= 7  # every count explains itself on hover
    assert "当前成员 + 已离开 = 累计成员" in index
    english = client.get("/?lang=en").text
    assert "Current members + left = members ever" in english


def test_console_numbers_are_the_reports(make_client: Make, engine: Engine, seeded: Seeded,
                                         db_url: str, tmp_path: Path) -> None:
    _record(engine, seeded)
    report, html = _qunyun_report(db_url, tmp_path / "report")
    c: dict = report["community"]  # type: ignore[assignment]
    client = make_client("owner")
    panel = client.get("/c/python-camp/panel").text
    index = client.get("/").text

    def expected(scope: dict) -> dict[str, str]:
        return {"member_count": f'{scope["member_count"]:,}',
                "members_left": f'{scope["members_left"]:,}',
                "members_ever": f'{scope["members_ever"]:,}',
                "messages": f'{scope["messages"]:,}', "senders": f'{scope["senders"]:,}',
                "active_ratio": f'{scope["active_ratio"] * 100:.0f}%',
                "moves": f'{scope["joins"]:,} / {scope["leaves"]:,}'}

    assert c["member_count"] + c["members_left"] == c["members_ever"]
    # The report's member list is those people: not the bot that removed some of them.
    names = [m["name"] for m in report["members"]]  # type: ignore[attr-defined]
    assert len(names) == c["members_ever"] and "群运机器人" not in names
    assert _cells(_row(index, 'href="/c/python-camp"')) == expected(c)
    assert _cells(_row(panel, '<tr class="total">')) == expected(c)
    live = client.get("/c/python-camp").text.split('id="groups-table"')[1]
    for g in report["groups"]:  # type: ignore[attr-defined]
        link = f'href="/c/python-camp/g/{g["id"]}"'
        assert _cells(_row(panel, link)) == expected(g)
        assert g["member_count"] + g["members_left"] == g["members_ever"]
        # The live table between two reports: the same people, counted the same way.
        assert _people(_cells(_row(live, link))) == (
            g["member_count"], g["members_left"], g["members_ever"])
        # The group page's member list: the same people again.
        assert f'/c/python-camp/members?group={g["id"]}"' in client.get(
            f'/c/python-camp/g/{g["id"]}').text
        own = client.get(f'/c/python-camp/members?group={g["id"]}').text
        tabs = dict(re.findall(r'data-standing="(\w+)">[^<]*<b>(\d+)</b>', own))
        assert (int(tabs["current"]), int(tabs["departed"]), int(tabs["all"])) == (
            g["member_count"], g["members_left"], g["members_ever"])
        assert f'当前成员 {g["member_count"]} 人' in own
        group_panel = client.get(f"/c/python-camp/g/{g['id']}/panel").text
        assert _cells(group_panel.split("<tbody>")[1]) == expected(g)
        # The tier chart's people plus the admins it leaves out are the group's members.
        note = group_panel.split('id="tiers-note">')[1].split("</p>")[0]
        assert note.startswith(f'现有成员 {g["member_count"]} 人')
        assert sum(g["tiers"].values()) + g["untiered_members"] == g["member_count"]
        if g["untiered_members"]:
            assert f'另有管理员 {g["untiered_members"]} 人不参与分层' in note
    assert any(g["untiered_members"] for g in report["groups"])  # type: ignore[attr-defined]
    assert client.get(f"/c/python-camp/members?group={2**31 - 1}").status_code == 404
    # The member list's filters are the same three numbers.
    listing = client.get("/c/python-camp/members").text
    tabs = dict(re.findall(r'data-standing="(\w+)">[^<]*<b>(\d+)</b>', listing))
    assert (int(tabs["current"]), int(tabs["departed"]), int(tabs["all"])) == (
        c["member_count"], c["members_left"], c["members_ever"])
    # A member's numbers in the list are the report's.
    by_id = {m["id"]: m for m in report["members"]}  # type: ignore[attr-defined]
    for found in re.finditer(r'<tr>\s*<td><a href="/c/python-camp/members/(\d+)">.*?</tr>',
                             listing, re.S):
        m = by_id[int(found.group(1))]
        cells = _cells(found.group(0))
        assert (cells["window_messages"], cells["messages"]) == (
            str(m["window_messages"]), str(m["messages"]))
    # Member 360 too, each number with its window.
    talker = max(report["members"], key=lambda m: m["window_messages"])  # type: ignore[attr-defined]
    page = client.get(f'/c/python-camp/members/{talker["id"]}').text
    assert (f'近30天消息 {talker["window_messages"]} · 消息（累计） {talker["messages"]}'
            in page.split('id="member-numbers">')[1])
    # And the report's own page shows what the console shows.
    for key, value in expected(c).items():
        if key == "active_ratio":
            value = f'{c["active_ratio"] * 100:.1f}%'
        assert f'id="{key}">{value}</b>' in html, key


def test_the_member_list_shows_current_members_unless_asked(
        make_client: Make, engine: Engine, seeded: Seeded) -> None:
    truth = _record(engine, seeded)
    client = make_client("owner")
    client.get("/c/python-camp/panel")
    report = client.app.state.reports.peek(seeded.community_id)  # type: ignore[attr-defined]
    names = {m["id"]: m for m in report["members"]}
    current = client.get("/c/python-camp/members").text
    departed = client.get("/c/python-camp/members?standing=departed").text
    everyone = client.get("/c/python-camp/members?standing=all").text

    def listed(html: str) -> set[int]:
        return {int(x) for x in re.findall(r'href="/c/python-camp/members/(\d+)"', html)}

    assert f'当前成员 {truth["current"]} 人' in current
    assert f'已离开 {truth["left"]} 人' in departed
    assert listed(current) == {i for i, m in names.items() if m["in_community"]}
    assert listed(current).isdisjoint(listed(departed))
    assert listed(everyone) == listed(current) | listed(departed)
    assert "已退群" not in current.split('id="member-table"')[1]
    # Each departed row says so, with the date; no tier is given to someone who left.
    rows = departed.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")[:-1]
    assert len(rows) == truth["left"]
    for row in rows:
        assert re.search(r"已退群 \d{4}-\d\d-\d\d \d\d:\d\d", row), row
        assert 'title="分层只给当前成员">—' in row
    # A member removed by the bot who came back is a current member; the bot, which only
    # removed people, and the DM are nobody's membership.
    back = {m["name"] for m in names.values() if m["in_community"]}
    for user_id in truth["rejoined"]:  # type: ignore[attr-defined]
        name = "用户" + user_id[2:].split(":")[0]
        assert name in back and f">{name}</a>" in current, name
    assert "群运机器人" not in everyone
    # Every number says its window.
    assert "分层（近30天）" in current and "近30天消息" in current and "消息（累计）" in current
    english = client.get("/c/python-camp/members?standing=departed&lang=en").text
    assert "Messages (all time)" in english and re.search(r"left \d{4}-\d\d-\d\d", english)


def test_a_young_communitys_trend_is_said_in_words(make_client: Make, engine: Engine,
                                                   seeded: Seeded) -> None:
    room = GroupRef("matrix", "!young:localhost", "新群")
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="young", name="新社群", now_ms=0)
        EventRecorder(community_id=cid).record_many(conn, [
            MemberJoined(source="y", source_event_id="j1", group=room, at=T0, member=user(1)),
            MemberJoined(source="y", source_event_id="j2", group=room, at=T0, member=user(2)),
            MessagePosted(source="y", source_event_id="m1", group=room,
                          at=T0 + timedelta(minutes=5), actor=user(1), text="大家好")])
        gid = conn.exec_driver_sql("SELECT id FROM groups WHERE external_id = '!young:localhost'"
                                   ).scalar_one()
    client = make_client("owner")
    panel = client.get("/c/young/panel").text
    group_panel = client.get(f"/c/young/g/{gid}/panel").text
    for html in (panel, group_panel):
        assert "数据还不够画趋势：已有 1 天" in html
        assert "消息 1 条，发言 1 人，入群 2 次，退群 0 次" in html
        assert 'data-chart="trend"' not in html  # no line through one point
    english = client.get(f"/c/young/g/{gid}/panel?lang=en").text
    assert "Not enough data for a trend yet: 1 day so far" in english
    # Two days: the chart is drawn.
    with engine.begin() as conn:
        EventRecorder(community_id=cid).record_many(conn, [MessagePosted(
            source="y", source_event_id="m2", group=room, at=T0 + timedelta(days=1),
            actor=user(2), text="第二天")])
    cache = client.app.state.reports  # type: ignore[attr-defined]
    cache._entries.pop(cid, None)
    assert 'data-chart="trend"' in client.get(f"/c/young/g/{gid}/panel").text
