"""What a person sees in the Chinese console is words, not codes (issue 11, items 15–20):
audit actions, actors, reasons and statuses; evidence as sentences with the raw record one
click away; the plan's source; an empty queue that says why; the favicon; the login page
after the first owner was created; a community with no events; a starting plan."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.services import audit
from qunyun.services import plans as plan_service
from qunyun.storage.community import communities as community_repo
from qunyun.storage.work import audit as audit_repo
from qunyun.web.labels import action_label, actor_label, evidence_lines, reason_label
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded

Make = Callable[..., TestClient]


def _visible(html: str) -> str:
    """The page's text outside <details> (what is on screen without a click)."""
    html = re.sub(r"<details.*?</details>", "", html, flags=re.S)
    html = re.sub(r"<(script|style|datalist|select)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_codes_become_words_in_both_languages() -> None:
    assert action_label("delete", "zh") == "删除消息"
    assert action_label("suspect:exempted", "zh") == "疑似假号：豁免"
    assert actor_label("policy:moderation", "zh") == "机器人 · 群规执行"
    assert actor_label("operator:lin", "en") == "operator lin"
    assert reason_label("A2 !rank", "zh") == "回答「排行榜」命令"
    assert reason_label("A2 !made-up", "zh") == "回答命令 !made-up"
    assert reason_label("G2 !invite", "zh") == "回答「邀请链接」命令"  # walk13: was !invite


def test_every_command_the_bot_answers_is_named_in_words() -> None:
    """The audit log read 「回答命令 !invite」 for a member's `!邀请`: each `"X9 !command"`
    reason the bot writes has its words in both languages."""
    import re
    from pathlib import Path

    import qunyun

    written = {m for path in Path(qunyun.__file__).parent.rglob("*.py")
               for m in re.findall(r'"([A-Z]\d{1,2} ![a-z]+)"', path.read_text("utf-8"))}
    assert "G2 !invite" in written
    for reason in sorted(written):
        for lang in ("zh", "en"):
            assert "!" not in reason_label(reason, lang), (reason, lang)
    assert reason_label("O2 form", "zh") == "新人问卷"
    assert reason_label("R5 heated", "en") == "a heated exchange"
    assert reason_label("发广告", "zh") == "发广告"  # already words: unchanged
    lines = evidence_lines({"signals": [{"kind": "nickname", "name": "A123",
                                         "pattern": "^A\\S*"}], "sha256": "ab"}, "zh")
    assert lines == ["昵称“A123”符合计划里的可疑昵称规则"]


def test_audit_log_and_member_page_read_as_words(make_client: Make, engine: Engine,
                                                 seeded: Seeded) -> None:
    with engine.begin() as conn:
        audit_repo.record(conn, entry={
            "at_ms": 1, "community_id": seeded.community_id, "actor": "policy:commands",
            "action": "reply", "reason": "A2 !rank", "evidence": {"keyword": "排行"},
            "status": "done", "detail": "$event-id-from-matrix"})
        audit.record_operator_action(conn, community_id=seeded.community_id, operator="lin",
                                     action="suspect:exempted", reason="老学员",
                                     evidence={"item": 3, "title": "x"})
    client = make_client("owner")
    page = client.get("/c/python-camp/audit")
    assert page.status_code == 200
    shown = _visible(page.text)
    for code in ("policy:commands", "A2 !rank", "suspect:exempted", "$event-id", '"keyword"'):
        assert code not in shown, code
    for words in ("机器人 · 命令与问答", "回答「排行榜」命令", "疑似假号：豁免", "已完成",
                  "关键词：排行"):
        assert words in shown, words
    assert "原始记录" in page.text
    assert "$event-id-from-matrix" in page.text  # the raw record is one click away
    english = make_client("owner")
    english.cookies.set("qunyun_lang", "en")
    assert "answered the leaderboard command" in _visible(english.get("/c/python-camp/audit").text)


def test_an_audit_entry_says_its_reason_once(make_client: Make, engine: Engine,
                                             seeded: Seeded) -> None:
    """The evidence column leaves out what the reason column already says: an E1 removal's
    rule (the same sentence as its reason) and a deletion's rule (「一次@太多人」 twice),
    as the lifecycle and moderation policies record them; other evidence stays."""
    why = "已 30 天未发言（最后发言 2026-03-01）"
    with engine.begin() as conn:
        audit_repo.record(conn, entry={
            "at_ms": 1, "community_id": seeded.community_id, "actor": "policy:lifecycle",
            "action": "kick", "reason": f"E1 淘汰：{why}",
            "evidence": {"case": 4, "rule": why}, "status": "done"})
        audit_repo.record(conn, entry={
            "at_ms": 2, "community_id": seeded.community_id, "actor": "policy:moderation",
            "action": "delete", "reason": "一次@太多人",
            "evidence": {"mentions": 12, "rule": "mass_mention", "text": "@全体 看这里"},
            "status": "done"})
    client = make_client("owner")
    shown = _visible(client.get("/c/python-camp/audit").text)
    assert shown.count(why) == 1 and shown.count("一次@太多人") == 1
    assert "@全体 看这里" in shown and "12" in shown  # the rest of the evidence is kept
    english = make_client("owner")
    english.cookies.set("qunyun_lang", "en")
    shown = _visible(english.get("/c/python-camp/audit").text)
    assert shown.count("E1 removal: silent for 30 days (last message 2026-03-01)") == 1
    assert why not in shown  # nor the stored Chinese beside the English reason


def test_empty_queue_says_why_and_favicon_is_served(make_client: Make) -> None:
    client = make_client("owner")
    appeals = client.get("/c/python-camp/queues?queue=appeal")
    assert "!申诉" in _visible(appeals.text)
    done = client.get("/c/python-camp/queues?queue=escalation&status=done")
    assert "没有“已完成”的事项" in done.text
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")


def test_plan_page_says_where_the_running_plan_came_from(make_client: Make, engine: Engine,
                                                         seeded: Seeded) -> None:
    with engine.begin() as conn:
        text = plan_service.stored_text(conn, community_id=seeded.community_id)
        assert text is not None
        plan_service.import_file(conn, community_id=seeded.community_id,
                                 path="/srv/plans/camp.yaml", text=text + "\n# v2\n")
    client = make_client("owner")
    page = client.get("/c/python-camp/plan")
    assert "运行中的计划来自" in page.text and "/srv/plans/camp.yaml" in page.text
    assert "机器人尚未运行过" in page.text
    token = csrf_of(client, "/c/python-camp/plan")
    client.post("/c/python-camp/plan", data={"csrf": token, "intent": "save",
                                             "plan_yaml": text + "\n# v3\n"})
    assert "控制台，由 owner" in client.get("/c/python-camp/plan").text


def test_a_community_with_no_events_or_plan(make_client: Make, engine: Engine) -> None:
    with engine.begin() as conn:
        community_repo.get_or_create_community(conn, slug="empty", name="空群", now_ms=0)
    client = make_client("owner")
    home = client.get("/").text
    row = home[home.index("空群"):]
    row = row[:row.index("</tr>")]
    assert "聚集" not in row and ">8<" not in row
    assert "还没有群" in client.get("/c/empty").text
    plan = client.get("/c/empty/plan").text
    assert "起步模板" in plan and "name: &#34;空群&#34;" in plan and "slug: &#34;empty&#34;" in plan
    assert 'id="findings"' in plan and "没写建群目的" in plan


def test_login_says_the_first_owner_was_created(engine: Engine) -> None:
    from qunyun.web.app import create_app

    client = TestClient(create_app(engine, secure_cookies=False, setup_token="tok-9"),
                        base_url="http://127.0.0.1")
    token = csrf_of(client, "/setup?token=tok-9")
    done = client.post("/setup", data={"csrf": token, "token": "tok-9", "username": "first",
                                       "password": "a long secret 1",
                                       "password2": "a long secret 1"})
    assert done.status_code == 200 and str(done.url).endswith("/login?created=first")
    assert "账号 first 已创建，请用它登录" in done.text
    assert 'value="first"' in done.text


def test_queue_titles_in_english() -> None:
    from qunyun.web.labels import item_title

    item = {"queue": "elimination", "title": "小王：已 21 天未发言", "detail": {"silent_days": 21}}
    assert item_title(item, "en") == "小王: silent for 21 days"
    assert item_title(item, "zh") == "小王：已 21 天未发言"
    live = {"queue": "suspect", "title": "可疑账号：A123",
            "detail": {"signals": [{"kind": "nickname", "name": "A123"}]}}
    assert item_title(live, "en") == "A123: suspicious nickname"


def test_dying_warning_in_english_from_its_numbers() -> None:
    from qunyun.web.labels import dying_reason

    d = {"warning": True, "reason": "近4周消息比高峰期少了 88%", "weekly_change": -0.14,
         "down_from_peak": 0.88, "projected_below_floor": "2027-02-28"}
    assert dying_reason(d, "zh") == "近4周消息比高峰期少了 88%"
    english = dying_reason(d, "en")
    assert "88% fewer messages than the peak" in english and "-14% a week" in english
    assert "2027-02-28" in english
