"""Member 360 as an operator reads it after a removal and an upheld appeal (issue 11
walk-through #67): withdrawn warnings say 已撤销 with when and by whom, and the group line
tells the stays in order — 入群, 被移出（原因）, 回群."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from qunyun.events import GroupRef, MemberJoined, MemberLeft
from qunyun.services import queues as queue_service
from qunyun.services import warnings as warning_service
from qunyun.services.ingest import EventRecorder
from qunyun.storage.engine import writing
from qunyun.storage.tables import groups
from qunyun.storage.work import audit as audit_repo
from tests.factories import T0, user
from tests.web.conftest import csrf_of
from tests.web.seed import SCRIPT_NICK, Seeded

Make = Callable[..., TestClient]
GROUP = GroupRef("matrix", "!qa:localhost", "Python 训练营 · 答疑群")


def _ms(minutes: int) -> int:
    return int((T0 + timedelta(minutes=minutes)).timestamp() * 1000)


def _removed_then_appealed(engine: Engine, seeded: Seeded) -> int:
    """Three link warnings remove the member (the bot's kick, then the leave), the member
    appeals; returns the appeal's queue item."""
    member = seeded.script_member_id
    with writing(engine) as conn:
        group_id = int(conn.execute(select(groups.c.id).where(
            groups.c.community_id == seeded.community_id)).scalar_one())
        warned = [warning_service.do_warn(
            conn, community_id=seeded.community_id, member_id=member, group_id=group_id,
            rule="link", reason="发送未经允许的链接", evidence={}, at_ms=_ms(100 + n),
            expiry_days=30, limit=3) for n in range(3)]
        assert warned[-1].remove
        audit_repo.record(conn, entry={
            "at_ms": _ms(103), "community_id": seeded.community_id, "group_id": group_id,
            "member_id": member, "actor": "policy:moderation", "action": "kick",
            "reason": "累计 3 次警告：发送未经允许的链接（送机票）", "status": "done"})
        EventRecorder(community_id=seeded.community_id).record_many(conn, [
            MemberLeft(source="matrix", source_event_id="left", group=GROUP,
                       at=T0 + timedelta(minutes=103, seconds=2), member=user(4, SCRIPT_NICK),
                       removed_by=user(99, "机器人"))])
        item, _ = queue_service.open_item(
            conn, community_id=seeded.community_id, queue="appeal", item_key="appeal:$x",
            title="坏人 的申诉", detail={"text": "是学习资料",
                                        "warnings": [w.warning_id for w in warned]},
            member_id=member, group_id=group_id, at_ms=_ms(110))
    return item


def _back(engine: Engine, seeded: Seeded) -> None:
    # BEGIN IMMEDIATE, as the bot writes: the console app of the test may commit between
    # this transaction's first read and its write (its background report work), and a
    # plain BEGIN then fails at once with "database is locked".
    with writing(engine) as conn:
        EventRecorder(community_id=seeded.community_id).record_many(conn, [
            MemberJoined(source="matrix", source_event_id="back", group=GROUP,
                         at=T0 + timedelta(minutes=130), member=user(4, SCRIPT_NICK))])


def _text(html: str, element_class: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m).strip() for m in
            re.findall(rf'<[^>]+class="{element_class}"[^>]*>(.*?)</(?:dd|td)>', html, re.S)]


def test_withdrawn_warnings_and_the_removal_read_as_what_happened(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    item = _removed_then_appealed(engine, seeded)
    client = make_client("vol")
    page = f"/c/python-camp/members/{seeded.script_member_id}"
    before = client.get(page).text
    # Removed at the limit: each warning was counted in the removal, none is "live".
    assert _text(before, "warning-state") and all(
        s.startswith("已计入移出") for s in _text(before, "warning-state"))
    token = csrf_of(client, "/c/python-camp/queues")
    client.post(f"/c/python-camp/queues/{item}",
                data={"csrf": token, "resolution": "approved", "reason": "核实过，是学习资料"})
    _back(engine, seeded)
    html = client.get(page).text
    states = _text(html, "warning-state")
    assert len(states) == 3 and all(s.startswith("已撤销") and "vol" in s for s in states)
    assert "失效" not in "".join(states)
    (stays,) = _text(html, "member-stays")
    steps = re.findall(r"(重新入群|入群|被移出|退群)", stays)
    assert steps == ["入群", "被移出", "重新入群"]
    assert "发送未经允许的链接" in stays and "送机票" in stays
    english = client.get(page + "?lang=en").text
    assert all(s.startswith("withdrawn") for s in _text(english, "warning-state"))
    stays_en = re.findall(r'class="stay-\w+">(joined|removed|rejoined)', english)
    assert stays_en == ["joined", "removed", "rejoined"]
    (stays_words,) = _text(english, "member-stays")
    assert "（" not in stays_words and "）" not in stays_words  # walk13 #31: no full-width brackets


def test_an_admins_page_says_admins_take_no_part_and_offers_nothing_that_does_not_apply(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    """Issue 11 #33: a staff member's page offered a tier lock, a level bar and 加分 while
    saying, in the plan's keys, that admins are not tiered."""
    from qunyun.services import staff as staff_service
    from qunyun.storage.tables import identities

    with writing(engine) as conn:
        group_id = int(conn.execute(select(groups.c.id).where(
            groups.c.community_id == seeded.community_id)).scalar_one())
        staff_service.record_moderators(conn, group_id=group_id, external_ids=["@u1:localhost"],
                                        now_ms=_ms(5))
        admin = int(conn.execute(select(identities.c.member_id).where(
            identities.c.external_id == "@u1:localhost")).scalar_one())
    client = make_client("admin")
    html = client.get(f"/c/python-camp/members/{admin}").text
    assert "管理员不参与分层和积分" in html
    for gone in ('id="grant-form"', "/tier\"", "<progress", 'id="member-points"'):
        assert gone not in html, gone
    for code in ("include_admins", "bot.admins", "tier_actions", "（role）"):
        assert code not in html, code
    # Anyone else keeps them.
    other = client.get(f"/c/python-camp/members/{seeded.script_member_id}").text
    assert 'id="grant-form"' in other and "管理员不参与分层和积分" not in other


def test_the_console_speaks_in_words_not_playbook_ids(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    """Issue 11 #29: queue names, cards and the reasons of actions taken read 申诉（R3）,
    疑似假号 (R4), 分层待办 (T2) … — playbook IDs mean nothing to an operator."""
    _removed_then_appealed(engine, seeded)
    with writing(engine) as conn:
        for reason in ("R3 appeal", "O2 form", "O1 welcome"):
            audit_repo.record(conn, entry={
                "at_ms": _ms(120), "community_id": seeded.community_id,
                "member_id": seeded.script_member_id, "actor": "policy:onboarding",
                "action": "dm", "reason": reason, "status": "done"})
    client = make_client("owner")
    with engine.connect() as conn:
        group_id = int(conn.execute(select(groups.c.id).where(
            groups.c.community_id == seeded.community_id)).scalar_one())
    playbook_id = re.compile(r"[（(][A-Z]\d{1,2}[)）]")
    for lang in ("", "?lang=en"):
        for path in ("/", "/c/python-camp", "/c/python-camp/queues",
                     f"/c/python-camp/members/{seeded.script_member_id}",
                     "/c/python-camp/members", "/c/python-camp/audit",
                     "/c/python-camp/activities", "/c/python-camp/boards",
                     "/c/python-camp/volunteers", "/c/python-camp/calendar",
                     "/c/python-camp/core", "/operators", f"/c/python-camp/g/{group_id}"):
            response = client.get(path + lang)
            assert response.status_code == 200, path
            html = response.text
            visible = re.sub(r"<script.*?</script>|<[^>]+>", " ", html, flags=re.S)
            assert not playbook_id.search(visible), (path, lang, playbook_id.findall(visible))
    html = client.get(f"/c/python-camp/members/{seeded.script_member_id}?lang=zh").text
    assert "新人问卷" in html and "申诉" in html


def test_each_empty_queue_says_where_its_items_come_from(
        make_client: Make, seeded: Seeded) -> None:
    """Issue 11 #56: the empty 复活申请 queue said 「报告…里没有这类事项」 — revival
    applications come from members' !复活 and the member page, never from the report."""
    client = make_client("admin")
    client.app.state.reports.get(seeded.community_id)  # type: ignore[attr-defined]

    def empty_text(queue: str, lang: str = "zh") -> str:
        html = client.get(f"/c/python-camp/queues?queue={queue}&lang={lang}").text
        (text,) = re.findall(r'id="queue-empty">(.*?)</p>', html, re.S)
        return text

    said = {queue: empty_text(queue) for queue in ("revival", "appeal", "escalation",
                                                    "post_todo", "group_todo")}
    assert "!复活" in said["revival"] and "成员页" in said["revival"]
    assert "报告" not in said["revival"]
    assert len(set(said.values())) == len(said)  # each queue its own sentence
    assert "私信机器人发 !申诉" in said["appeal"]
    assert "群主" in said["post_todo"] and "新开群" in said["group_todo"]
    assert "!复活" in empty_text("revival", "en") and "report" not in empty_text("revival", "en")


def test_the_setup_page_states_the_password_rule_and_refuses_in_the_pages_language(
        engine: Engine) -> None:
    """Issue 11 #23: no rule under the field, the browser's own English tooltip stopped a
    short password, and the header read 「群运 · 群运控制台」."""
    from qunyun.web.app import create_app

    client = TestClient(create_app(engine, secure_cookies=False, setup_token="tok"),
                        base_url="http://127.0.0.1")
    html = client.get("/setup?token=tok").text
    assert "密码至少 10 个字符" in html and "minlength" not in html
    assert "群运 · 群运控制台" not in html
    token = csrf_of(client, "/setup?token=tok")
    short = client.post("/setup", data={"csrf": token, "token": "tok", "username": "lin",
                                        "password": "abc", "password2": "abc"})
    assert short.status_code == 400
    (error,) = re.findall(r'role="alert">(.*?)</p>', short.text)
    assert error == "密码至少 10 个字符"


def test_home_page_numbers_have_thousands_separators_and_the_bot_is_named_by_its_account(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    """Issue 11 #24: 消息 20026 without a separator (the tour printed 21,461); the bot's row
    showed the homeserver URL instead of the bot's account."""
    from qunyun.bot import accounts
    from qunyun.web.render import env
    from qunyun.web.texts import translate

    cells = env.from_string('{% from "_health.html" import health_cells %}'
                            '{{ health_cells(s, t) }}').render(
        s={"health": {}, "member_count": 1394, "messages": 20026, "senders": 384,
           "joins": 1411, "leaves": 18, "active_ratio": 0.5},
        t=lambda key, **kw: translate(key, "zh", **kw))
    assert "20,026" in cells and "1,394" in cells and "1,411 / 18" in cells
    with writing(engine) as conn:
        key = accounts.status_key(seeded.community_id, "matrix", "http://127.0.0.1:46879")
        accounts.report(conn, key=key, connected=True, synced=True,
                        account="@qunyun-bot:localhost")
        accounts.report(conn, key=key, connected=True, synced=True)  # kept on later reports
    html = make_client("owner").get("/").text
    (cell,) = re.findall(r'class="muted account-name"[^>]*>(.*?)</td>', html)
    assert cell == "@qunyun-bot:localhost"
