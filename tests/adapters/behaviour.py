"""The bot's behaviour as members see it, written once and run through each adapter
(I1 conformance): welcome, an advert deleted and warned, removal at the warning limit,
check-in, FAQ answer, restart without loss or repetition.

An adapter's test module provides a `Scene` (its local platform server, the bot running
on it as a task) and parametrises these scenarios with it. Matrix runs the same steps on
Synapse in `tests/e2e/test_bot_behaviour.py`.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import qrcode


class Scene(Protocol):
    """A group with an admin and a newcomer (alice), and the bot on the course plan."""

    async def start(self) -> None: ...
    async def stop_bot(self) -> None: ...
    async def start_bot(self) -> None: ...
    async def join(self) -> None: ...
    async def say(self, text: str) -> str: ...
    async def photo(self, png: bytes) -> str: ...
    async def redeliver(self) -> None: ...
    # What the platform shows: async, as a Matrix client reads it from the homeserver.
    async def bot_said(self, needle: str) -> int: ...
    async def mentioned_alice(self, needle: str) -> bool: ...
    async def deleted(self, message_id: str) -> bool: ...
    async def removed(self) -> bool: ...


class JoinScene(Scene, Protocol):
    """A platform with join requests (G1): Telegram, QQ. `threshold` is set before start."""

    threshold: dict[str, object] | None

    async def request_join(self, answer: str) -> None: ...
    # The answers the platform was given for the applicant: (approved, reason shown).
    async def answers(self) -> list[tuple[bool, str]]: ...
    async def decide_in_console(self, approve: bool, reason: str) -> None: ...


def scene_plan(*, admin: int, admin_room: int, threshold: dict[str, object] | None = None,
               plan_edit: Callable[[dict[str, Any]], None] | None = None) -> Any:
    """The course plan a platform scene runs: its admin and admins' group, a one-second
    welcome batch (the scenarios wait for it), the join threshold and any test's edit."""
    from qunyun.plan.model import Plan
    from tests.policies.test_bot_policies import camp_plan

    data = camp_plan().model_dump()
    data["bot"]["admins"] = [str(admin)]
    data["bot"]["admin_room"] = str(admin_room)
    data["onboarding"]["welcome_batch_seconds"] = 1
    if threshold is not None:
        data["threshold"] = threshold
    if plan_edit is not None:
        plan_edit(data)
    return Plan.model_validate(data)


class Closing(Protocol):
    async def start(self) -> None: ...
    async def close(self) -> None: ...


S = TypeVar("S", bound=Closing)


async def play(scene: S, scenario: Callable[[S], Awaitable[None]],
               seconds: float = 60) -> None:
    """Start the scene, run one scenario through it, and close it whatever happened."""
    try:
        await scene.start()
        await asyncio.wait_for(scenario(scene), seconds)
    finally:
        await scene.close()


async def until(check: Callable[[], Awaitable[object]], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the bot did not get there in time")


def qr_png() -> bytes:
    buf = io.BytesIO()
    qrcode.make("https://u.wechat.com/abc").save(buf, format="PNG")
    return buf.getvalue()


async def welcome(s: Scene) -> None:
    await s.join()
    await until(lambda: s.bot_said("欢迎加入"))
    assert await s.mentioned_alice("欢迎加入")


async def advert_deleted_and_warned(s: Scene) -> None:
    await s.join()
    link = await s.say("福利 https://spam.example.com/x")
    await until(lambda: s.deleted(link))
    await until(lambda: s.bot_said("第 1 次警告"))
    assert await s.mentioned_alice("第 1 次警告")


async def _three_strikes(s: Scene) -> None:
    """Alice breaks the rules three times (the camp plan's warning limit): a link, a QR
    code, an advert; each is deleted."""
    link = await s.say("福利 https://spam.example.com/x")
    await until(lambda: s.deleted(link))
    photo = await s.photo(qr_png())
    await until(lambda: s.deleted(photo))
    ad = await s.say("代購正品，價格優惠，私聊我")
    await until(lambda: s.deleted(ad))


async def removed_at_the_limit(s: Scene) -> None:
    await s.join()
    await _three_strikes(s)
    await until(s.removed)
    await until(lambda: s.bot_said("被移出本群"))


async def checkin(s: Scene) -> None:
    await s.join()
    await s.say("打卡 今天学了一小时 pandas")
    await until(lambda: s.bot_said("打卡成功"))
    await until(lambda: s.bot_said("连续 1 天"))


async def faq(s: Scene) -> None:
    await s.join()
    await s.say("直播回放在哪里看呀")
    await until(lambda: s.bot_said("群公告置顶的链接"))


async def restart_without_loss_or_repetition(s: Scene) -> None:
    await s.join()
    await until(lambda: s.bot_said("欢迎加入"))
    await s.say("打卡 第一天")
    await until(lambda: s.bot_said("打卡成功"))
    await s.stop_bot()
    await s.start_bot()
    # What the platform sends again after a reconnect (or an unconfirmed offset re-reads)
    # changes nothing: one welcome, one check-in answer.
    await s.redeliver()
    await s.say("直播回放在哪里看呀")  # and what comes after the restart is handled
    await until(lambda: s.bot_said("群公告置顶的链接"))
    await asyncio.sleep(1.5)  # a welcome batch window: a repeated welcome would be out
    assert await s.bot_said("欢迎加入") == 1
    assert await s.bot_said("打卡成功") == 1


async def terminal_lines(s: Scene) -> None:
    """Walk finding 71: while `qunyun up` runs, the terminal shows what the bot does, one
    Chinese line each — the welcome, each warning, the removal."""
    from qunyun import activity

    lines: list[str] = []
    printer = activity.LinePrinter(lines.append)
    activity.LOG.addHandler(printer)
    level = activity.LOG.level
    activity.LOG.setLevel(logging.INFO)

    async def said(needle: str) -> bool:
        return any(needle in line for line in lines)

    try:
        await s.join()
        await until(lambda: said("欢迎新人："))
        await _three_strikes(s)
        await until(s.removed)
        await until(lambda: said("移出："))
    finally:
        activity.LOG.removeHandler(printer)
        activity.LOG.setLevel(level)
    assert [line for line in lines if "警告：" in line][:2] and all(
        line[:8].count(":") == 2 for line in lines)  # each line starts with the time
    (removal,) = [line for line in lines if "移出：" in line]
    assert "累计 3 次警告" in removal


async def help_is_a_members_own(s: Scene) -> None:
    """Issue 11 walk12 finding 11: a member's `!帮助` lists what a member can use."""
    await s.join()
    await s.say("!帮助")
    await until(lambda: s.bot_said("我能做的"))
    assert await s.bot_said("!帮助 全部") == 1
    assert await s.bot_said("!发起投票") == 0 and await s.bot_said("!加分") == 0


SCENARIOS: dict[str, Callable[[Scene], Awaitable[None]]] = {
    "welcome": welcome,
    "advert_deleted_and_warned": advert_deleted_and_warned,
    "removed_at_the_limit": removed_at_the_limit,
    "checkin": checkin,
    "faq": faq,
    "restart": restart_without_loss_or_repetition,
    "terminal_lines": terminal_lines,
    "help": help_is_a_members_own,
}


# R2/R3 DMs (issue 11): the removal is explained by DM before it happens, and a DM the
# platform refuses is the operator's to-do with the text ready, never lost.
class DmScene(Scene, Protocol):
    engine: Any
    cid: int
    platform: str
    alice_id: str

    async def open_dm(self) -> None: ...  # what the platform needs before a bot DM
    async def refuse_dms(self) -> None: ...  # from now on the platform refuses DMs to alice
    # The calls on the wire about alice, in order: ("dm", text) for every DM the bot sent
    # her (or tried to), ("kick", "") for a removal.
    async def wire(self) -> list[tuple[str, str]]: ...


def dm_todos(engine: Any) -> list[dict[str, Any]]:
    """The console's 待发私信 items: title, member and detail."""
    from qunyun.storage.work import queues as queue_repo

    with engine.connect() as conn:
        cids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM communities")]
        return [dict(i) for cid in cids for i in queue_repo.list_items(
            conn, community_id=cid, queue="dm_todo", status="open")]


async def told_why_before_the_removal(s: DmScene) -> None:
    await s.open_dm()
    await s.join()
    await _three_strikes(s)
    await until(s.removed)
    calls = await s.wire()
    told = [i for i, (what, text) in enumerate(calls)
            if what == "dm" and "被移出" in text and "!申诉" in text]
    kicked = [i for i, (what, _) in enumerate(calls) if what == "kick"]
    assert told and kicked, calls
    assert told[0] < kicked[0], calls  # the DM first: after the removal she may be unreachable
    assert dm_todos(s.engine) == []


async def refused_dm_is_an_operator_todo(s: DmScene) -> None:
    from qunyun.services import lookup

    await s.open_dm()
    await s.join()
    await s.refuse_dms()
    await _three_strikes(s)
    await until(s.removed)  # the removal goes ahead; the explanation is not lost

    def removal_todos() -> list[dict[str, Any]]:
        # (the newcomer form's DM, refused too, is a to-do of its own)
        return [i for i in dm_todos(s.engine) if i["detail"]["purpose"] == "R2 removal notice"]

    async def todo_opened() -> bool:
        return bool(removal_todos())

    await until(todo_opened)
    (item,) = removal_todos()
    with s.engine.connect() as conn:
        (alice,) = lookup.member_ids_of(conn, community_id=s.cid, platform=s.platform,
                                        user_ids=[s.alice_id])
    assert item["member_id"] == alice
    detail = item["detail"]
    assert "被移出" in detail["dm_text"] and "!申诉" in detail["dm_text"]  # ready to copy
    assert detail["undelivered"] and "retcode" not in detail["undelivered"]  # words, no codes
    assert detail["name"] in item["title"] and "私信没能送达" in item["title"]
    audited = _scalar(s.engine, "SELECT detail FROM audit_log WHERE action = 'dm' AND "
                                "reason = 'R2 removal notice'")
    assert "待发私信" in str(audited)


async def checklist_progress_where_the_member_reads_it(s: DmScene) -> None:
    """Issue 11 walk12 findings 8/10: a newcomer's 「收到你的自我介绍 ✓ 还差：…」 goes to her
    DM where the bot may write first (QQ, Matrix), to the group where it may not
    (Telegram: only members who pressed Start)."""
    from qunyun.capabilities import of_platform

    await s.open_dm()
    await s.join()
    await until(lambda: s.bot_said("欢迎加入"))
    await s.say("大家好，我是小王，在杭州做财务，想用 Python 把每月的报表自动化。")

    async def acked() -> bool:
        in_dm = [t for what, t in await s.wire() if what == "dm" and "收到你的自我介绍" in t]
        return bool(in_dm) or bool(await s.bot_said("收到你的自我介绍"))

    await until(acked)
    in_dm = [t for what, t in await s.wire() if what == "dm" and "收到你的自我介绍" in t]
    if of_platform(s.platform).dm_without_start:
        assert in_dm and "还差：改群昵称（格式：名字-城市-职业" in in_dm[0]
        assert await s.bot_said("收到你的自我介绍") == 0
    else:
        assert not in_dm and await s.bot_said("收到你的自我介绍") == 1


DM_SCENARIOS: dict[str, Callable[[DmScene], Awaitable[None]]] = {
    "told_why_before_the_removal": told_why_before_the_removal,
    "refused_dm_is_an_operator_todo": refused_dm_is_an_operator_todo,
    "checklist_progress": checklist_progress_where_the_member_reads_it,
}


# The admins' room (issue 11 walk findings 12 and 17): an alert @-mentions the plan's
# admin (a real mention), a burst of alerts pings once; a removal and an appeal are told
# there in one message each, saying who, why and what an admin can do; the appeal, waiting
# on a decision, pings even within the burst's ten minutes.
class AdminRoomScene(DmScene, Protocol):
    async def dm(self, text: str) -> None: ...  # alice writes to the bot in private
    # The bot's messages in the admins' room, oldest first: (text, whether it mentions the
    # plan's admin as the platform's real mention).
    async def admins_room(self) -> list[tuple[str, bool]]: ...


async def _in_admins_room(s: AdminRoomScene, needle: str, count: int = 1) -> None:
    async def there() -> bool:
        return sum(needle in t for t, _ in await s.admins_room()) >= count

    await until(there)


async def admins_hear_of_alerts_removals_and_appeals(s: AdminRoomScene) -> None:
    await s.open_dm()
    await s.join()
    await s.say("老师，请问结业证书怎么领取？")
    await _in_admins_room(s, "【需要人工】")
    ((first, pinged),) = [m for m in await s.admins_room() if "【需要人工】" in m[0]]
    assert pinged and "请处理：" in first, first  # the admin who can act is notified
    # The console page it is about, where the console's address is known (bot13); a
    # scene that sets none gets no made-up link.
    console = os.environ.get("QUNYUN_CONSOLE_URL", "").rstrip("/")
    link = f"\n控制台：{console}/c/" if console else "控制台："
    assert (link in first and "/queues/" in first) if console else link not in first, first
    await s.say("老师，请问发票怎么开？")  # a second alert right after: no second ping
    await _in_admins_room(s, "【需要人工】", 2)
    await _three_strikes(s)
    await until(s.removed)
    await _in_admins_room(s, "【已移出】")
    ((removal, pinged),) = [m for m in await s.admins_room() if "【已移出】" in m[0]]
    assert not pinged, removal  # done already: a notice, nobody's phone buzzes
    assert "累计 3 次警告" in removal and "代为提交复活申请" in removal, removal
    assert (link in removal and "/members/" in removal) if console else link not in removal
    await s.dm("!申诉 我发的是课程资料链接")
    await _in_admins_room(s, "【申诉】")
    ((appeal, pinged),) = [m for m in await s.admins_room() if "【申诉】" in m[0]]
    assert "我发的是课程资料链接" in appeal and "工作队列「申诉」" in appeal, appeal
    assert "被移出" in appeal and "邀请 ta 回群" in appeal, appeal
    assert (link in appeal and "/queues/" in appeal) if console else link not in appeal
    # An appeal waits on an admin's decision: it pings within the ten minutes too
    # (walk13 finding 45).
    assert pinged and "请处理：" in appeal, appeal
    said = await s.admins_room()
    assert sum(pinged for _, pinged in said) == 2, said  # one for the burst, one the appeal


ADMIN_SCENARIOS: dict[str, Callable[[AdminRoomScene], Awaitable[None]]] = {
    "admins_hear_of_alerts_removals_and_appeals": admins_hear_of_alerts_removals_and_appeals,
}


# G1: the plan's threshold answers join requests; where it cannot, the operator does.
KEYWORDS = {"type": "application", "application_questions": ["谁介绍你来的？"],
            "answer_keywords": ["朋友介绍"], "reject_reason": "请写明介绍人再申请"}
REVIEW = {"type": "application", "application_questions": ["谁介绍你来的？"]}


async def join_request_approved_by_keyword(s: JoinScene) -> None:
    await s.request_join("我是朋友介绍来的")
    await until(s.answers)
    assert await s.answers() == [(True, "")]


async def join_request_rejected_with_reason(s: JoinScene) -> None:
    await s.request_join("路过看看")

    async def with_its_reason() -> bool:
        # Where the platform shows no reason on a decline (Telegram), the bot sends it as a
        # DM just after the decline: wait for both.
        return any(reason for _, reason in await s.answers())

    await until(with_its_reason)
    assert await s.answers() == [(False, "请写明介绍人再申请")]


async def _with_a_reason(s: JoinScene) -> bool:
    return any(reason for _, reason in await s.answers())


async def join_request_decided_in_console(s: JoinScene) -> None:
    await s.request_join("想学 Python")
    await asyncio.sleep(1.0)
    assert await s.answers() == []  # the plan has no words: it waits for the operator
    await s.decide_in_console(False, "本期名额已满，下期再来")
    await until(lambda: _with_a_reason(s))  # Telegram: the reason's DM follows the decline
    assert await s.answers() == [(False, "本期名额已满，下期再来")]


JOIN_SCENARIOS: dict[str, tuple[dict[str, object],
                                Callable[[JoinScene], Awaitable[None]]]] = {
    "join_request_approved_by_keyword": (KEYWORDS, join_request_approved_by_keyword),
    "join_request_rejected_with_reason": (KEYWORDS, join_request_rejected_with_reason),
    "join_request_decided_in_console": (REVIEW, join_request_decided_in_console),
}


async def decide_open_request(engine: object, community_id: int, approve: bool,
                              reason: str) -> None:
    """The console's decision on the one open join request (as the queue page makes it)."""
    from sqlalchemy import Engine

    from qunyun.services import admission
    from qunyun.storage.work import queues as queue_repo

    assert isinstance(engine, Engine)
    for _ in range(100):
        with engine.begin() as conn:
            items = [i for i in queue_repo.list_items(conn, community_id=community_id,
                                                      queue="join_request", status="open")]
            if items:
                admission.decide(conn, community_id=community_id, item_id=int(items[0]["id"]),
                                 operator="lin", approve=approve, reason=reason)
                return
        await asyncio.sleep(0.05)
    raise AssertionError("no join request waited in the console")


# T2 roles: a tier title the bot gives through the adapter, or leaves as an operator to-do.
def give_role(engine: object, community_id: int, group: object, member: object,
              role: str = "意见领袖", give: bool = True) -> int:
    """Put the policy's SetRole for `member` in the outbox (as the daily tier pass does);
    the running bot's timer loop delivers it. Its audit id."""
    from sqlalchemy import Engine

    from qunyun.effects import SetRole
    from qunyun.events import GroupRef, UserRef
    from qunyun.services import audit

    assert isinstance(engine, Engine) and isinstance(group, GroupRef)
    assert isinstance(member, UserRef)
    effect = SetRole(group=group, member=member, role=role, tier="opinion_leader", level=20,
                     give=give,
                     policy="tier_actions", reason="T2 role given" if give else
                     "T2 role taken back")
    with engine.begin() as conn:
        return audit.record_operator_effect(conn, effect, community_id=community_id,
                                            operator="test", member_id=None, group_id=None)


async def delivered(engine: object, audit_id: int) -> tuple[str, str]:
    """(status, detail) of the outbox entry once the bot has delivered or failed it."""
    from sqlalchemy import Engine, text

    assert isinstance(engine, Engine)
    for _ in range(400):
        with engine.connect() as conn:
            status, detail = conn.execute(text(
                "SELECT status, detail FROM audit_log WHERE id = :i"), {"i": audit_id}).one()
        if status in ("done", "failed"):
            return str(status), str(detail or "")
        await asyncio.sleep(0.05)
    raise AssertionError("the bot did not deliver the effect in time")


def role_todos(engine: object) -> list[tuple[str, str]]:
    """The operator's to-dos about titles: (title, detail as text)."""
    from sqlalchemy import Engine, text

    assert isinstance(engine, Engine)
    with engine.connect() as conn:
        return [(str(t), str(d)) for t, d in conn.execute(text(
            "SELECT title, detail FROM work_items WHERE item_key LIKE 'role:%' ORDER BY id"))]


# T4 volunteers: invited by DM, `!接受` in the DM, `!警告` a member (done) and an admin
# (refused). Matrix runs the same steps on Synapse in tests/e2e/test_volunteers.py.
class VolunteerScene(Scene, Protocol):
    """The group with alice (to become a volunteer), bob (a member) and the admin."""

    platform: str
    alice_id: str
    engine: Any
    cid: int
    plan_edit: Callable[[dict[str, Any]], None] | None  # applied to the plan before start
    async def open_dm(self) -> None: ...  # what the platform needs before a bot DM
    async def dm(self, text: str) -> None: ...  # alice writes to the bot in private
    async def bot_dmed_alice(self, needle: str) -> int: ...
    async def member_speaks(self, text: str) -> None: ...  # bob, in the group
    # Alice in the group: `before` @who `after`, with who "member" (bob) or "admin".
    async def say_mentioning(self, before: str, who: str, after: str) -> str: ...


def volunteer_plan(data: dict[str, Any]) -> None:
    """The course plan with no onboarding form (the only DM is the invitation) and no tier
    actions."""
    data["onboarding"]["form"] = []
    data["tier_actions"] = None


def _scalar(engine: Any, sql: str) -> Any:
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


async def known(s: VolunteerScene, *user_ids: str) -> None:
    """Wait until the bot has these people in the community's members."""
    from qunyun.services import lookup

    async def all_known() -> bool:
        with s.engine.connect() as conn:
            return len(lookup.member_ids_of(conn, community_id=s.cid, platform=s.platform,
                                            user_ids=list(user_ids))) == len(user_ids)

    await until(all_known)


async def alice_speaks_and_is_invited(s: VolunteerScene) -> None:
    """The shared T4 step: alice (in the group) introduces herself; once the bot knows her
    the operator invites her from the console (the bot's DM of it is left to the platform:
    sent, or an operator to-do)."""
    from qunyun.services import lookup
    from qunyun.services import volunteers as volunteer_service

    await s.say("大家好，我是小王")
    await known(s, s.alice_id)
    with s.engine.begin() as conn:
        (mid,) = lookup.member_ids_of(conn, community_id=s.cid, platform=s.platform,
                                      user_ids=[s.alice_id])
        assert volunteer_service.invite_by_operator(
            conn, community_id=s.cid, member_id=mid, plan=_stored_plan(s), operator="lin",
            now_ms=int(time.time() * 1000), role="答疑志愿者")


async def volunteer_accepts_warns_a_member_and_not_an_admin(s: VolunteerScene) -> None:
    await s.join()
    await until(lambda: s.bot_said("欢迎加入"))
    await s.open_dm()
    await s.member_speaks("大家好，我是小周")
    await known(s, BOB_ID)
    await alice_speaks_and_is_invited(s)
    await until(lambda: s.bot_dmed_alice("!接受"))
    await s.dm("!接受 答疑志愿者")
    await until(lambda: s.bot_dmed_alice("欢迎加入志愿者团队"))

    await s.say_mentioning("!警告 ", "member", " 请不要刷屏")
    await until(lambda: s.bot_said("提醒你：请不要刷屏"))
    assert _scalar(s.engine, "SELECT count(*) FROM bot_warnings WHERE rule = 'volunteer'") == 1
    assert str(_scalar(s.engine, "SELECT actor FROM audit_log WHERE action = "
                                 "'volunteer.warn'")).startswith("volunteer:")

    await s.say_mentioning("!警告 ", "admin", " 你也刷屏")
    await until(lambda: s.bot_said("不能对管理员使用"))
    assert _scalar(s.engine, "SELECT count(*) FROM bot_warnings WHERE rule = 'volunteer'") == 1


def _stored_plan(s: VolunteerScene) -> Any:
    plan = getattr(s, "plan", None)
    assert plan is not None and plan.volunteers is not None
    return plan


BOB_ID = "20004"  # the member a volunteer warns, on every platform's local server
