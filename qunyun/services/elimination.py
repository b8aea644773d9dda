"""E1 elimination sweep and E2 revival, as use cases the bot's policies (and tests) call.

A sweep notices the members the plan's rule names (admins never, E3 exemptions honoured,
nobody twice while a case is under way), opens a case and an elimination queue item for
each. When the notice period is over a case is decided: kept (exempted or dismissed in
the queue), cancelled (no longer meets the rule — they spoke again), or removed — at
once with `auto_remove`, otherwise only once an operator approved the queue item. At most
`max_removals_per_run` removals per round: the rest wait for the next round.

Revival: `!复活` files an application for the member's latest removal. Referrals the bot
can count re-admit at once (when the plan allows); so does the plan's revival task
(`revival.task`) handed in by DM with its link (`!复活 链接` or `!作业 链接`) — recorded as
a task submission, and with `auto_readmit: false` filed in the revival queue with the
submission attached. A payment or a re-application waits in the revival queue until an
operator approves it. The case keeps both dates and how the member came back, so the
history shows removed → revived (by referrals, by the task, or approved).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from qunyun.domain import cron
from qunyun.domain.elimination import DAY_MS, Candidate, candidates
from qunyun.plan.model import Plan
from qunyun.services import queues, staff
from qunyun.services import tasks as task_service
from qunyun.services.schedule import EntrySpec, JobKind, Probe
from qunyun.storage.community import members as member_repo
from qunyun.storage.lifecycle import activity as activity_repo
from qunyun.storage.lifecycle import cases as case_repo
from qunyun.storage.work import queues as queue_repo

WAYS = {
    "task": "完成任务后私信机器人「!复活 完成情况」，管理员确认后邀请你回群",
    # `revival.task` names a plan task the bot can take in (a link is the criterion).
    "named_task": ("补交「{name}」作业：私信机器人「!复活 作业链接」"
                   "（或「!作业 作业链接」），{auto}"),
    "payment": "付费后发送「!复活 付款说明」，管理员确认到账后邀请你回群",
    "reapply": "发送「!复活 申请理由」重新申请，管理员审核通过后邀请你回群",
    "referrals": "邀请 {n} 位新成员入群后发送「!复活」，{auto}",
}


SWEEP = "elimination.sweep"  # schedule kind: one entry, the plan's sweep_cron
DUE = "elimination.due"  # probe: a notice period is over and the case can be decided
REVIVAL_DUE = "revival.due"  # probe: an operator approved a revival application
SWEEP_CATCH_UP_MINUTES = 24 * 60  # a sweep a few hours late is still this week's sweep


def sweep_entries(plan: Plan) -> list[EntrySpec]:
    e = plan.elimination
    if e is None or not e.enabled:
        return []
    try:
        rule = cron.to_rule(e.sweep_cron)
    except cron.CronError:
        return []  # `plan check` reports it; the bot does not sweep on a rule it cannot read
    return [EntrySpec(kind=SWEEP, key="sweep", title="淘汰检查", rule=rule,
                      catch_up_minutes=SWEEP_CATCH_UP_MINUTES)]


SWEEP_JOB = JobKind(SWEEP, from_plan=sweep_entries)


def probes(plan: Plan) -> list[Probe]:
    def removals(conn: Connection, community_id: int, now_ms: int) -> list[int | None]:
        return [None] if removals_due(conn, community_id=community_id, plan=plan,
                                      now_ms=now_ms) else []

    def revivals(conn: Connection, community_id: int, now_ms: int) -> list[int | None]:
        return [None] if revivals_due(conn, community_id=community_id) else []

    return [Probe(DUE, removals), Probe(REVIVAL_DUE, revivals)]


@dataclass(frozen=True, slots=True)
class Notice:
    case_id: int
    member_id: int
    group_id: int
    reason: str
    remove_after_ms: int


@dataclass(frozen=True, slots=True)
class Decision:
    kind: Literal["remove", "kept", "cancelled"]
    case_id: int
    member_id: int
    group_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class Application:
    """What `!复活` (or a removed member's `!作业`) came to: nothing to revive, back at once
    (`how`: referrals | task), filed in the revival queue, or a task hand-in without its
    link (`needs_link`: nothing was filed)."""

    kind: Literal["none", "readmit", "queued", "needs_link", "appeal_only"]
    case: dict[str, Any] | None = None
    how: str | None = None
    link: str | None = None  # the handed-in task's link


def cycle_days(plan: Plan) -> int:
    return (plan.service.cycle_days if plan.service and plan.service.cycle_days else 30)


def _offset_ms(plan: Plan, now_ms: int) -> int:
    at = datetime.fromtimestamp(now_ms / 1000, tz=UTC).astimezone(ZoneInfo(plan.bot.timezone))
    offset = at.utcoffset()
    return int(offset.total_seconds() * 1000) if offset else 0


def group_candidates(conn: Connection, *, community_id: int, group_id: int, plan: Plan,
                     now_ms: int) -> list[Candidate]:
    """The group's members the plan's rule names now (admins left out)."""
    rule = plan.elimination
    if rule is None or not rule.enabled:
        return []
    days = cycle_days(plan)
    rows = activity_repo.group_members(conn, group_id=group_id, since_ms=now_ms - days * DAY_MS,
                                       day_offset_ms=_offset_ms(plan, now_ms))
    found = candidates(rows, rule=rule, tiers=plan.tiers, now_ms=now_ms, cycle_days=days,
                       admins=frozenset(plan.bot.admins),
                       returned_ms=case_repo.last_return(conn, community_id=community_id),
                       tz=ZoneInfo(plan.bot.timezone))
    # The rooms' moderators are admins too (`services.staff`), as the report leaves out.
    staff_ids = staff.admins(conn, community_id=community_id, plan=plan) if found else set()
    return [c for c in found if c.member_id not in staff_ids]


def sweep(conn: Connection, *, community_id: int, group_id: int, plan: Plan, now_ms: int,
          sweep_key: str, title_of: dict[int, str] | None = None) -> list[Notice]:
    """Notice the group's candidates (E1); each gets a case and an elimination queue item."""
    rule = plan.elimination
    if rule is None or not rule.enabled:
        return []
    exempt = queue_repo.exempted_members(conn, community_id=community_id, queue="elimination")
    busy = case_repo.active_members(conn, community_id=community_id)
    remove_after = now_ms + (rule.notice_days or 0) * DAY_MS
    notices = []
    for c in group_candidates(conn, community_id=community_id, group_id=group_id, plan=plan,
                              now_ms=now_ms):
        if c.member_id in exempt or c.member_id in busy:
            continue
        case_id = case_repo.open_case(conn, community_id=community_id, member_id=c.member_id,
                                      group_id=group_id, sweep=sweep_key, rule=c.rule,
                                      reason=c.reason, now_ms=now_ms,
                                      remove_after_ms=remove_after)
        if case_id is None:
            continue
        name = (title_of or {}).get(c.member_id) or str(c.member_id)
        item_id, _new = queues.open_item(
            conn, community_id=community_id, queue="elimination", item_key=f"sweep:{case_id}",
            title=f"{name}：{c.reason}", member_id=c.member_id, group_id=group_id,
            at_ms=now_ms, detail={"rule": c.rule, "reason": c.reason, "sweep": sweep_key,
                                  "remove_after_ms": remove_after,
                                  "auto_remove": rule.auto_remove})
        case_repo.link_item(conn, case_id=case_id, item_id=item_id)
        notices.append(Notice(case_id, c.member_id, group_id, c.reason, remove_after))
    return notices


def removals_due(conn: Connection, *, community_id: int, plan: Plan, now_ms: int) -> bool:
    rule = plan.elimination
    if rule is None or not rule.enabled:
        return False
    return bool(case_repo.due(conn, community_id=community_id, now_ms=now_ms,
                              approval_needed=not rule.auto_remove, limit=1))


def decide_due(conn: Connection, *, community_id: int, plan: Plan,
               now_ms: int) -> list[Decision]:
    """Decide the cases whose notice period is over (at most `max_removals_per_run`
    removals; kept and cancelled cases do not count against it)."""
    rule = plan.elimination
    if rule is None or not rule.enabled:
        return []
    staff_ids = staff.admins(conn, community_id=community_id, plan=plan)
    still: dict[int, set[int]] = {}
    decisions: list[Decision] = []
    removals = 0
    for case in case_repo.due(conn, community_id=community_id, now_ms=now_ms,
                              approval_needed=not rule.auto_remove,
                              limit=rule.max_removals_per_run * 4):
        cid, mid, gid = int(case["id"]), int(case["member_id"]), int(case["group_id"])
        item = case["item_status"]
        if gid not in still:
            still[gid] = {c.member_id for c in group_candidates(
                conn, community_id=community_id, group_id=gid, plan=plan, now_ms=now_ms)}
        if item in ("exempted", "dismissed") or mid in staff_ids:
            case_repo.close(conn, case_id=cid, status="exempted", now_ms=now_ms)
            decisions.append(Decision("kept", cid, mid, gid, case["reason"]))
            continue
        if mid not in still[gid]:
            case_repo.close(conn, case_id=cid, status="cancelled", now_ms=now_ms)
            _close_item(conn, case, "dismissed", "不再符合淘汰条件", now_ms)
            decisions.append(Decision("cancelled", cid, mid, gid, case["reason"]))
            continue
        if removals >= rule.max_removals_per_run:
            continue  # the platform's rate limits: the next round takes the rest
        removals += 1
        case_repo.close(conn, case_id=cid, status="removed", now_ms=now_ms)
        # The platform reports the removal as the bot's own act, which is not community
        # activity; the membership ends here so the member is out of every count at once.
        member_repo.apply_memberships(conn, changes={(gid, mid): (None, now_ms)})
        _close_item(conn, case, "done", "已移出", now_ms)
        decisions.append(Decision("remove", cid, mid, gid, case["reason"]))
    return decisions


def _close_item(conn: Connection, case: dict[str, Any], status: str, why: str,
                now_ms: int) -> None:
    if case["queue_item_id"] is not None and case["item_status"] in (None, "open", "approved"):
        queue_repo.set_status(conn, item_id=int(case["queue_item_id"]), status=status,
                              resolved_by="bot", resolution=why, now_ms=now_ms)


def how_to_return(plan: Plan) -> str:
    """How a removed member comes back, in the plan's terms (told at notice and removal)."""
    revival = plan.revival
    if revival is None or not revival.ways:
        return "如需回群，请联系管理员。"
    # The plan's description is its own sentence above the ways, not pasted inside the
    # task's line (issue 11 walk12 finding 15: 「完成任务「…」（补交…即可回群）后私信…」).
    summary = revival.description.strip().rstrip("。") + "。" if revival.description else ""
    auto = "自动邀请你回群" if revival.auto_readmit else "管理员确认后邀请你回群"
    lines = [WAYS["named_task" if w == "task" and revival.task else w].format(
        n=revival.referrals, auto=auto, name=revival.task) for w in revival.ways]
    return f"回群方式：{summary}\n" + "\n".join(f"· {line}" for line in lines)


def for_breaking_rules(case: dict[str, Any]) -> bool:
    """A removal at R2's warning limit (送机票), not the sweep's elimination (E1): its way
    back is an appeal (R3), never revival (E2)."""
    return case.get("rule") == case_repo.WARNINGS_RULE


def removed_for_rules(conn: Connection, *, community_id: int, member_id: int) -> bool:
    """The member's latest removal not yet revived was for breaking the rules."""
    case = case_repo.latest_removed(conn, community_id=community_id, member_id=member_id)
    return case is not None and for_breaking_rules(case)


def revival_task(plan: Plan) -> str | None:
    """The plan task a removed member hands in to come back (`revival.task` with `task`
    among the ways), or None."""
    revival = plan.revival
    if revival is None or "task" not in revival.ways or not revival.task:
        return None
    return revival.task


def record_removal(conn: Connection, *, community_id: int, member_id: int, group_id: int,
                   key: str, reason: str, now_ms: int) -> int | None:
    """R2's removal at the warning limit ("送机票") on record as a removal, as the sweep's
    are: `!复活` finds it, revival brings the member back, member 360 shows it (issue 11).
    The membership ends when the platform reports the kick (a kick it refused leaves the
    member in the group)."""
    return case_repo.record_removed(conn, community_id=community_id, member_id=member_id,
                                    group_id=group_id, key=key, rule=case_repo.WARNINGS_RULE,
                                    reason=reason, now_ms=now_ms)


def revive_after_appeal(conn: Connection, *, community_id: int, member_id: int,
                        group_id: int, now_ms: int) -> int:
    """An upheld appeal brings the member back to a group: its removals are revived
    (`how` appeal), so `!复活` does not offer a way back they already have."""
    return sum(case_repo.revive(conn, case_id=cid, how="appeal", now_ms=now_ms)
               for cid in case_repo.removed_in_group(conn, community_id=community_id,
                                                     member_id=member_id, group_id=group_id))


def removed_case(conn: Connection, *, community_id: int,
                 member_id: int) -> dict[str, Any] | None:
    """The member's latest removal not yet revived (what `!复活` is about), or None."""
    return case_repo.latest_removed(conn, community_id=community_id, member_id=member_id)


def apply(conn: Connection, *, community_id: int, member_id: int, text: str, plan: Plan,
          now_ms: int, name: str, handed_in: bool = False,
          ref: str | None = None) -> Application:
    """`!复活` (or, `handed_in`, a removed member's `!作业`): re-admit at once when a
    criterion the bot can check is met — enough referrals, or the plan's revival task
    handed in with its link — else file the application in the revival queue.
    `handed_in` with no link files nothing (`needs_link`): a homework question is not a
    hand-in. A member removed for breaking the rules (R2's warning limit) has no revival:
    the way back is an appeal an admin decides (`appeal_only`, nothing filed)."""
    case = case_repo.latest_removed(conn, community_id=community_id, member_id=member_id)
    if case is None:
        return Application("none")
    if for_breaking_rules(case):
        return Application("appeal_only", case)
    revival = plan.revival
    if revival is not None and "referrals" in revival.ways and revival.auto_readmit and \
            activity_repo.referrals(conn, member_id=member_id) >= revival.referrals:
        case_repo.revive(conn, case_id=int(case["id"]), how="referrals", now_ms=now_ms)
        return Application("readmit", case, how="referrals")
    detail: dict[str, Any] = {"text": text[:1000], "case": int(case["id"]),
                              "removed_for": case["reason"]}
    task = revival_task(plan)
    link = task_service.link_in(text) if task else None
    if task and link is None and (handed_in or set(revival.ways if revival else ()) <= {
            "task", "referrals"}):
        return Application("needs_link", case)  # the task is the only way: ask for it
    if task and link is not None:
        submission = task_service.record(
            conn, community_id=community_id, member_id=member_id,
            group_id=int(case["group_id"]), text=text, link=link, now_ms=now_ms, ref=ref)
        detail |= {"task": task, "link": link, "submission": submission}
        if revival is not None and revival.auto_readmit:
            case_repo.revive(conn, case_id=int(case["id"]), how="task", now_ms=now_ms)
            return Application("readmit", case, how="task", link=link)
    queues.open_item(conn, community_id=community_id, queue="revival",
                     item_key=f"revival:{case['id']}",
                     title=f"{name} 申请回群" + (f"（已交任务「{task}」）" if "link" in detail
                                            else ""),
                     detail=detail, member_id=member_id, group_id=int(case["group_id"]),
                     at_ms=now_ms)
    return Application("queued", case, link=link)


def file_for_member(conn: Connection, *, community_id: int, member_id: int, text: str,
                    operator: str, now_ms: int, name: str) -> bool:
    """E2 "or the form": an operator files a removed member's application from the console
    (they asked outside the bot, paid, did the task), audited; it waits in the 复活申请
    queue like one sent with `!复活`, and approving it has the bot invite them back.
    Never re-admits at once: the console cannot invite, the bot does on approval.
    False when the member has no removal to come back from."""
    from qunyun.services import audit

    case = case_repo.latest_removed(conn, community_id=community_id, member_id=member_id)
    if case is None:
        return False
    words = text.strip()[:1000]
    queues.open_item(conn, community_id=community_id, queue="revival",
                     item_key=f"revival:{case['id']}", title=f"{name} 申请回群",
                     detail={"text": words, "case": int(case["id"]),
                             "removed_for": case["reason"], "filed_by": operator},
                     member_id=member_id, group_id=int(case["group_id"]), at_ms=now_ms)
    audit.record_operator_action(conn, community_id=community_id, operator=operator,
                                 action="revival:file", reason=words or "代为提交复活申请",
                                 evidence={"case": int(case["id"])}, member_id=member_id,
                                 group_id=int(case["group_id"]))
    return True


def revivals_due(conn: Connection, *, community_id: int) -> list[dict[str, Any]]:
    """Revival applications an operator approved whose member is not back yet."""
    out = []
    for item in queue_repo.list_items(conn, community_id=community_id, queue="revival",
                                      status="approved", limit=50):
        case = case_repo.get(conn, case_id=int((item["detail"] or {}).get("case", 0)))
        if case is not None and case["status"] == "removed":
            out.append({"item": item, "case": case})
    return out


def readmit_approved(conn: Connection, *, community_id: int,
                     now_ms: int) -> list[dict[str, Any]]:
    """Mark the approved applications revived (the policy invites them back)."""
    done = []
    for due in revivals_due(conn, community_id=community_id):
        case, item = due["case"], due["item"]
        if case_repo.revive(conn, case_id=int(case["id"]), how="approved", now_ms=now_ms):
            queue_repo.set_status(conn, item_id=int(item["id"]), status="done",
                                  resolved_by=item["resolved_by"], resolution="已邀请回群",
                                  now_ms=now_ms)
            done.append(case)
    return done


def history(conn: Connection, *, member_id: int) -> list[dict[str, Any]]:
    return case_repo.history(conn, member_id=member_id)


def approve_open(conn: Connection, *, community_id: int, operator: str) -> int:
    """Approve every open sweep removal and revival application, as `operator` (audited):
    what a rehearsal's stand-in operator does, so it shows removals and revivals too."""
    n = 0
    for queue in ("elimination", "revival"):
        for item in queue_repo.list_items(conn, community_id=community_id, queue=queue):
            if queue == "elimination" and not str(item["item_key"]).startswith("sweep:"):
                continue
            queues.resolve_item(conn, community_id=community_id, item_id=int(item["id"]),
                                operator=operator, status="approved", reason="预演：自动批准")
            n += 1
    return n
