"""O1 welcome and O2/O3 the newcomer's first 24 hours: checklist, reminders, deadline, form.

On a join the checklist starts (nickname in the plan's format, a self-introduction, the
member form) and the newcomer is welcomed with an @-mention when the batch window closes
(`welcome_batch_seconds` after the first join not yet welcomed): everyone who joined in the
window is welcomed in one message, and a newcomer whose nickname already has the plan's
format is not told to rename. The form is answered in order: in the DM every plain message
is the answer to the pending question; in the room a reply to the question (or `!资料 …`).
Only while the member's newcomer checklist is open in one of the community's groups: a
removed member, or one who left, is asked nothing and their DM is no answer (a newcomer who
rejoins gets it back; a member welcomed back has none). A DM that asks something (ends
with ？, opens with 「请问」, or 「老师，…」 with a question word) is never an answer: it is
answered like any DM and the pending question asked again. A DM that answers nothing and
is no FAQ hit goes to the admins (R5, `Escalation.direct`).
A member who comes back (an upheld appeal or an approved revival let them in again, they
finished the steps here before, or they were in the group before the bot) is not a
newcomer: a short 「欢迎回来」, no checklist and no questionnaire.
The scheduler's ticks send the reminders before the deadline and, at the deadline, tell
the member and put them in the operator's review queue (E3: nobody is removed for it
here). A nickname that matches the plan's pattern becomes member attributes (O3).
"""

from __future__ import annotations

import re

from qunyun.domain import choices
from qunyun.domain.intro import looks_like_intro
from qunyun.domain.patterns import nickname_format
from qunyun.domain.questions import asks_something
from qunyun.effects import DirectMessage, Effect, Reply, Send
from qunyun.events import (
    Event,
    GroupRef,
    MemberJoined,
    MemberLeft,
    MessagePosted,
    NicknameChanged,
    TimerFired,
    UserRef,
)
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.plan.model import FormQuestion
from qunyun.plan.model import Onboarding as OnboardingPlan
from qunyun.plan.render import render_welcome
from qunyun.policies.base import Setup, ms, name_of
from qunyun.policies.escalation import Escalation
from qunyun.policies.level_ups import level_up
from qunyun.policies.private import dm_group
from qunyun.services import audit, direct, lookup, queues
from qunyun.services import onboarding as service
from qunyun.services import points as points_service

STEP_NAMES = {"nickname": "改群昵称", "intro": "自我介绍", "form": "回答新人问卷"}
# Bot messages a member's reply to counts as the answer to (the intro prompt, the form).
INTRO_PROMPTS = ("O1 welcome", "O2 checklist", "O2 reminder", "O2 nickname format")
FORM_PROMPT = "O2 form"
# A chat app's own bot command (`/start`, `/start qy-12`, `/help@qunyun_bot`): the
# member opened the chat or asked the app, not an answer to a question.
SLASH_COMMAND = re.compile(r"/[A-Za-z][A-Za-z0-9_]{0,31}(?:@\w+)?(?:\s+\S{1,64})?")
WELCOME_TIMER = "welcome"
ONBOARDING_TIMER = "onboarding"


def _steps(missing: tuple[str, ...], form_channel: str = "room", *,
           o: OnboardingPlan | None = None, in_dm: bool = False) -> str:
    names = dict(STEP_NAMES)
    if form_channel == "dm":
        names["form"] = ("回答新人问卷（就在这个私聊里）" if in_dm
                         else "回答新人问卷（在和我的私聊里）")
    if o is not None:
        names["nickname"] += rename_hint(o)
    return "、".join(names.get(s, s) for s in missing)


def rename_hint(o: OnboardingPlan) -> str:
    """The format a nickname must have, and the plan's example (issue 11 walk finding 10:
    「还差：改群昵称」 alone left the member guessing what to rename to)."""
    if not o.nickname_pattern or not o.nickname_example:
        return ""
    words = nickname_format(o.nickname_pattern, o.nickname_example)
    shape = f"格式：{words}，" if words else "格式"
    return f"（{shape}例如“{o.nickname_example}”）"



def question_line(question: FormQuestion, index: int, total: int) -> str:
    """A questionnaire question as the member reads it, saying so when it may be skipped
    (the hint was only in the first DM: a member at question 3 did not know), with its
    choices unless the question's own words already list them."""
    optional = "" if question.required else "（可选，不想答可回复“跳过”）"
    listed = ""
    if question.choices and not all(c in question.question for c in question.choices):
        listed = f"（{choices.listed(question.choices)}）"
    return f"新人问卷 {index + 1}/{total}：{question.question}{listed}{optional}"


def asked_again(progress: service.FormProgress) -> str:
    """Why the same question comes again (issue 11 walk13 findings 4, 5): a silent re-ask
    of a skipped required question, or an answer taken that named no choice, left the
    member guessing."""
    q = progress.question
    assert q is not None
    again = question_line(q, progress.index, progress.total)
    if progress.refused == "required":
        return f"这道题必答，不能跳过。\n{again}"
    if progress.refused == "choice":
        return (f"没看出你选的是哪一个，请从这几个里选一个：{choices.listed(q.choices)}"
                f"（回复选项的文字或序号都行）。\n{again}")
    return again

def ask(setup: Setup, group: GroupRef, member: UserRef, question: FormQuestion, index: int,
        total: int) -> Effect:
    """A questionnaire question: by DM, or in the room with an @-mention."""
    text = question_line(question, index, total)
    if setup.plan.onboarding.form_channel == "dm":
        # The first words in a DM say who is writing and why.
        hello = (f"你好！我是「{setup.plan.community.name}」的群助手，"
                 f"想通过 {total} 个小问题认识你。\n" if index == 0 else "")
        return DirectMessage(group=group, member=member,
                             text=hello + text + "\n（直接回复即可；可选题可回复“跳过”）",
                             reason="O2 form", policy="onboarding")
    return Send(group=group, mentions=(member,),
                text=f"@{name_of(member)} {text}\n（回复这条消息，或发：!资料 你的答案）",
                reason=FORM_PROMPT, policy="onboarding")


class Welcome:
    """O1: greet newcomers with the plan's welcome, batching bursts."""

    name = "welcome"
    handles = (MemberJoined, TimerFired)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.o = setup.plan.onboarding

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if isinstance(event, TimerFired) and event.timer == WELCOME_TIMER:
            return self._batch(ctx, event.group, ms(event.at))
        if not isinstance(event, MemberJoined) or self.setup.is_direct(event.group):
            return None
        if ctx.member_id is None or ctx.group_id is None:
            return None
        at = ms(event.at)
        back = service.returning(ctx.conn, member_id=ctx.member_id, group_id=ctx.group_id)
        if back is not None:
            return Verdict.act(self._welcome_back(ctx, event, back, at))
        service.start(ctx.conn, community_id=ctx.community_id, member_id=ctx.member_id,
                      group_id=ctx.group_id, at_ms=at, onboarding=self.o)
        effects: list[Effect] = []
        if service.welcome_now(ctx.conn, group_id=ctx.group_id, at_ms=at,
                               batch_seconds=self.o.welcome_batch_seconds):
            effects += self._welcome(ctx, event.group, at)
        return Verdict.act(*effects) if effects else None

    def _welcome_back(self, ctx: Context, event: MemberJoined, why: str, at: int) -> Effect:
        """Not a newcomer (back after an appeal or a revival, or here before): a short
        「欢迎回来」 at once, no checklist, their history and points as they were."""
        assert ctx.member_id is not None and ctx.group_id is not None
        service.welcome_back(ctx.conn, community_id=ctx.community_id, member_id=ctx.member_id,
                             group_id=ctx.group_id, at_ms=at, onboarding=self.o)
        who = name_of(event.member)
        return Send(group=event.group, mentions=(event.member,), policy=self.name,
                    reason="O1 welcome back", evidence={"returning": why},
                    text=f"欢迎回来，@{who}！你的积分和记录都还在，直接参与就好。")

    def _welcome(self, ctx: Context, group: GroupRef, at: int) -> list[Effect]:
        assert ctx.group_id is not None
        rows = service.unwelcomed(ctx.conn, group_id=ctx.group_id)
        refs = [r for r in (lookup.member_ref(ctx.conn, member_id=int(row["member_id"]))
                            for row in rows) if r is not None]
        if not refs:
            return []
        service.mark_welcomed(ctx.conn, row_ids=[int(r["id"]) for r in rows], at_ms=at)
        names = " @".join(name_of(r) for r in refs)
        rename: list[str] | None = [name_of(r) for r in refs
                                    if not service.nickname_matches(r.display_name, self.o)]
        if rename is not None and len(rename) == len(refs):
            rename = None  # everyone: the step needs no names
        text = render_welcome(self.setup.plan, newcomer=names, rename=rename,
                              form_where=self._form_where(group))
        effects: list[Effect] = [Send(group=group, text=text,
                                      mentions=tuple(refs), reason="O1 welcome",
                                      evidence={"newcomers": [name_of(r) for r in refs],
                                                "user_ids": [r.user_id for r in refs]},
                                      policy=self.name)]
        if self.o.form and self.o.welcome_batch_seconds > 0:
            # The questionnaire after the welcome that announces it, not 10 s before it
            # (issue 11 walk finding 6): the join left it to the batch.
            for row in rows:
                ref = lookup.member_ref(ctx.conn, member_id=int(row["member_id"]))
                pending = service.form_pending(ctx.conn, member_id=int(row["member_id"]),
                                               onboarding=self.o)
                if ref is not None and pending is not None and pending.question is not None:
                    effects.append(ask(self.setup, group, ref, pending.question,
                                       pending.index, pending.total))
        return effects

    def _form_where(self, group: GroupRef) -> str:
        """Where the welcome says the questionnaire is: the DM the bot can open by itself,
        a DM the member must open first (Telegram before Start), or the group."""
        if self.o.form_channel != "dm":
            return "room"
        caps = self.setup.capabilities_for(group)
        return "dm" if caps.dm_without_start else "dm_after_start"

    def _batch(self, ctx: Context, group: GroupRef, now: int) -> Verdict | None:
        if ctx.group_id is None:
            return None
        due = dict(service.welcome_batches_due(
            ctx.conn, community_id=ctx.community_id, now_ms=now,
            batch_seconds=self.o.welcome_batch_seconds))
        if ctx.group_id not in due:
            return None
        effects = self._welcome(ctx, group, now)
        return Verdict.act(*effects) if effects else None


class Onboarding:
    """O2/O3: nickname check, self-introduction, the member form, reminders, deadline."""

    name = "onboarding"
    handles = (MemberJoined, NicknameChanged, MemberLeft, MessagePosted, TimerFired)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.o = setup.plan.onboarding
        self.escalation = Escalation(setup)  # R5 for a DM that is no answer

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if isinstance(event, TimerFired):
            return self._due(event, ctx) if event.timer == ONBOARDING_TIMER else None
        if ctx.member_id is None or ctx.group_id is None:
            return None
        if isinstance(event, MemberJoined) and not self.setup.is_direct(event.group):
            return self._joined(event, ctx)
        if isinstance(event, NicknameChanged):
            return self._nickname(event.group, event.member, event.new, ctx, announce=True)
        if isinstance(event, MemberLeft):
            service.member_left(ctx.conn, member_id=ctx.member_id, group_id=ctx.group_id,
                                at_ms=ms(event.at), onboarding=self.o)
            self._withdraw_form(ctx)
            return None
        if isinstance(event, MessagePosted):
            return self._message(event, ctx)
        return None

    def _joined(self, event: MemberJoined, ctx: Context) -> Verdict | None:
        assert ctx.member_id is not None and ctx.group_id is not None
        if service.returning(ctx.conn, member_id=ctx.member_id,
                             group_id=ctx.group_id) is not None:
            # Welcomed back (`Welcome`): no checklist, no questionnaire; a nickname in the
            # plan's format still gives its attributes, silently.
            self._nickname(event.group, event.member, event.member.display_name or "", ctx,
                           announce=False)
            self._withdraw_form(ctx)
            return None
        effects: list[Effect] = []
        verdict = self._nickname(event.group, event.member, event.member.display_name or "",
                                 ctx, announce=False)
        if verdict is not None:
            effects += verdict.effects
        if self.o.form:
            progress = service.form_start(ctx.conn, community_id=ctx.community_id,
                                          member_id=ctx.member_id, at_ms=ms(event.at),
                                          onboarding=self.o)
            if progress.question is not None and not progress.done \
                    and self.o.welcome_batch_seconds <= 0:  # else asked with the welcome
                effects.append(self._ask(event.group, event.member, progress.question,
                                         progress.index, progress.total))
        return Verdict.act(*effects) if effects else None

    def _withdraw_form(self, ctx: Context) -> None:
        """Removed, left or welcomed back: a questionnaire DM still waiting to be delivered
        (the member never opened the bot's DM) is not sent when they open it later."""
        assert ctx.member_id is not None
        if not service.form_open(ctx.conn, member_id=ctx.member_id, onboarding=self.o):
            direct.withdraw(ctx.conn, community_id=ctx.community_id, member_id=ctx.member_id,
                            purpose="O2 form")

    def _ask(self, group: GroupRef, member: UserRef, question: FormQuestion, index: int,
             total: int) -> Effect:
        return ask(self.setup, group, member, question, index, total)

    def _nickname(self, group: GroupRef, member: UserRef, nickname: str, ctx: Context, *,
                  announce: bool) -> Verdict | None:
        assert ctx.member_id is not None and ctx.group_id is not None
        if not self.o.nickname_pattern or not nickname:
            return None
        labels = service.apply_nickname(ctx.conn, member_id=ctx.member_id, nickname=nickname,
                                        onboarding=self.o)
        row = service.state(ctx.conn, member_id=ctx.member_id, group_id=ctx.group_id)
        if labels is None:
            if announce and row is not None and row["nickname_ms"] is None \
                    and row["left_ms"] is None:
                return Verdict.act(Send(
                    group=group, mentions=(member,), policy=self.name,
                    text=f"@{nickname} 群昵称还不符合格式{rename_hint(self.o)}，"
                         "改好后我会自动确认。",
                    reason="O2 nickname format", evidence={"nickname": nickname[:100]}))
            return None
        step = service.complete_step(ctx.conn, member_id=ctx.member_id, group_id=ctx.group_id,
                                     step="nickname", at_ms=ms(ctx.now), onboarding=self.o)
        if not (announce and step.newly_done):
            return None
        return Verdict.act(self._progress(ctx, group, member, step.missing, step.completed,
                                          "群昵称已符合格式 ✓", {"labels": labels}))

    def _progress(self, ctx: Context, group: GroupRef, member: UserRef,
                  missing: tuple[str, ...], completed: bool, done_text: str,
                  evidence: dict[str, object]) -> Effect:
        """A checklist step done: said in the member's DM where the bot reaches them (one
        line per step per newcomer in the group drowned it, issue 11 walk findings 8 and
        10), in the group only where it cannot."""
        dm = dm_group(self.setup, ctx, group)

        def tail(in_dm: bool) -> str:
            if completed:
                return "🎉 新人任务全部完成，欢迎正式加入！"
            if not missing:
                return ""
            return f"还差：{_steps(missing, self.o.form_channel, o=self.o, in_dm=in_dm)}。"

        if dm is not None:
            return DirectMessage(group=dm, member=member, policy=self.name,
                                 text=f"{done_text} {tail(True)}".strip(),
                                 reason="O2 checklist", evidence=evidence)
        return Send(group=group, mentions=(member,), policy=self.name,
                    text=f"@{name_of(member)} {done_text} {tail(False)}".strip(),
                    reason="O2 checklist", evidence=evidence)

    def _replied_to(self, event: MessagePosted, ctx: Context) -> str | None:
        """Why the bot sent the message this one replies to (None: not a reply to the bot)."""
        if not event.reply_to:
            return None
        return audit.reason_of_bot_message(ctx.conn, community_id=ctx.community_id,
                                           message_id=event.reply_to)

    def _message(self, event: MessagePosted, ctx: Context) -> Verdict | None:
        assert ctx.member_id is not None and ctx.group_id is not None
        command = self.setup.command(event)
        if command is not None and command.name == "form":
            return self._answer(event, ctx, command.rest)
        if self.setup.is_direct(event.group):
            # Commands in the DM are the commands policy's; any other text answers the form.
            if command is not None:
                return None
            where = lookup.in_community(ctx.conn, community_id=ctx.community_id,
                                        member_id=ctx.member_id)
            open_form = where is True and service.form_open(
                ctx.conn, member_id=ctx.member_id, onboarding=self.o)
            if SLASH_COMMAND.fullmatch(event.text.strip()):
                return self._chat_opened(event, ctx, asking=open_form)
            if where is not True:
                # Removed or left (or never in a group): no newcomer questions, and what
                # they write is no answer — 「为什么把我踢了？」 goes to a human (issue 11).
                return self._not_an_answer(event, ctx, removed=where is False)
            if not open_form:
                # Welcomed back, or the checklist is over: the questionnaire is closed, and
                # 「老师，结营证书什么时候发？」 is a question for a human (walk finding 55).
                return self._not_an_answer(event, ctx, removed=False, form_done=service.form_done(
                    ctx.conn, member_id=ctx.member_id))
            if asks_something(event.text):
                return self._asked_mid_form(event, ctx)
            return self._answer(event, ctx, event.text, direct=True)
        if command is not None:
            return None
        # The audit look-up runs only for a reply from someone with a question pending.
        if self.o.form and self.o.form_channel == "room" and event.reply_to \
                and service.form_pending(ctx.conn, member_id=ctx.member_id,
                                         onboarding=self.o) is not None \
                and self._replied_to(event, ctx) == FORM_PROMPT:
            return self._answer(event, ctx, event.text)
        if not self.o.self_intro or len(event.text.strip()) < self.o.intro_min_chars:
            return None
        if not ctx.intro_pending(member_id=ctx.member_id, group_id=ctx.group_id):
            return None
        prompt = self._replied_to(event, ctx) in INTRO_PROMPTS if event.reply_to else False
        if not looks_like_intro(event.text, min_chars=self.o.intro_min_chars,
                                keywords=self.o.intro_keywords,
                                template=self.o.intro_template, replies_to_prompt=prompt,
                                addressed=bool(event.mentions)):
            return None
        step = service.complete_step(ctx.conn, member_id=ctx.member_id, group_id=ctx.group_id,
                                     step="intro", at_ms=ms(event.at), onboarding=self.o)
        if not step.newly_done:
            return None
        got = points_service.award(ctx.conn, community_id=ctx.community_id,
                                   member_id=ctx.member_id, group_id=ctx.group_id,
                                   action="self_intro", rules=self.setup.plan.points,
                                   at=event.at, tz=self.setup.tz, ref=event.source_event_id,
                                   memory=ctx.memory) \
            if self.setup.on_boards(event.actor, event.group) else None  # admins earn none
        return Verdict.act(self._progress(ctx, event.group, event.actor, step.missing,
                                          step.completed, "收到你的自我介绍 ✓", {}),
                           *(level_up(self.setup, ctx, member_id=ctx.member_id,
                                      gained=got.points, total=got.total_after,
                                      group=event.group, at=event.at, policy=self.name)
                             if got is not None else []))

    def _chat_opened(self, event: MessagePosted, ctx: Context, *, asking: bool) -> Verdict:
        """A chat app's own command in the DM (`/start`, which Telegram sends when a member
        presses Start, often with a payload): never a form answer. The member has just
        opened the chat, so the question the bot could not send before comes now (`asking`:
        they are in one of the community's groups; a removed member is asked nothing)."""
        assert ctx.member_id is not None
        pending = (service.form_pending(ctx.conn, member_id=ctx.member_id, onboarding=self.o)
                   if asking else None)
        if pending is not None and pending.question is not None:
            ask = self._ask(event.group, event.actor, pending.question, pending.index,
                            pending.total)
            text = ask.text if isinstance(ask, DirectMessage) else \
                question_line(pending.question, pending.index, pending.total)
        else:
            text = (f"你好！我是「{self.setup.plan.community.name}」的群助手。"
                    "想看我能做什么，发 !帮助")
        return Verdict.act(Reply(group=event.group, event_id=event.source_event_id,
                                 text=text, reason="O2 form", policy=self.name))

    def _asked_mid_form(self, event: MessagePosted, ctx: Context) -> Verdict:
        """A question in the DM while the questionnaire waits (「老师，…？」): answered from
        the FAQ or sent to the admins like any DM question, and the pending question
        stays pending — the member is reminded of it after the answer."""
        assert ctx.member_id is not None
        verdict = self._not_an_answer(event, ctx, removed=False)
        pending = service.form_pending(ctx.conn, member_id=ctx.member_id, onboarding=self.o)
        if pending is None or pending.question is None:
            return verdict
        again = question_line(pending.question, pending.index, pending.total)
        return Verdict.act(*verdict.effects, Reply(
            group=event.group, event_id=event.source_event_id, policy=self.name,
            reason="O2 form", text=f"（新人问卷还在等你，方便时直接回复即可）\n{again}"))

    def _answer(self, event: MessagePosted, ctx: Context, answer: str, *,
                direct: bool = False) -> Verdict | None:
        assert ctx.member_id is not None
        progress = service.form_answer(ctx.conn, member_id=ctx.member_id, answer=answer,
                                       at_ms=ms(event.at), onboarding=self.o)
        if progress is None:
            return (self._not_an_answer(event, ctx, removed=False, form_done=True)
                    if direct else None)
        if progress.refused is not None:
            text = asked_again(progress)
        elif progress.question is not None:
            text = question_line(progress.question, progress.index, progress.total)
        else:
            text = self._form_done(ctx, bool(progress.completed_groups))
        if progress.stored is not None and progress.stored != answer.strip():
            # A loose match says what it took: 「我会一点点」 is recorded as 会一点.
            text = f"记下了：{progress.stored} ✓\n{text}"
        return Verdict.act(Reply(group=event.group, event_id=event.source_event_id, text=text,
                                 reason="O2 form", policy=self.name,
                                 evidence={"answered": self._question_of(progress.answered),
                                           "field": progress.answered}))

    def _not_an_answer(self, event: MessagePosted, ctx: Context, *, removed: bool,
                       form_done: bool = False) -> Verdict:
        """A DM that answers no pending question still gets an answer, never silence: the
        FAQ's if it knows one (members ask the bot privately too); else it goes to the
        admins like an unanswered question (R5), and a pleasantry is told what the bot
        can do."""
        hit = self.setup.faq_answer(event.text[:2000])
        if hit is None and (escalated := self.escalation.direct(event, ctx, removed=removed)):
            return Verdict.act(*escalated)
        if hit is not None:
            text = hit[0].a
        elif self.o.form and form_done:
            text = "你的新人问卷已经填完了 ✓ 想看我能做什么，发 !帮助"
        else:
            text = "你好！想看我能做什么，发 !帮助"
        return Verdict.act(Reply(group=event.group, event_id=event.source_event_id,
                                 text=text, reason="O2 form", policy=self.name))

    def _form_done(self, ctx: Context, completed: bool) -> str:
        """The questionnaire's end: the answers as recorded (a typo can be seen) and what is
        still to do (issue 11 walk finding 9)."""
        assert ctx.member_id is not None
        answers = service.form_answers(ctx.conn, member_id=ctx.member_id)
        lines = ["问卷完成，谢谢！你的回答已记录 ✓"]
        for q in self.o.form:
            label = re.sub(r"[（(].*?[）)]", "", q.question).strip().rstrip("？?：:") or q.key
            lines.append(f"· {label}：{answers.get(q.key) or '（跳过）'}")
        missing = [m for m in service.still_missing(ctx.conn, member_id=ctx.member_id,
                                                    onboarding=self.o) if m != "form"]
        lines.append(f"新人任务还差：{_steps(tuple(missing), o=self.o)}。" if missing
                     else "🎉 新人任务全部完成，欢迎正式加入！" if completed else "")
        return "\n".join(line for line in lines if line)

    def _question_of(self, key: str | None) -> str | None:
        """The question a form field asks (what the console shows), else its key."""
        return next((f.question for f in self.o.form if f.key == key), key)

    def _due(self, event: TimerFired, ctx: Context) -> Verdict | None:
        now = ms(event.at)
        effects: list[Effect] = []
        for row in service.due_checks(ctx.conn, community_id=ctx.community_id, now_ms=now):
            member_id, group_id = int(row["member_id"]), int(row["group_id"])
            action = service.handle_due(ctx.conn, member_id=member_id, group_id=group_id,
                                        now_ms=now, onboarding=self.o)
            member = lookup.member_ref(ctx.conn, member_id=member_id)
            group = lookup.group_ref(ctx.conn, group_id=group_id)
            if action is None or member is None or group is None or group.kind != "group":
                continue  # a checklist an older version started in a DM: nothing to say
            who = name_of(member)
            if action.kind == "remind":
                effects.append(Send(
                    group=group, mentions=(member,), policy=self.name,
                    reason="O2 reminder", evidence={"missing": list(action.missing)},
                    text=(f"@{who} 提醒：新人任务还差 "
                          f"{_steps(action.missing, self.o.form_channel, o=self.o)}，"
                          f"还剩约 {max(action.hours_left, 0):.0f} 小时。")))
            else:
                queues.open_item(
                    ctx.conn, community_id=ctx.community_id, queue="elimination",
                    item_key=f"onboarding:{member_id}:{group_id}",
                    title=f"{who} 未在期限内完成新人任务",
                    detail={"missing": list(action.missing)}, member_id=member_id,
                    group_id=group_id, at_ms=now)
                effects.append(Send(
                    group=group, mentions=(member,), policy=self.name,
                    reason="O2 deadline", evidence={"missing": list(action.missing)},
                    text=(f"@{who} 新人任务已超时（还差 {_steps(action.missing)}），"
                          "管理员会和你确认。")))
        return Verdict.act(*effects) if effects else None
