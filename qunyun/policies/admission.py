"""G1 live: applications to join (`JoinRequested`) answered by the plan's entry threshold.

- `free`: approved.
- `invite`: approved when the request came through a member's invite link (the inviter is
  known), rejected with the reason otherwise.
- `application` with `answer_keywords`: approved when the answer holds one of the words,
  rejected with `reject_reason` otherwise.
- anything else (an application without words, a task, a payment, a tier, no threshold):
  the plan cannot decide, so the request waits in the console's `join_request` queue and
  the operator approves or rejects it there (`qunyun.services.admission`).
Only on platforms that have join requests (`capabilities.join_requests`).
"""

from __future__ import annotations

from qunyun.effects import AnswerJoinRequest
from qunyun.events import Event, JoinRequested
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup, ms, name_of
from qunyun.services import queues

QUEUE = "join_request"
DEFAULT_REJECT = "入群申请的回答没有通过审核，请按群介绍里的问题重新申请"
INVITE_ONLY = "本群只接受群成员邀请：请用群成员发给你的邀请链接申请"


class JoinRequests:
    name = "admission"
    handles = (JoinRequested,)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.threshold = setup.plan.threshold

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if not isinstance(event, JoinRequested) or not self.setup.capabilities.join_requests:
            return None
        t = self.threshold
        kind = t.type if t is not None else None
        evidence: dict[str, object] = {"answer": event.answer[:500], "threshold": kind}
        if kind == "free":
            return self._answer(event, True, "G1 free entry: approved", evidence)
        if kind == "invite":
            if event.inviter is not None:
                evidence["inviter"] = event.inviter.user_id
                return self._answer(event, True, "G1 invite-only: came by a member's link",
                                    evidence)
            return self._answer(event, False, "G1 invite-only: no inviter", evidence,
                                message=INVITE_ONLY)
        if t is not None and kind == "application" and t.answer_keywords:
            answer = event.answer.casefold()
            hit = next((w for w in t.answer_keywords if w.casefold() in answer), None)
            if hit is not None:
                evidence["keyword"] = hit
                return self._answer(event, True, "G1 application: the answer matches", evidence)
            return self._answer(event, False, "G1 application: the answer does not match",
                                evidence, message=t.reject_reason or DEFAULT_REJECT)
        # The plan does not say how to decide: the operator does, in the console.
        queues.open_item(
            ctx.conn, community_id=ctx.community_id, queue=QUEUE,
            item_key=f"join:{event.group.platform}:{event.group.group_id}:{event.member.user_id}",
            title=f"入群申请：{name_of(event.member)}",
            detail={"answer": event.answer[:500], "threshold": kind,
                    "questions": list(t.application_questions) if t else [],
                    "inviter": name_of(event.inviter) if event.inviter else None,
                    "event_id": event.source_event_id,
                    "request": {"group": [event.group.platform, event.group.group_id,
                                          event.group.name, event.group.kind],
                                "member": [event.member.platform, event.member.user_id,
                                           event.member.display_name],
                                "handle": event.handle}},
            member_id=ctx.member_id, group_id=ctx.group_id, at_ms=ms(event.at))
        return None

    def _answer(self, event: JoinRequested, approve: bool, reason: str,
                evidence: dict[str, object], message: str = "") -> Verdict:
        return Verdict.act(AnswerJoinRequest(
            group=event.group, member=event.member, approve=approve, handle=event.handle,
            message=message, reason=reason, evidence=evidence, policy=self.name))
