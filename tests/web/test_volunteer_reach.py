"""Issue 11 #68 in the console: volunteer candidates are members a bot of the community can
reach; an imported Telegram member under a Matrix bot is left out of the candidates (the
page says how many and why), inviting one by hand is an operator to-do 「这位成员在
Telegram，机器人联系不到」 and no DM, and a queued DM is never shown as sent: the roster
shows the outbox's result (queued, delivered, not sent and why)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from qunyun.bot import accounts
from qunyun.events import GroupRef, MessagePosted, UserRef
from qunyun.services import audit
from qunyun.services.ingest import EventRecorder
from tests.factories import T0
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded
from tests.web.test_pages import _ok
from tests.web.test_volunteer_pages import VOL, member_id

Make = Callable[..., TestClient]
TG_GROUP = GroupRef("telegram", "-100777", "进阶营（Telegram 导入）")


def _telegram_history_and_a_matrix_bot(engine: Engine, cid: int) -> None:
    """A very active member known only from an imported Telegram export, and the
    community's Matrix bot has run (as `qunyun up` records it)."""
    talker = UserRef("telegram", "user1", "许敏洋")
    events = [MessagePosted(source="tg-export", source_event_id=f"t{i}", group=TG_GROUP,
                            at=T0 + timedelta(hours=i), actor=talker, text="今天的作业我做完了")
              for i in range(60)]
    with engine.begin() as conn:
        EventRecorder(community_id=cid).record_many(conn, events)
        accounts.report(conn, key=accounts.status_key(cid, "matrix", "demo"), connected=True,
                        synced=True)


def test_candidates_are_members_the_bot_can_reach(make_client: Make, seeded: Seeded,
                                                  engine: Engine) -> None:
    _telegram_history_and_a_matrix_bot(engine, seeded.community_id)
    client = make_client("vol")
    client.app.state.reports.get(seeded.community_id)  # type: ignore[attr-defined]
    page = _ok(client, VOL)
    candidates = page[page.index('id="vol-candidates"'):]
    tg = member_id(engine, "user1")
    assert f'/members/{tg}"' not in candidates
    assert "位活跃成员在 Telegram，那里没有连接机器人账号，机器人联系不到" in candidates
    listed = candidates.split("</table>")[0]
    assert "/members/" in listed  # the seed's Matrix members are still there


def test_inviting_an_unreachable_member_is_an_operator_todo_not_a_dm(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    _telegram_history_and_a_matrix_bot(engine, seeded.community_id)
    client = make_client("vol")
    tg = member_id(engine, "user1")
    done = client.post(f"{VOL}/invite", data={"csrf": csrf_of(client, VOL), "member_id": tg,
                                              "role": "答疑志愿者"}, follow_redirects=False)
    page = _ok(client, done.headers["location"])
    assert "机器人联系不到这位成员" in page and "私信由机器人发出" not in page
    with engine.connect() as conn:
        dms = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'dm' "
                                "AND member_id = :m"), {"m": tg}).scalar_one()
        assert dms == 0  # nothing the Matrix bot would try to send to a Telegram id
    queue = _ok(client, "/c/python-camp/queues?queue=todo")
    assert "许敏洋：请亲自私信邀请 ta 做志愿者（这位成员在 Telegram，机器人联系不到）" in queue
    assert "你好，许敏洋" in queue  # the draft is ready
    roster = _ok(client, VOL).split('id="vol-roster"')[1].split("</table>")[0]
    assert "机器人联系不到，已转为待办：这位成员在 Telegram，机器人联系不到" in roster


def test_a_queued_invitation_shows_its_delivery_result(make_client: Make, seeded: Seeded,
                                                       engine: Engine) -> None:
    _telegram_history_and_a_matrix_bot(engine, seeded.community_id)
    client = make_client("vol")
    mid = member_id(engine, "@u2:localhost")
    done = client.post(f"{VOL}/invite", data={"csrf": csrf_of(client, VOL), "member_id": mid},
                       follow_redirects=False)
    page = _ok(client, done.headers["location"])
    assert "私信已排队，由机器人发出" in page
    roster = page[page.index('id="vol-roster"'):page.index("</table>")]
    assert "已排队，等机器人发出" in roster and "已送达" not in roster
    with engine.begin() as conn:
        (dm_id,) = conn.execute(text("SELECT id FROM audit_log WHERE action = 'dm' "
                                     "AND member_id = :m"), {"m": mid}).one()
        audit.mark_delivery(conn, audit_id=int(dm_id), ok=False,
                            detail="需要运营者处理：对方没有和机器人开过私聊，私信没有送达")
    roster = _ok(client, VOL).split('id="vol-roster"')[1].split("</table>")[0]
    assert "没有发出：对方没有和机器人开过私聊，私信没有送达" in roster
    with engine.begin() as conn:
        audit.mark_delivery(conn, audit_id=int(dm_id), ok=True)
    roster = _ok(client, VOL).split('id="vol-roster"')[1].split("</table>")[0]
    assert "已送达" in roster
    member_page = _ok(client, f"/c/python-camp/members/{mid}")
    assert "邀请私信：已送达" in member_page  # member 360 shows it too


def test_approving_the_removal_of_a_member_no_bot_can_reach_is_an_operator_todo(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    """Issue 11 #54: the 淘汰候选 row says before the click that no bot can reach or remove
    the imported Telegram member, and approving it opens the operator's to-do; a Matrix
    member's row has no such note; each queue's buttons say what they do."""
    from qunyun.services import queues

    _telegram_history_and_a_matrix_bot(engine, seeded.community_id)
    tg, local = member_id(engine, "user1"), member_id(engine, "@u2:localhost")
    with engine.begin() as conn:
        far, _ = queues.open_item(conn, community_id=seeded.community_id, queue="elimination",
                                  item_key=f"elimination:{tg}",
                                  title="许敏洋：已 21 天未发言", detail={}, member_id=tg)
        near, _ = queues.open_item(conn, community_id=seeded.community_id, queue="elimination",
                                   item_key=f"elimination:{local}",
                                   title="用户2：已 21 天未发言", detail={}, member_id=local)
    client = make_client("admin")
    page = _ok(client, "/c/python-camp/queues?queue=elimination")
    far_row = page.split(f'id="item-{far}"')[1].split("</tr>")[0]
    near_row = page.split(f'id="item-{near}"')[1].split("</tr>")[0]
    # Said once above the list (issue 11 walk 34), the row keeps a short tag.
    help_block = page.split('id="queue-help"')[1].split("</section>")[0]
    assert "以下 1 位成员在 Telegram，那里没有连接机器人账号" in help_block
    assert "批准后每人生成一条待办" in help_block
    assert "在 Telegram：机器人联系不到" in far_row
    assert "机器人联系不到" not in near_row
    assert "报告列出的候选不会被机器人移出" in help_block  # what 批准 does
    suspects = _ok(client, "/c/python-camp/queues?queue=suspect")
    assert "不会移出或改动这个账号" in suspects

    done = client.post(f"/c/python-camp/queues/{far}",
                       data={"csrf": csrf_of(client, "/c/python-camp/queues"),
                             "resolution": "approved", "reason": ""},
                       headers={"hx-request": "true"})
    assert "已批准，但机器人联系不到这位成员（在 Telegram）：已转为待办" in done.text
    assert "「待你亲自移出」" in done.text
    # Walk13 #61: beside 淘汰候选 in a queue of its own, not under 分层待办, and its
    # evidence in words: 候选 / 批准人, not candidate： / approved_by：.
    assert "已批准淘汰" not in _ok(client, "/c/python-camp/queues?queue=todo")
    todo = _ok(client, "/c/python-camp/queues?queue=removal_todo")
    assert "待你亲自移出" in todo
    assert "许敏洋：已批准淘汰，请在 Telegram 里亲自移出（这位成员在 Telegram，机器人联系不到）" in todo
    assert "候选：许敏洋：已 21 天未发言" in todo and "批准人：admin" in todo
    assert "candidate：" not in todo and "approved_by：" not in todo
    client.cookies.set("qunyun_lang", "en")
    english = _ok(client, "/c/python-camp/queues?queue=elimination&status=approved")
    assert "Approved, but no bot can reach this member (on Telegram)" in english
    english_todo = _ok(client, "/c/python-camp/queues?queue=removal_todo")
    assert "许敏洋: removal approved; remove them on Telegram yourself" in english_todo
    assert "approved by: admin" in english_todo


def test_the_calendar_says_which_groups_get_its_posts(make_client: Make, seeded: Seeded,
                                                      engine: Engine) -> None:
    """Issue 11 #35: 「全部群」 includes the imported Telegram group; the calendar page says
    the bot posts to the Matrix room and that the Telegram group (no bot) gets nothing."""
    client = make_client("admin")
    assert 'id="calendar-reach"' not in _ok(client, "/c/python-camp/calendar")  # one bot
    _telegram_history_and_a_matrix_bot(engine, seeded.community_id)
    page = _ok(client, "/c/python-camp/calendar")
    line = page.split('id="calendar-reach"')[1].split("</p>")[0]
    assert "机器人会把日历帖发到：Python 训练营 · 答疑群" in line
    assert "没有连接机器人账号的群：进阶营（Telegram 导入）——那里只有导入的聊天记录，日历帖发不到这些群" in line
    added = client.post("/c/python-camp/calendar/add", data={
        "csrf": csrf_of(client, "/c/python-camp/calendar"), "text": "周末读书会",
        "at": "20:00", "every": "day", "day": "2030-01-01"}, follow_redirects=False)
    assert added.status_code == 303
    with engine.connect() as conn:
        entry = conn.execute(text("SELECT id FROM schedule_entries WHERE origin = 'console'")
                             ).scalar_one()
    preview = _ok(client, f"/c/python-camp/calendar/{entry}/preview")  # marks the group
    tg_part = preview.split("进阶营（Telegram 导入）")[1][:400]
    assert "这个群没有连接机器人账号：不会发出" in tg_part
    client.cookies.set("qunyun_lang", "en")
    english = _ok(client, "/c/python-camp/calendar").split('id="calendar-reach"')[1]
    assert "Groups with no bot account connected" in english.split("</p>")[0]


def test_an_escalations_reply_is_sent_from_the_console_as_the_bots_reply(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    """Issue 11 #55: a question the FAQ cannot answer, through the real pipeline, becomes a
    升级处理 item whose draft the operator edits and sends as the bot's reply to the
    member's message: queued in the outbox as the operator's, the item closed as done."""
    from qunyun.bot.wiring import build_policies
    from qunyun.pipeline.runner import Pipeline
    from qunyun.services import plans as plan_service

    with engine.connect() as conn:
        _text, plan = plan_service.stored_plan(conn, community_id=seeded.community_id)
    assert plan is not None
    group = GroupRef("matrix", "!qa:localhost", "Python 训练营 · 答疑群")
    question = MessagePosted(source="live", source_event_id="$q1", group=group,
                             at=T0 + timedelta(days=1), actor=UserRef(
                                 "matrix", "@u2:localhost", "用户2"),
                             text="老师，请问结业证书怎么领取？")
    Pipeline(engine, community_id=seeded.community_id, plan=plan,
             policies=build_policies(plan)).process(question)
    client = make_client("admin")
    page = _ok(client, "/c/python-camp/queues?queue=escalation")
    assert "以机器人身份回复" in page and "结业证书" in page
    with engine.connect() as conn:
        (item_id,) = conn.execute(text("SELECT id FROM work_items WHERE queue = 'escalation' "
                                       "AND status = 'open'")).one()
    token = csrf_of(client, "/c/python-camp/queues")
    empty = client.post(f"/c/python-camp/queues/{item_id}/reply",
                        data={"csrf": token, "text": "  "})
    assert "没有发出：回复内容是空的" in empty.text
    # Issue 11 walk13 #22: the draft's note for the admin is never sent to the member.
    draft = "@用户2 你好，看到你的消息了。【请写你自己的回答：常见问题里没有答这个的条目】"
    refused = client.post(f"/c/python-camp/queues/{item_id}/reply",
                          data={"csrf": token, "text": draft})
    assert "没有发出：回复里还有【请…】提示：先把它换成你的回答，再发送" in refused.text
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'reply' "
                                 "AND actor = 'operator:admin'")).scalar_one() == 0
    sent = client.post(f"/c/python-camp/queues/{item_id}/reply",
                       data={"csrf": token, "text": "结业证书在结营后一周内发到邮箱。"})
    assert "回复已排队，由机器人发出" in sent.text
    with engine.connect() as conn:
        row = conn.execute(text("SELECT actor, status, effect FROM audit_log WHERE "
                                "action = 'reply' ORDER BY id DESC")).first()
        status = conn.execute(text("SELECT status, resolution FROM work_items WHERE id = :i"),
                              {"i": item_id}).one()
    assert row is not None and row.actor == "operator:admin" and row.status == "pending"
    assert "$q1" in str(row.effect) and "结业证书在结营后一周内" in str(row.effect)
    assert status.status == "done" and "已以机器人身份回复" in status.resolution
    again = client.post(f"/c/python-camp/queues/{item_id}/reply",
                        data={"csrf": token, "text": "再发一次"})
    assert "这条事项已经处理过了" in again.text


def test_the_unreachable_count_says_this_page_when_the_list_has_more_pages() -> None:
    """Issue 11 walk13 #21: 「以下 93 位成员在 Telegram」 beside a counter of 218 read as
    "only 93 of them"; a list over several pages says the count is this page's."""
    from qunyun.web.routes.queues import _help_lines

    items = [{"id": n, "status": "open", "queue": "elimination", "item_key": f"e{n}"}
             for n in range(3)]
    far = dict.fromkeys(range(3), "telegram")
    one_page = [t for _, t in _help_lines(items, far, {}, None, "Asia/Shanghai", "zh")]
    assert any(t.startswith("以下 3 位成员在 Telegram") for t in one_page), one_page
    paged = [t for _, t in _help_lines(items, far, {}, None, "Asia/Shanghai", "zh", paged=True)]
    assert any(t.startswith("本页列出的 3 位成员在 Telegram") for t in paged), paged
    english = [t for _, t in _help_lines(items, far, {}, None, "UTC", "en", paged=True)]
    assert any(t.startswith("The 3 members listed on this page are on Telegram") for t in english)
