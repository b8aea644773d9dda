"""A5 events in the bot: announce, remind a day and an hour before, `!报名` / `!取消报名`
(capacity with a waiting list), `!签到` on the day, `!反馈 1-5 文字`, the summary to the
admin room (attendance against registered and expected, ratings, budget per head).

Wired before the A2/A3 commands: `!签到` is an event check-in while an event's check-in
window is open, and the A3 daily check-in (its other spelling) the rest of the time.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qunyun.effects import Alert, Effect, Reply, Send
from qunyun.events import Event, GroupRef, MessagePosted, TimerFired, UserRef
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup, ms, name_of
from qunyun.services import activities as service
from qunyun.services import lookup
from qunyun.services.schedule import tick_of

REGISTER, CANCEL, FEEDBACK, CHECKIN = ("报名",), ("取消报名",), ("反馈",), "签到"
MAX_MENTIONS = 50


def _money(lines: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(str(b["amount"])) for b in lines), Decimal(0))


class Activities:
    name = "activities"
    handles = (MessagePosted, TimerFired)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup

    # -- members' commands -----------------------------------------------------------------
    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if isinstance(event, TimerFired):
            if not self.setup.plan.event_occurrences():
                return None
            if event.timer == service.ANNOUNCE:
                effects = self._due(ctx, ms(event.at), None)
            elif event.timer == service.STEP and (tick := tick_of(event)) is not None:
                effects = self._due(ctx, ms(event.at), (str(tick.payload.get("event")),
                                                        str(tick.payload.get("step"))))
            else:
                return None
            return Verdict.act(*effects) if effects else None
        if not isinstance(event, MessagePosted) or ctx.member_id is None \
                or not self.setup.plan.event_occurrences():
            return None
        command = self.setup.command(event)
        if command is None:
            return None
        word = event.text.strip()[1:].strip()
        now = ms(event.at)
        plan = self.setup.plan
        if command.name in REGISTER + CANCEL:
            activity = service.choose(ctx.conn, community_id=ctx.community_id, plan=plan,
                                      now_ms=now, key=command.args[0] if command.args else None)
            if activity is None:
                return self._say(event, "现在没有可报名的活动")
            if command.name in REGISTER:
                return self._register(event, ctx, activity, now)
            return self._cancel(event, ctx, activity, now)
        if command.name in FEEDBACK:
            activity = service.latest_attended(ctx.conn, community_id=ctx.community_id,
                                               plan=plan, member_id=ctx.member_id)
            if activity is None:
                return self._say(event, "签到参加过的成员才能反馈哦")
            try:
                rating = service.feedback(ctx.conn, activity=activity, member_id=ctx.member_id,
                                          args=command.rest, now_ms=now)
            except service.FeedbackError as exc:
                return self._say(event, str(exc))
            return self._say(event, f"感谢反馈 ✓「{activity['name']}」评分 {rating} 分已记录")
        if word.startswith(CHECKIN):
            activity = service.choose(ctx.conn, community_id=ctx.community_id, plan=plan,
                                      now_ms=now, key=command.args[0] if command.args else None)
            if activity is None or not service.checkin_open(activity, now):
                return None  # not an event day: the A3 daily check-in answers
            result = service.check_in(ctx.conn, activity=activity, member_id=ctx.member_id,
                                      now_ms=now)
            who = name_of(event.actor)
            texts = {"ok": f"@{who} 「{activity['name']}」签到成功 ✓ 欢迎！",
                     "walk_in": (f"@{who} 「{activity['name']}」签到成功 ✓"
                                 "（未报名，已记为现场参加）"),
                     "already": f"@{who} 你已经签到过了",
                     "closed": "签到还没开始或已结束"}
            return self._say(event, texts[result],
                             "A5 check-in" if result in ("ok", "walk_in") else "A5 event",
                             {"activity": activity["key"], "result": result,
                              "key": f"event_checkin:{activity['key']}:{event.actor.user_id}"})
        return None

    def _say(self, event: MessagePosted, text: str, reason: str = "A5 event",
             evidence: dict[str, str] | None = None) -> Verdict:
        return Verdict.halt(Reply(group=event.group, event_id=event.source_event_id, text=text,
                                  reason=reason, policy=self.name, evidence=evidence or {}))

    def _register(self, event: MessagePosted, ctx: Context, activity: dict[str, Any],
                  now: int) -> Verdict:
        assert ctx.member_id is not None
        r = service.register(ctx.conn, activity=activity, member_id=ctx.member_id, now_ms=now)
        who, name = name_of(event.actor), activity["name"]
        when = service.local_text(int(activity["starts_ms"]), self.setup.tz)
        texts = {"registered": f"@{who} 已报名「{name}」✓ {when} 见！",
                 "waitlisted": f"@{who} 「{name}」名额已满，你在候补第 {r.position} 位，"
                               "有人取消会自动递补并通知你",
                 "already": f"@{who} 你已经报过名了（取消请发 !取消报名）",
                 "over": f"「{name}」已经结束了"}
        return self._say(event, texts[r.kind])

    def _cancel(self, event: MessagePosted, ctx: Context, activity: dict[str, Any],
                now: int) -> Verdict:
        assert ctx.member_id is not None
        was, promoted = service.cancel(ctx.conn, activity=activity, member_id=ctx.member_id,
                                       now_ms=now)
        who, name = name_of(event.actor), activity["name"]
        if not was:
            return self._say(event, f"@{who} 你没有报名「{name}」")
        effects: list[Effect] = [Reply(group=event.group, event_id=event.source_event_id,
                                       text=f"@{who} 已取消「{name}」的报名",
                                       reason="A5 event", policy=self.name)]
        ref = lookup.member_ref(ctx.conn, member_id=promoted) if promoted else None
        if ref is not None:
            effects.append(Send(group=event.group, mentions=(ref,), policy=self.name,
                                reason="A5 waiting list",
                                text=(f"@{name_of(ref)} 有名额空出，"
                                      f"你已从候补转为「{name}」正式报名 ✓")))
        return Verdict.halt(*effects)

    # -- the timeline of an event ------------------------------------------------------------
    def _due(self, ctx: Context, now: int, step: tuple[str, str] | None) -> list[Effect]:
        """Announce what is new (step None), or one step of one event (a schedule tick)."""
        plan = self.setup.plan
        groups = [g for _gid, g in lookup.community_groups(ctx.conn,
                                                            community_id=ctx.community_id)
                  if not self.setup.is_direct(g)]
        if not groups:
            return []
        effects: list[Effect] = []
        # An occurrence stored early (`!报名 <key>-YYYYMMDD`) waits for its own date.
        opened = service.announcement_opened(plan, now) if step is None else set()
        for row in service.sync(ctx.conn, community_id=ctx.community_id, plan=plan,
                                now_ms=now):
            wanted: service.Step = "announced_ms"
            if step is None and row["key"] not in opened:
                continue
            if step is not None:
                if row["key"] != step[0] or step[1] not in service.STEP_NAMES:
                    continue
                wanted = step[1]  # type: ignore[assignment]
            if service.step_wanted(row, wanted, now) and service.mark(
                    ctx.conn, activity_id=int(row["id"]), step=wanted, now_ms=now):
                effects += self._step(ctx, row, wanted, groups)
        return effects

    def _registered(self, ctx: Context, row: dict[str, Any]) -> tuple[UserRef, ...]:
        refs = [lookup.member_ref(ctx.conn, member_id=m) for m in
                service.registered_members(ctx.conn, activity_id=int(row["id"]))]
        return tuple(r for r in refs if r is not None)[:MAX_MENTIONS]

    def _step(self, ctx: Context, row: dict[str, Any], step: str,
              groups: list[GroupRef]) -> list[Effect]:
        name, tz = row["name"], self.setup.tz
        when = service.local_text(int(row["starts_ms"]), tz)
        d = row["detail"] or {}
        where = "；".join(x for x in (d.get("place") and f"地点：{d['place']}",
                                      d.get("online_link") and f"线上：{d['online_link']}") if x)
        # `key` names the occurrence and the step (the rehearsal's timeline key).
        evidence = {"activity": row["key"], "step": step,
                    "key": f"event:{row['key']}:{step.removesuffix('_ms')}"}
        if step == "summary_ms":
            return [Alert(group=groups[0], policy=self.name, reason="A5 summary",
                          evidence=evidence, text=self._summary(ctx, row))]
        mentions: tuple[UserRef, ...] = ()
        if step == "announced_ms":
            lines = [f"【活动】{name}", f"时间：{when}"]
            lines += [f"系列活动：{d['series']}（报名只报这一场）"] if d.get("series") else []
            lines += [f"目标：{d['goal']}"] if d.get("goal") else []
            lines += [f"适合：{d['audience']}"] if d.get("audience") else []
            lines += [where] if where else []
            if d.get("agenda"):
                lines.append("议程：" + "；".join(f"{i}. {a}" for i, a in
                                                enumerate(d["agenda"], 1)))
            if d.get("roles"):
                lines.append("分工：" + "，".join(f"{r['role']} {r.get('who') or '待定'}"
                                                for r in d["roles"]))
            cap = f"名额 {row['capacity']} 人，满额后可候补。" if row["capacity"] else ""
            lines.append(f"{cap}发送 !报名 报名，!取消报名 取消。")
            text = "\n".join(lines)
        elif step == "reminded_day_ms":
            mentions = self._registered(ctx, row)
            text = f"⏰ 明天 {when}「{name}」，已报名 {len(mentions)} 人。{where}".strip()
        elif step == "reminded_hour_ms":
            mentions = self._registered(ctx, row)
            text = f"⏰「{name}」1 小时后开始（{when}）。{where} 到场后发送 !签到".strip()
        else:
            text = (f"「{name}」结束啦，感谢参与！参加的朋友请发送 !反馈 1-5 你的建议"
                    "（例如 !反馈 5 很有收获）")
        if mentions:
            text = " ".join(f"@{name_of(m)}" for m in mentions) + " " + text
        return [Send(group=g, text=text, mentions=mentions, policy=self.name,
                     reason=f"A5 {step.removesuffix('_ms')}", evidence=evidence)
                for g in groups]

    def _summary(self, ctx: Context, row: dict[str, Any]) -> str:
        r = service.results(ctx.conn, activity=row)
        d = row["detail"] or {}
        budget = _money(d.get("budget") or [])
        when = service.local_text(int(row["starts_ms"]), self.setup.tz)
        lines = [f"活动总结「{row['name']}」（{when}）",  # the date tells a series' apart
                 f"报名 {r['registered']} 人（候补 {r['waitlisted']}，取消 {r['cancelled']}），"
                 f"签到 {r['checked_in']} 人（其中未报名 {r['walk_ins']}），"
                 f"缺席 {r['no_shows']} 人"]
        if r["turnout"] is not None:
            lines.append(f"到场率 {r['turnout']:g}%（签到 / 报名+现场）")
        if r["expected"]:
            lines.append(f"预期 {r['expected']} 人，实到为预期的 {r['of_expected']:g}%")
        if r["rating"] is not None:
            lines.append(f"评分 {r['rating']:g} / 5（{r['ratings']} 条反馈）")
        if budget:
            per = (budget / r["checked_in"]).quantize(Decimal("0.01")) if r["checked_in"] else None
            lines.append(f"预算 {budget} 元" + (f"，人均 {per} 元" if per is not None else ""))
        lines += [f"· {f}" for f in r["feedback"][:5]]
        return "\n".join(lines)
