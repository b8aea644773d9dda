"""The README's report commands work as written (issue 11, walk findings 44 and 74):
`qunyun report --out report/ --plan examples/python-camp.yaml` picks the community the plan
names when the database holds several, and the weekly report counts the members the bot
removed for breaking the rules, not only the long-silent ones."""

from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import Engine
from typer.testing import CliRunner

from qunyun.cli import app
from qunyun.report.weekly import summary_text
from qunyun.services.reports import weekly_numbers
from qunyun.storage.community import communities as community_repo
from tests.analytics.test_report import AS_OF, history, import_events
from tests.factories import user
from tests.policies.test_bot_policies import Bot, camp_plan, kinds

PLAN = Path(__file__).resolve().parents[2] / "examples" / "python-camp.yaml"


def test_the_plan_file_names_the_community_when_there_are_several(
        engine: Engine, db_url: str, tmp_path: Path) -> None:
    with engine.begin() as conn:
        for slug in ("fruit-shop", "python-camp", "photo-club"):
            community_repo.get_or_create_community(conn, slug=slug, name=slug, now_ms=0)
        camp = community_repo.find_community(conn, slug="python-camp")
    assert camp is not None
    import_events(engine, community_id=camp, events=history())
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["report", "--out", str(out), "--plan", str(PLAN),
                                      "--db", db_url, "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    assert "请用 --community" not in result.output
    report = orjson.loads((out / "report.json").read_bytes())
    assert report["community"]["messages"] > 0  # python-camp's history, not an empty one


def test_a_plan_for_a_community_not_in_the_database_still_asks_which(
        engine: Engine, db_url: str, tmp_path: Path) -> None:
    with engine.begin() as conn:
        for slug in ("fruit-shop", "photo-club"):
            community_repo.get_or_create_community(conn, slug=slug, name=slug, now_ms=0)
    result = CliRunner().invoke(app, ["report", "--out", str(tmp_path / "r"), "--plan",
                                      str(PLAN), "--db", db_url])
    assert result.exit_code == 2
    assert "--community" in result.output and "fruit-shop" in result.output


def test_the_week_counts_a_member_removed_for_adverts(engine: Engine) -> None:
    bot = Bot(engine, camp_plan())
    spammer = user(7, "推广号")
    bot.join(spammer, 0)
    for n, text in enumerate(("看看 https://spam.example.com/x", "加群 https://t.me/joinchat/a",
                              "再来 http://spam.example.com")):
        effects = bot.say(spammer, text, 60 + n * 10)
    assert "kick" in kinds(effects)
    w = weekly_numbers(engine, community_id=bot.cid, plan=bot.plan, as_of=bot.at(3600))
    assert w["lifecycle"]["removed_for_rules"] == 1
    assert w["lifecycle"]["removed"] == 0  # nobody was removed for being silent
    assert "违规移出 1 人" in summary_text(w)


def test_the_report_member_table_shows_the_last_message(engine: Engine, db_url: str,
                                                       tmp_path: Path) -> None:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    import_events(engine, community_id=cid, events=history())
    out = tmp_path / "r"
    result = CliRunner().invoke(app, ["report", "--out", str(out), "--db", db_url,
                                      "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    members = html.split('<section id="members">')[1].split("</section>")[0]
    assert "<th>最后发言</th><th>分层依据</th>" in members
    report = orjson.loads((out / "report.json").read_bytes())
    spoke = next(m for m in report["members"] if m.get("last_message"))
    assert spoke["last_message"][:10] in members


def test_the_reports_candidates_follow_the_plans_onboarding_rule(engine: Engine) -> None:
    """Issue 11 #50: the rules say 「入群 24 小时内未完成新人任务」 is an elimination rule;
    the report's candidates list such a member too, as the same queue item the bot opened."""
    from qunyun.analytics import build_report
    from qunyun.report.html import render_html
    from qunyun.services.report_queues import open_from_report

    bot = Bot(engine, camp_plan())
    quiet, done = user(31, "新来的"), user(32, "张三-杭州-财务")
    bot.join(quiet, 0)
    bot.join(done, 0)
    bot.say(done, "大家好，我是张三，在杭州做财务，想学 Python 做报表", 60)
    bot.tick(25 * 3600)  # past the 24-hour deadline: the bot opens the item
    report = build_report(engine, community_id=bot.cid, plan=bot.plan, as_of=bot.at(26 * 3600))
    section = report["elimination"]
    assert section["criteria"]["onboarding_incomplete"] is True
    [listed] = [m for m in section["members"] if m["name"] == "新来的"]
    assert "入群 24 小时内未完成新人任务" in listed["reason"] and "自我介绍" in listed["reason"]
    html = render_html(report)
    assert "入群 24 小时内未完成新人任务" in html.split('id="elimination"')[1][:600]
    with engine.begin() as conn:
        open_from_report(conn, community_id=bot.cid, report=report, operator=None)
    items = bot.scalar("SELECT COUNT(*) FROM work_items WHERE queue = 'elimination' AND "
                       "member_id = (SELECT member_id FROM identities WHERE external_id = "
                       f"'{quiet.user_id}')")
    assert items == 1  # the bot's own item, not a second one


def test_a_suspect_the_operator_exempted_is_marked_in_the_report(
        engine: Engine, db_url: str, tmp_path: Path) -> None:
    """Walk13 #70: after an upheld appeal and 豁免 in the console, report.html still listed
    the member among 25 suspects (the console: 24) with no word. The report marks her
    「运营者已豁免」 and counts her apart, so report and console say the same."""
    from qunyun.services import queues as queue_service
    from qunyun.services.report_queues import open_from_report

    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    import_events(engine, community_id=cid, events=history())
    args = ["report", "--out", str(tmp_path / "r"), "--db", db_url, "--as-of", AS_OF.isoformat()]
    assert CliRunner().invoke(app, args).exit_code == 0
    report = orjson.loads((tmp_path / "r" / "report.json").read_bytes())
    suspects = report["suspects"]
    assert suspects and not any(s.get("exempted") for s in suspects)
    cleared = suspects[0]
    with engine.begin() as conn:
        open_from_report(conn, community_id=cid, report=report, operator=None)
        item = queue_service.item_by_key(conn, community_id=cid, queue="suspect",
                                         item_key=f"suspect:{cleared['member_id']}")
        assert item is not None
        queue_service.resolve_item(conn, community_id=cid, item_id=item["id"], operator="lin",
                                   status="exempted", reason="申诉已通过")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    again = orjson.loads((tmp_path / "r" / "report.json").read_bytes())
    marked = [s["member_id"] for s in again["suspects"] if s.get("exempted")]
    assert marked == [cleared["member_id"]]
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    section = html.split('<section id="suspects">')[1].split("</section>")[0]
    assert "运营者已豁免" in section
    total = len(again["suspects"])
    assert f"共 {total} 个账号有可疑信号，其中 1 个运营者已在控制台豁免，待审核 {total - 1} 个" \
        in section
