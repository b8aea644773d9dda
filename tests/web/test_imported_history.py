"""A group that is only imported history reads as such (issue 11, walk finding 24): the
demo's Telegram export was listed as 「Python 数据分析进阶营（Telegram #1）」 beside the live
Matrix room — as if a Telegram bot ran it — with a dying warning like a live group's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.analytics import build_report
from qunyun.events import GroupRef, MessagePosted
from qunyun.report.words import group_names
from qunyun.services.importing import import_events
from qunyun.storage.community import communities as community_repo
from qunyun.storage.console import overview as console_overview
from tests.factories import T0, user
from tests.web.seed import Seeded

Make = Callable[..., TestClient]
NAME = "进阶营"


def _camp(engine: Engine) -> int:
    """A live Matrix room (the bot's events) and the imported Telegram history, one name."""
    live = GroupRef("matrix", "!room:localhost", NAME)
    history = GroupRef("telegram", "-1001", NAME)
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="camp", name=NAME, now_ms=0)
    old = [MessagePosted(source="import:telegram:-1001", source_event_id=f"h{i}", group=history,
                         at=T0 + timedelta(days=i % 20, hours=i % 7), actor=user(1 + i % 6),
                         text=f"以前的第{i}条") for i in range(120)]
    new = [MessagePosted(source="matrix:http://127.0.0.1:8008", source_event_id=f"$l{i}",
                         group=live, at=T0 + timedelta(days=29, minutes=i), actor=user(1 + i % 3),
                         text=f"今天的第{i}条") for i in range(5)]
    import_events(engine, community_id=cid, events=[*old, *new])
    return cid


def test_imported_history_is_named_so_in_the_console_and_the_report(engine: Engine) -> None:
    cid = _camp(engine)
    with engine.connect() as conn:
        rows = console_overview.groups_with_counts(conn, community_id=cid)
    by_platform = {r["platform"]: r for r in rows}
    assert by_platform["telegram"]["imported"] and not by_platform["matrix"]["imported"]
    names = group_names(rows)
    assert names[by_platform["telegram"]["id"]] == f"{NAME}（导入的历史 · Telegram 导出）"
    assert names[by_platform["matrix"]["id"]] == NAME  # the live room: its name alone
    assert group_names(rows, "en")[by_platform["telegram"]["id"]] == (
        f"{NAME} (imported history · Telegram export)")
    report = build_report(engine, community_id=cid, plan=None, as_of=T0 + timedelta(days=30),
                          tz="Asia/Shanghai", community_name=NAME)
    assert group_names(report["groups"]) == names  # the report names them the same way


def test_the_community_page_says_imported_history_and_gives_it_no_warning(
        engine: Engine, seeded: Seeded, make_client: Make) -> None:
    cid = _camp(engine)
    with engine.connect() as conn:
        history = next(g for g in console_overview.groups_with_counts(conn, community_id=cid)
                       if g["platform"] == "telegram")
    client = make_client("owner")
    page = client.get("/c/camp").text
    assert f"{NAME}（导入的历史 · Telegram 导出）" in page
    assert "<td>Telegram 导出</td>" in page  # the platform column
    assert "（Telegram #" not in page and "（Matrix #" not in page
    panel = client.get("/c/camp/panel").text
    row = panel.split(f'/c/camp/g/{history["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert "导入的历史记录，没有机器人在运行这个群，不作预警" in row and "⚠" not in row
    group = client.get(f"/c/camp/g/{history['id']}/panel").text
    assert "不作预警" in group and "⚠" not in group.split("</table>", 1)[0]


def test_the_report_and_the_console_tell_one_story_about_the_imported_history(
        engine: Engine, seeded: Seeded, make_client: Make) -> None:
    """Issue 11 walk13 #19/#35: beside a live group, the imported history is never warned —
    report.html and the console's panel say so for its row — and the community is warned
    from its live group only; the report and the home page say the same about it."""
    from qunyun.report.html import render_html

    cid = _camp(engine)
    report = build_report(engine, community_id=cid, plan=None, as_of=T0 + timedelta(days=30),
                          tz="Asia/Shanghai", community_name=NAME)
    history = next(g for g in report["groups"] if g["platform"] == "telegram")
    live = next(g for g in report["groups"] if g["platform"] == "matrix")
    held = history["health"]["dying"]
    assert held["held"] == "imported_history" and held["warning"] is False
    assert held["history_warning"] is True  # silent for 11 days: it would have been warned
    # Not warned, but the stage follows the history's own trend (issue 11 walk13): silent
    # for 11 days, it is 热寂, as the reason its held warning keeps says.
    assert history["health"]["stage"] == "declining"
    assert history["health"]["stage_reason"].startswith("活跃度在下降（导入的历史记录，不作预警）")
    community = report["community"]["health"]["dying"]
    assert community["live_only"] and community["warning"] == live["health"]["dying"]["warning"]
    assert community["warning"] is False

    html = render_html(report)
    groups_table = html.split('id="groups"', 1)[1].split("</table>", 1)[0]
    row = groups_table.split("导入的历史 · Telegram 导出", 1)[1].split("</tr>", 1)[0]
    assert "导入的历史记录，没有机器人在运行这个群，不作预警" in row and "⚠" not in row
    summary = html.split('id="dying"', 1)[1].split("</p>", 1)[0]
    assert "只按有机器人在运行的群预警，导入的历史记录不计入" in summary and "⚠" not in summary

    client = make_client("owner")
    panel = client.get("/c/camp/panel").text
    total = panel.split('<tr class="total">', 1)[1].split("</tr>", 1)[0]
    assert "只按有机器人在运行的群预警，导入的历史记录不计入" in total and "⚠" not in total
    client.app.state.reports.get(cid)  # type: ignore[attr-defined]
    home = client.get("/").text
    rows = home.split('id="community-camp"', 1)[1].split("</tbody>", 1)[0]
    assert "只按有机器人在运行的群预警，导入的历史记录不计入" in rows and "⚠" not in rows


def test_an_imported_history_is_not_one_of_every_group(
        engine: Engine, seeded: Seeded, make_client: Make) -> None:
    """Issue 11 walk13 #37: 「全部群」 included the imported Telegram history, so every calendar
    post failed there daily. Posts for every group go to the live groups; the calendar page
    says the history is left out."""
    from qunyun.services import lookup

    cid = _camp(engine)
    with engine.connect() as conn:
        postable = lookup.postable_groups(conn, community_id=cid)
        every = lookup.community_groups(conn, community_id=cid)
    assert [ref.platform for _, ref in postable] == ["matrix"]
    assert len(every) == 2
    page = make_client("owner").get("/c/camp/calendar").text
    line = page.split('id="calendar-reach"', 1)[1].split("</p>", 1)[0]
    assert f"导入的历史记录不算在「全部群」里：{NAME}（导入的历史 · Telegram 导出）" in line
    assert "没有机器人在运行，日历帖、活动帖和赛季公告都不发到那里" in line
