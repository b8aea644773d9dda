"""A2 commands and FAQ replies, A3 check-ins, A4 polls: what members ask the bot for.

Commands (both prefixes `!`/`！`, Chinese and English names): !规则 !积分 !打卡 !作业
!帮助 !发起投票 !投票 !结束投票 !申诉 (`!排行` and `!加分`/`!减分` are answered by
`policies/boards.py`). Admins (the plan's `bot.admins` and the room's moderators) start
and close polls. An appeal records which warnings it is about, so approving it in the
console withdraws exactly those (R3); a member with neither a warning nor a removal is told
there is nothing to appeal, and nothing is filed. A message containing a check-in keyword
of a plan campaign (e.g. "打卡 今天读了 30 页") is a check-in too. FAQ keywords are matched
after folding Traditional to Simplified, so 「群規」 finds the same answer as 「群规」.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from qunyun.domain.commands import Command
from qunyun.effects import Alert, DirectMessage, Effect, InviteLink, Reply, Send
from qunyun.events import Event, MessagePosted
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.plan.model import Plan
from qunyun.plan.render import render_rules
from qunyun.policies.base import STAFF_NO_POINTS, Setup, ms, name_of
from qunyun.policies.level_ups import level_up
from qunyun.policies.matching import KeywordSet
from qunyun.policies.private import dm_group
from qunyun.services import ambassadors as ambassador_service
from qunyun.services import boards as board_service
from qunyun.services import checkins as checkin_service
from qunyun.services import elimination as elimination_service
from qunyun.services import lookup, queues
from qunyun.services import points as points_service
from qunyun.services import polls as poll_service
from qunyun.services import tasks as task_service
from qunyun.services import volunteers as volunteer_service
from qunyun.services import warnings as warning_service

INVITE_LINK_HELP = "!邀请 — 我的专属邀请链接（朋友通过它进群，记在你名下）\n"
INVITE_DIRECT_HELP = "!邀请 — 怎样邀请朋友进群（谁邀请进群的，记在谁名下）\n"
# What a member can use; admins and volunteers also see theirs, anyone with 「!帮助 全部」
# (issue 11 walk finding 11: 21 lines with the admins' commands were a wall in the group).
HELP = (
    "我能做的：\n"
    "!规则 — 群规\n!积分 / !等级 — 我的积分、等级\n"
    "!排行 — 积分榜（!排行 周 / 月 / 赛季）\n!打卡 — 今日打卡\n"
    "!作业 链接 — 提交作业\n!完成 任务名 — 完成训练营当天的任务\n!徽章 — 我的徽章\n"
    "!报名 / !签到 / !反馈 1-5 — 活动报名、签到、反馈\n!投票 2 — 投给第 2 项\n"
    + INVITE_LINK_HELP +
    "!申诉 说明 — 对警告或移除提出申诉（私聊我）\n!复活 说明 — 被移出后申请回群（私聊我）\n"
    "!资料 答案 — 回答新人问卷（私聊里直接回复即可）"
)
ALL_HINT = "\n管理员和志愿者的命令：!帮助 全部"
ADMIN_HELP = (
    "\n管理员：\n"
    "!发起投票 问题 | 选项1 | 选项2 — 发起投票\n!结束投票 — 结束投票并公布结果\n"
    "!加分 @某人 10 原因 / !减分 @某人 5 原因 — 加减积分"
)
# T4, listed when the plan has volunteers (`policies/volunteers.py`).
VOLUNTEER_HELP = (
    "\n志愿者（管理员也可用）：\n"
    "!警告 @某人 原因 — 警告成员；回复一条消息发 !删除 — 删除它\n"
    "!接受 / !拒绝 — 回复志愿者邀请（私聊我）"
)
# T2 推广大使, listed when the plan runs the programme (`policies/ambassadors.py`).
AMBASSADOR_MEMBER_HELP = "\n!邀请码 XXXXXX — 填写邀请你进群的推广大使的邀请码"
AMBASSADOR_HELP = (
    "\n推广大使：\n!接受 / !拒绝 — 回复推广大使邀请（私聊我）\n!邀请码 — 查看自己的邀请码"
)
ALL_WORDS = {"全部", "所有", "all"}


class Commands:
    name = "commands"
    handles = (MessagePosted,)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.checkins = [(c, KeywordSet(c.keywords)) for c in setup.plan.checkins]

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if not isinstance(event, MessagePosted) or ctx.member_id is None:
            return None
        command = self.setup.command(event)
        if command is not None:
            effects = self._command(command, event, ctx)
            return Verdict.halt(*effects) if effects else None
        if self.setup.is_direct(event.group):
            return None
        for campaign, keywords in self.checkins:
            if keywords.find(event.text[:200]):
                return Verdict.act(*self._checkin(event, ctx, campaign.name))
        hit = self.setup.faq_answer(event.text[:2000])
        if hit is not None:
            item, keyword = hit
            # The asker named, as in every other reply: a person reading the room sees whom
            # it answers without opening the reply preview.
            return Verdict.act(Reply(group=event.group, event_id=event.source_event_id,
                                     text=f"@{name_of(event.actor)} {item.a}", reason="A2 FAQ",
                                     policy=self.name,
                                     evidence={"keyword": keyword, "question": item.q}))
        return None

    def _reply(self, event: MessagePosted, text: str, why: str) -> Effect:
        return Reply(group=event.group, event_id=event.source_event_id, text=text,
                     reason=why, policy=self.name)

    def _command(self, command: Command, event: MessagePosted, ctx: Context) -> list[Effect]:
        assert ctx.member_id is not None
        plan = self.setup.plan
        if command.name == "rules":
            return [self._reply(event, render_rules(plan), "A2 !rules")]
        if command.name == "help":
            return [self._reply(event, self._help(command, event, ctx), "A2 !help")]
        if command.name == "points":
            if self.setup.off_points(event.actor, event.group):  # issue 11 #72
                return [self._reply(event, f"@{name_of(event.actor)} {STAFF_NO_POINTS}",
                                    "A2 !points")]
            p = points_service.member_points(ctx.conn, ctx.member_id, levels=plan.points.levels)
            nxt = (f"，距「{p.next_level}」还差 {p.to_next} 分" if p.next_level else "")
            # T3: points start when the bot does; a member with imported history is told why
            # the chat they remember earned nothing (issue 11).
            why = ("\n（导入的历史聊天记录不计积分，积分从机器人进群后开始累积）"
                   if points_service.imported_messages(ctx.conn, member_id=ctx.member_id) else "")
            came = points_service.sources_text(ctx.conn, member_id=ctx.member_id)
            came = f"\n来自：{came}" if came else ""
            return [self._reply(event, (
                f"@{name_of(event.actor)} 积分 {p.total}（参与 {p.participation} · 贡献 "
                f"{p.contribution}），等级「{p.level}」{nxt}{came}{why}"
                f"{decay_note(ctx, plan)}"), "A2 !points")]
        if command.name == "task":
            return self._task(command, event, ctx)
        if command.name == "checkin":
            if not plan.checkins:
                return [self._reply(event, "本群还没有打卡活动", "A3 !checkin")]
            return self._checkin(event, ctx, plan.checkins[0].name)
        if command.name in ("poll", "vote", "endpoll"):
            return self._poll(command, event, ctx)
        if command.name == "invite":
            return [self._invite_link(event)]
        if command.name == "appeal" and not command.rest.strip():
            return [self._reply(event, "请在 !申诉 后写明理由，例如：!申诉 我发的是课程资料链接",
                                "R3 appeal")]
        if command.name == "appeal":
            about = warning_service.appealable(ctx.conn, member_id=ctx.member_id,
                                               now_ms=ms(event.at))
            removal = elimination_service.removed_case(ctx.conn, community_id=ctx.community_id,
                                                       member_id=ctx.member_id)
            if not about and removal is None:
                # Nothing to appeal: no queue item about nothing (issue 11).
                return [self._reply(event, "你目前没有警告或移除记录，无需申诉。"
                                           "有问题可以直接问我，或在群里@管理员。", "R3 appeal")]
            item_id, _new = queues.open_item(
                ctx.conn, community_id=ctx.community_id, queue="appeal",
                item_key=f"appeal:{event.source_event_id}",
                title=f"{name_of(event.actor)} 的申诉",
                detail={"text": command.rest[:1000],
                        "warnings": [int(w["id"]) for w in about],
                        "reasons": [str(w["reason"]) for w in about],
                        **({"case": int(removal["id"])} if removal else {})},
                member_id=ctx.member_id, group_id=ctx.group_id, at_ms=ms(event.at))
            return [self._reply(event, appeal_ack(ctx, about, removal, self.setup.tz),
                                "R3 appeal"),
                    self._appeal_alert(event, ctx, command.rest, about, removal, item_id)]
        return []

    def _appeal_alert(self, event: MessagePosted, ctx: Context, words: str,
                      about: list[dict[str, Any]], removal: dict[str, Any] | None,
                      item_id: int) -> Alert:
        """R3: the admins' room hears of the appeal at once (issue 11 walk finding 17: it
        waited in the console unseen): who, about what, what they said, where to decide.
        About the group of the removal or the warnings when it came by DM."""
        group = event.group
        if self.setup.is_direct(group):
            group_id = (removal or {}).get("group_id") or next(
                (w["group_id"] for w in about if w.get("group_id") is not None), None)
            found = lookup.group_ref(ctx.conn, group_id=int(group_id)) if group_id else None
            group = found or group
        what = "被移出" if removal is not None else "、".join(
            dict.fromkeys(str(w["reason"]) for w in about)) + f"（{len(about)} 次警告）"
        then = "撤销这些警告并邀请 ta 回群" if removal is not None else "撤销这些警告"
        return Alert(group=group, member=event.actor, policy=self.name, reason="R3 appeal alert",
                     page=f"queues/{item_id}",
                     awaits_decision=True,
                     text=(f"【申诉】{name_of(event.actor)} 对「{what}」提出申诉：{words[:200]}。"
                           f"请在控制台工作队列「申诉」处理：通过会{then}，驳回会把你写的理由"
                           "告诉 ta。"))

    def _help(self, command: Command, event: MessagePosted, ctx: Context) -> str:
        """Members' commands; an admin's or volunteer's own too; everything with 全部."""
        assert ctx.member_id is not None
        plan = self.setup.plan
        everything = command.rest.strip().casefold() in ALL_WORDS
        admin = self.setup.is_admin(event.actor, event.group)
        volunteer = plan.volunteers is not None and bool(volunteer_service.privileges(
            ctx.conn, community_id=ctx.community_id, member_id=ctx.member_id, plan=plan))
        text = HELP
        if not self.setup.capabilities_for(event.group).invite_links:
            # No personal links here (Matrix, QQ): `!邀请` says to invite directly.
            text = text.replace(INVITE_LINK_HELP, INVITE_DIRECT_HELP)
        ambassadors = ambassador_service.programme(plan) is not None
        if ambassadors:
            text += AMBASSADOR_MEMBER_HELP
        if everything or admin:
            text += ADMIN_HELP
        if plan.volunteers is not None and (everything or admin or volunteer):
            text += VOLUNTEER_HELP
        if ambassadors and everything:
            text += AMBASSADOR_HELP
        if not (everything or admin or volunteer):
            text += ALL_HINT
        return text

    def _invite_link(self, event: MessagePosted) -> Effect:
        """G2 !邀请: the member's own link where the platform has per-member links; where
        it has none, a direct invitation is what names the inviter (QQ's `operator_id`, the
        sender of a Matrix invite), so that is what the member is told to do."""
        if self.setup.is_direct(event.group):
            return self._reply(event, "请在群里发 !邀请：邀请链接是那个群的", "G2 !invite")
        if self.setup.capabilities.invite_links:
            return InviteLink(group=event.group, member=event.actor, reason="G2 !invite",
                              policy=self.name)
        return self._reply(event, f"@{name_of(event.actor)} 直接在群里邀请朋友就行："
                                  "谁邀请进群的，会记在谁名下", "G2 !invite")

    def _task(self, command: Command, event: MessagePosted, ctx: Context) -> list[Effect]:
        assert ctx.member_id is not None
        plan = self.setup.plan
        try:
            done = task_service.submit(
                ctx.conn, community_id=ctx.community_id, member_id=ctx.member_id,
                group_id=ctx.group_id, text=command.rest, at=event.at, tz=self.setup.tz,
                rules=plan.points, ref=event.source_event_id, memory=ctx.memory,
                award=self.setup.on_boards(event.actor, event.group))
        except task_service.TaskError as exc:
            return [self._reply(event, str(exc), "T3 task")]
        got = done.award
        earned = f"，+{got.points} 分" if got is not None else ""
        return [Reply(group=event.group, event_id=event.source_event_id, policy=self.name,
                      text=(f"@{name_of(event.actor)} 作业链接已收到 ✓（这是你的第 "
                            f"{done.number} 次提交{earned}）助教会尽快点评。"),
                      reason="T3 task", evidence={"submission": done.submission_id,
                                                  "link": done.link}),
                *(level_up(self.setup, ctx, member_id=ctx.member_id, gained=got.points,
                           total=got.total_after, group=event.group, at=event.at,
                           policy=self.name) if got is not None else [])]

    def _checkin(self, event: MessagePosted, ctx: Context, campaign_name: str) -> list[Effect]:
        assert ctx.member_id is not None
        plan = self.setup.plan
        campaign = next(c for c in plan.checkins if c.name == campaign_name)
        result = checkin_service.check_in(
            ctx.conn, community_id=ctx.community_id, member_id=ctx.member_id,
            group_id=ctx.group_id, campaign=campaign, at=event.at, tz=self.setup.tz,
            rules=plan.points, ref=event.source_event_id,
            award=self.setup.on_boards(event.actor, event.group))
        who = name_of(event.actor)
        if not result.new:
            text = f"@{who} 今天已经打过卡了（连续 {result.streak} 天）"
        else:
            bonus = f"，连续打卡奖励 +{result.bonus}" if result.bonus else ""
            earned = f"，+{result.points} 分" if result.points else ""
            text = (f"@{who} 「{campaign.name}」打卡成功 ✓ 连续 {result.streak} 天，累计 "
                    f"{result.total_days} 天{earned}{bonus}")
        return [Reply(group=event.group, event_id=event.source_event_id, text=text,
                      reason="A3 check-in", policy=self.name,
                      evidence={"campaign": campaign.name, "streak": result.streak,
                                "day": result.day}),
                *level_up(self.setup, ctx, member_id=ctx.member_id, gained=result.points,
                          total=result.level_after, group=event.group, at=event.at,
                          policy=self.name)]

    def _poll(self, command: Command, event: MessagePosted, ctx: Context) -> list[Effect]:
        assert ctx.member_id is not None and ctx.group_id is not None
        at = ms(event.at)
        try:
            if command.name == "endpoll":
                if not self.setup.is_admin(event.actor, event.group):
                    return [self._reply(event, "只有管理员可以结束投票", "A4 poll")]
                final = poll_service.close_poll(ctx.conn, group_id=ctx.group_id, at_ms=at)
                return [Send(group=event.group, text=result_text(final),
                             reason="A4 poll closed", policy=self.name,
                             evidence={"poll": final.poll_id, "counts": list(final.counts)})]
            if command.name == "poll":
                if not self.setup.is_admin(event.actor, event.group):
                    return [self._reply(event, "只有管理员可以发起投票", "A4 poll")]
                question, *options = [p.strip() for p in command.rest.split("|")]
                _new, replaced = poll_service.start_replacing(
                    ctx.conn, community_id=ctx.community_id, group_id=ctx.group_id,
                    created_by=ctx.member_id, question=question, options=options, at_ms=at)
                # numbered as the service stores them (empty options dropped), so that
                # "!投票 2" is the second option shown
                listing = "\n".join(f"{i}. {o}" for i, o in enumerate(
                    [o for o in options if o], 1))
                posts: list[Effect] = []
                if replaced is not None:  # the poll it replaces is over: say how it ended
                    posts.append(Send(group=event.group, text=result_text(replaced),
                                      reason="A4 poll closed", policy=self.name,
                                      evidence={"poll": replaced.poll_id}))
                return [*posts, Send(group=event.group, text=(
                    f"📊 投票：{question}\n{listing}\n回复 !投票 数字 参与"),
                    reason="A4 poll", policy=self.name)]
            choice = int(command.args[0]) if command.args and command.args[0].isdigit() else 0
            results, first = poll_service.vote(ctx.conn, group_id=ctx.group_id,
                                               member_id=ctx.member_id, option=choice, at_ms=at)
        except poll_service.PollError as exc:
            return [self._reply(event, str(exc), "A4 poll")]
        counts = " · ".join(f"{i}. {o} {n}" for i, (o, n) in
                            enumerate(zip(results.options, results.counts, strict=True), 1))
        verb = "已记录" if first else "已改票"
        # Quietly, in the voter's DM: 50 voters were 50 lines in the group (issue 11 walk
        # finding 19); the result at !结束投票 is public.
        dm = None if self.setup.is_direct(event.group) else dm_group(self.setup, ctx,
                                                                     event.group)
        if dm is not None:
            verb_dm = "已记录你的投票" if first else "已改票"
            picked = results.options[choice - 1] if 0 < choice <= len(results.options) else ""
            return [DirectMessage(group=dm, member=event.actor, policy=self.name,
                                  reason="A4 vote",
                                  text=(f"{verb_dm} ✓「{picked}」（{results.question}）\n"
                                        f"当前：{counts}\n结果在管理员 !结束投票 后公布在群里"))]
        return [self._reply(event, f"{verb} ✓ 当前：{counts}", "A4 vote")]


def appeal_ack(ctx: Context, warnings: list[dict[str, Any]], removal: dict[str, Any] | None,
               tz: str) -> str:
    """What the appeal is about (the removal, which warnings) and how the member hears back
    (issue 11 walk12 finding 17: 「申诉已提交，管理员会尽快处理」 said neither)."""
    zone = ZoneInfo(tz)
    listed = "；".join(
        f"{w['reason']} {datetime.fromtimestamp(int(w['created_ms']) / 1000, zone):%m-%d %H:%M}"
        for w in warnings[:5]) + ("…" if len(warnings) > 5 else "")
    count = f"{len(warnings)} 次警告（{listed}）" if warnings else ""
    if removal is not None:
        group = lookup.group_ref(ctx.conn, group_id=int(removal["group_id"]))
        where = f"「{group.name}」" if group is not None and group.name else "群"
        about = f"你被移出{where}" + (f"，和移出前的 {count}" if count else "")
        upheld = "通过则撤销警告并邀请你回群"
    else:
        about = f"你的 {count}"
        upheld = "通过则撤销这些警告"
    return (f"申诉已提交 ✓ 关于：{about}。管理员复核后，结果会私信告诉你"
            f"（{upheld}；不通过也会告诉你原因）。")


def decay_note(ctx: Context, plan: Plan) -> str:
    """T3: when the plan decays idle members' points, say how, and the member's last decay."""
    rule = board_service.decay_rule_text(plan)
    if rule is None or ctx.member_id is None:
        return ""
    text = f"\n积分衰减：{rule}，发言、打卡就不会衰减"
    last = board_service.last_decay(ctx.conn, member_id=ctx.member_id)
    if last is not None:
        text += f"\n最近一次衰减：{last['day']} {last['points']} 分（{last['note']}）"
    return text


def result_text(results: poll_service.PollResults) -> str:
    """The result post when a poll is closed: votes and share per option, and the winner."""
    total = results.voters
    lines = [f"{i}. {o} — {n} 票" + (f"（{round(100 * n / total)}%）" if total else "")
             for i, (o, n) in enumerate(zip(results.options, results.counts, strict=True), 1)]
    if not total:
        verdict = "没有人投票。"
    else:
        top = max(results.counts)
        winners = [o for o, n in zip(results.options, results.counts, strict=True) if n == top]
        verdict = (f"结果：「{winners[0]}」得票最多。" if len(winners) == 1
                   else "结果：" + "、".join(f"「{w}」" for w in winners) + " 票数相同。")
    return (f"📊 投票结束：{results.question}\n" + "\n".join(lines)
            + f"\n共 {total} 人投票。{verdict}")
