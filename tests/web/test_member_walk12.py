"""Member 360, the work queues and the audit log as an operator reads them after a newcomer's
first hour (issue 11 walk 12 findings 25, 26, 28, 44–47): a returning member's newcomer
steps, one nickname history per account, a removal that says who removed, warnings in
words, and a suspect card that says what already happened."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from qunyun.events import GroupRef, MemberJoined, MessagePosted, NicknameChanged, UserRef
from qunyun.services import elimination as elimination_service
from qunyun.services import onboarding as onboarding_service
from qunyun.services import plans as plan_service
from qunyun.services.ingest import EventRecorder
from qunyun.storage.engine import writing
from qunyun.storage.tables import groups
from qunyun.storage.work import audit as audit_repo
from tests.factories import T0
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded
from tests.web.test_member_walk11 import GROUP, _back, _ms, _removed_then_appealed

Make = Callable[..., TestClient]
DM = GroupRef("matrix", "!dm-lisi:localhost", None, "direct")


def _visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _block(html: str, element_id: str) -> str:
    part = html.split(f'id="{element_id}"', 1)[1]
    return _visible(part.split(">", 1)[1].split("</ul>")[0].split("</table>")[0])


def _group_id(engine: Engine, seeded: Seeded) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(groups.c.id).where(
            groups.c.community_id == seeded.community_id)).scalar_one())


def _removed_appealed_back(engine: Engine, seeded: Seeded, client: TestClient) -> None:
    """The bot's removal at the warning limit on record (as `remove_at_limit` writes it),
    the appeal upheld in the console, the member back — with the newcomer checklist the
    bot keeps: started at the first join, marked done by `welcome_back` on return."""
    member, group_id = seeded.script_member_id, _group_id(engine, seeded)
    with writing(engine) as conn:
        _text, plan = plan_service.stored_plan(conn, community_id=seeded.community_id)
        assert plan is not None
        onboarding_service.start(conn, community_id=seeded.community_id, member_id=member,
                                 group_id=group_id, at_ms=_ms(4), onboarding=plan.onboarding)
    item = _removed_then_appealed(engine, seeded)
    with writing(engine) as conn:
        elimination_service.record_removal(
            conn, community_id=seeded.community_id, member_id=member, group_id=group_id,
            key="kick:x", reason="累计 3 次警告：发送未经允许的链接（送机票）", now_ms=_ms(103))
    appeals = client.get("/c/python-camp/queues?queue=appeal").text
    card = _visible(appeals.split(f'id="item-{item}"')[1].split("</tr>")[0])
    # Walk 25: the appeal names the removal it appeals and each warning in words.
    assert "申诉的是这次移出" in card and "送机票" in card, card
    assert re.search(r"被申诉的警告（3 次）：2026-03-01 \d\d:\d\d UTC\+8 发送未经允许的链接；", card), card
    assert "1、2、3" not in card and "累计警告" not in card
    token = csrf_of(client, "/c/python-camp/queues")
    client.post(f"/c/python-camp/queues/{item}",
                data={"csrf": token, "resolution": "approved", "reason": "是学习资料"})
    _back(engine, seeded)
    with writing(engine) as conn:
        onboarding_service.welcome_back(conn, community_id=seeded.community_id,
                                        member_id=member, group_id=group_id, at_ms=_ms(130),
                                        onboarding=plan.onboarding)


def test_a_returning_member_is_not_shown_as_a_newcomer_who_did_every_step(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    """Walk 44, 46, 47: 王五 renamed nothing, introduced nothing, answered nothing; after
    the upheld appeal he is back. The page says so, the kick reads 被机器人移出, and the
    withdrawn warnings are named by when and why."""
    client = make_client("admin")
    _removed_appealed_back(engine, seeded, client)
    page = f"/c/python-camp/members/{seeded.script_member_id}"
    html = client.get(page).text
    steps = _visible(html.split('class="onboarding-steps"')[1].split("</p>")[0])
    assert "回群成员，不走新人流程" in steps and "已完成" not in steps, steps
    events = re.findall(r'class="event-kind">([^<]+)<', html)
    assert "被机器人移出" in events and "退群" not in events, events
    actions = _block(html, "member-actions")
    assert "警告编号" not in actions and "1、2、3" not in actions, actions
    assert "事项编号" not in actions and "事项：坏人 的申诉" in actions, actions  # the item by name
    assert re.search(r"撤销的警告（3 次）：2026-03-01 \d\d:\d\d UTC\+8 发送未经允许的链接", actions), \
        actions
    english = client.get(page + "?lang=en").text
    assert "a returning member: no newcomer steps" in english
    assert "removed by the bot" in english


def test_a_suspect_card_says_what_already_happened(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    """Walk 26: the suspect card of a member the bot removed and whose appeal was upheld
    says so, instead of asking again for a judgement as if nothing happened."""
    client = make_client("admin")
    _removed_appealed_back(engine, seeded, client)
    html = client.get("/c/python-camp/queues?queue=suspect").text
    card = _visible(html.split(f'id="item-{seeded.suspect_item}"')[1].split("</tr>")[0])
    assert "已经发生的事" in card and "已移出" in card and "送机票" in card, card
    assert "申诉已通过" in card and "3 次警告已撤销" in card, card
    # The buttons' meaning once, above the list; not inside each card.
    help_block = html.split('id="queue-help"')[1].split("</section>")[0]
    assert "不会移出或改动这个账号" in help_block
    assert "不会移出或改动这个账号" not in card
    # Walk13 #27: once exempted, the row still says what had happened (HTMX answer and list).
    token = csrf_of(client, "/c/python-camp/queues")
    row = client.post(f"/c/python-camp/queues/{seeded.suspect_item}",
                      data={"csrf": token, "resolution": "exempted", "reason": "申诉已通过"},
                      headers={"HX-Request": "true"}).text
    assert "已经发生的事" in _visible(row.split("</tr>")[0]) and "申诉已通过" in row
    done = client.get("/c/python-camp/queues?queue=suspect&status=exempted").text
    card = _visible(done.split(f'id="item-{seeded.suspect_item}"')[1].split("</tr>")[0])
    assert "已经发生的事" in card and "3 次警告已撤销" in card, card


def test_one_nickname_history_per_account_and_one_display_name(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    """Walk 45, 28, 52: 李四 joins, renames to 李四-上海-财务 in the group and answers the
    questionnaire in her DM, where Matrix still calls her 李四. The history says 首次记录
    once and one change, never 李四 again; her name stays the group's. The room's creator
    read from the member state on start is first seen then, not at her first message."""
    lisi = UserRef("matrix", "@lisi:localhost", "李四")
    boss = UserRef("matrix", "@boss:localhost", "运营者")
    recorder = EventRecorder(community_id=seeded.community_id)
    with writing(engine) as conn:
        recorder.names_listed(conn, group=GROUP, people=[boss], at_ms=_ms(1))
        for event in [  # one by one, as the live bot records them
            MemberJoined(source="t", source_event_id="lj", group=GROUP,
                         at=T0 + timedelta(minutes=200), member=lisi),
            NicknameChanged(source="t", source_event_id="ln", group=GROUP,
                            at=T0 + timedelta(minutes=201), member=lisi,
                            old="李四", new="李四-上海-财务"),
            MessagePosted(source="t", source_event_id="ld", group=DM,
                          at=T0 + timedelta(minutes=202), actor=lisi, text="零基础"),
            MessagePosted(source="t", source_event_id="bm", group=GROUP,
                          at=T0 + timedelta(minutes=300), actor=boss, text="欢迎大家")]:
            recorder.record(conn, event)
        lisi_id = recorder.member_id(conn, UserRef("matrix", "@lisi:localhost", None))
        boss_id = recorder.member_id(conn, UserRef("matrix", "@boss:localhost", None))
    client = make_client("admin")
    html = client.get(f"/c/python-camp/members/{lisi_id}").text
    name = re.search(r'<h1 id="member-name">([^<]*)<', html)
    assert name and name.group(1).strip() == "李四-上海-财务", name
    lines = [_visible(li).strip() for li in
             re.findall(r"<li>(.*?)</li>", html.split('id="member-nicknames"')[1]
                        .split("</ul>")[0], re.S)]
    assert len(lines) == 2, lines
    assert lines[0].startswith("李四 首次记录") and lines[1].startswith("李四 → 李四-上海-财务"), lines
    boss_page = client.get(f"/c/python-camp/members/{boss_id}").text
    first_seen = _visible(boss_page.split('id="member-first-seen">')[1].split("</dd>")[0])
    assert first_seen.startswith("2026-03-01 17:01"), first_seen  # T0 + 1 min, UTC+8
    assert boss_page.count("首次记录") == 1


def test_a_polls_post_and_result_name_no_member_in_the_audit_log(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    """Walk 28: the poll's post and its result are about the poll, not the admin who ran
    it; a vote's reply names the voter."""
    member, group_id = seeded.script_member_id, _group_id(engine, seeded)
    with writing(engine) as conn:
        for reason, action in (("A4 poll", "send"), ("A4 poll closed", "send"),
                               ("A4 vote", "reply")):
            audit_repo.record(conn, entry={
                "at_ms": _ms(50), "community_id": seeded.community_id, "group_id": group_id,
                "member_id": member, "actor": "policy:commands", "action": action,
                "reason": reason, "status": "done"})
    html = make_client("admin").get("/c/python-camp/audit").text
    rows = [r for r in html.split("<tr>")[1:] if "投票" in r]
    by_reason = {_visible(r.split('class="audit-member">')[1].split("</td>")[1]).strip():
                 _visible(r.split('class="audit-member">')[1].split("</td>")[0]).strip()
                 for r in rows}
    assert by_reason.get("发起投票") == "" and by_reason.get("投票结束") == "", by_reason
    assert by_reason.get("投票"), by_reason  # the voter


def test_a_community_with_no_events_says_there_is_no_data_yet() -> None:
    """Walk 22: 「报告截至 …」 under "—" for a community with nothing recorded."""
    from qunyun.web.render import env
    from qunyun.web.texts import translate

    def t(key: str, **kw: object) -> str:
        return translate(key, "zh", **kw)

    cells = env.get_template("_health.html").module.health_cells  # type: ignore[attr-defined]
    empty = {"health": {"score": None}, "first_event": None, "member_count": 0}
    shown = _visible(str(cells(empty, t, "2026-12-03T18:57:00+08:00")))
    assert "还没有数据" in shown and "报告截至" not in shown
    lived = {"health": {"score": 40}, "first_event": "2026-11-01T10:00:00+08:00",
             "member_count": 3}
    assert "报告截至 2026-12-03 18:57 UTC+8" in _visible(
        str(cells(lived, t, "2026-12-03T18:57:00+08:00")))


def test_a_checklist_done_by_its_steps_is_not_a_return() -> None:
    """A member who did the steps reads ✓ 已完成 even when the plan later asks for one more
    (the form); only a checklist marked done with no step at that time is a return."""
    from qunyun.plan.model import Plan
    from qunyun.web.routes.members import _onboarding_rows

    plan = Plan.model_validate({
        "community": {"name": "测", "slug": "t", "platform": "matrix"},
        "onboarding": {"nickname_pattern": "^(?P<name>[^-]+)-(?P<city>[^-]+)$",
                       "form": [{"key": "city", "question": "城市？", "required": True}]}})
    by_steps = {"welcomed_ms": 1, "nickname_ms": 5, "intro_ms": 9, "form_ms": None,
                "completed_ms": 9}
    back = {"welcomed_ms": 50, "nickname_ms": None, "intro_ms": None, "form_ms": None,
            "completed_ms": 50}
    rows = _onboarding_rows([by_steps, back], plan)
    assert [r["returning"] for r in rows] == [False, True]
