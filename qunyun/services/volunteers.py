"""T4 volunteers: candidates, invitations by DM, answers, privileges, duty rota, retirement.

The bot's daily `volunteers.daily` pass (`job_kinds`) takes every member's tier as T1's
daily pass holds it (the report's definitions) and the report's numbers over the window
(`figures`: messages and active days, members brought; a few indexed queries, no child
process), picks up to the plan's `volunteers.target` from the
most active (`candidates`: the plan's `min_tier` and above, admins and anyone invited
before left out) and invites them by DM; a member answers `!接受` or `!拒绝` in the DM.
An accepted volunteer holds the privileges the plan gives their role (`privileges`), never
against an admin (checked by the policy). Each privileged action is stored for their
figures and audited with `volunteer:<name>` as the actor. The on-duty volunteer (the
plan's `rota`, `services.volunteer_duty`) is pinged first for R5 escalations; their answer
time is the time to their next message in that group. A volunteer silent for `inactive_days` is
retired with thanks. Operators invite and retire by hand from the console (audited).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from qunyun.analytics.tiers import TIER_NAMES, TIERS
from qunyun.domain import periods, recurrence
from qunyun.domain.volunteers import BOT_PRIVILEGES, PRIVILEGE_NAMES, STATE_NAMES
from qunyun.plan.model import Plan, VolunteerRole
from qunyun.services import lookup, outreach, reach
from qunyun.services.schedule import EntrySpec, JobKind
from qunyun.storage.growth import tiers as tier_repo
from qunyun.storage.growth import volunteers as repo
from qunyun.storage.work import audit as audit_repo

KIND = "volunteers.daily"
DAY_MS = 86_400_000


class VolunteerError(ValueError):
    """A volunteer action that cannot be done (nothing to answer, not a volunteer …)."""


def job_kinds() -> list[JobKind]:
    return [JobKind(KIND, from_plan=plan_entries)]


def plan_entries(plan: Plan) -> list[EntrySpec]:
    """One daily entry at `volunteers.daily_at`; none without a volunteers section."""
    if plan.volunteers is None:
        return []
    rule = recurrence.rule_text(at=plan.volunteers.daily_at, every="day",
                                start=date(2026, 1, 1))
    return [EntrySpec(kind=KIND, key="daily", rule=rule, title="每日志愿者邀请与值班",
                      catch_up_minutes=24 * 60)]


@dataclass(frozen=True, slots=True)
class Candidate:
    member_id: int
    name: str | None
    tier: str
    why: str


def candidates(rows: list[dict[str, Any]], *, plan: Plan, exclude: set[int],
               limit: int) -> list[Candidate]:
    """The most active members by the report's measures, best first: tier (T1), then
    messages and active days in the window, then members brought."""
    assert plan.volunteers is not None
    bar = TIERS.index(plan.volunteers.min_tier)
    fit = [r for r in rows if int(r["member_id"]) not in exclude
           and TIERS.index(str(r["strict"])) <= bar]
    fit.sort(key=lambda r: (TIERS.index(str(r["strict"])), -int(r["window_messages"]),
                            -int(r["active_days"]), -int(r["invited"]), int(r["member_id"])))
    return [Candidate(int(r["member_id"]), r.get("name"), str(r["strict"]),
                      f"「{TIER_NAMES[str(r['strict'])]}」：近 {plan.tiers.window_days} 天发言 "
                      f"{r['window_messages']} 条、活跃 {r['active_days']} 天、邀请 "
                      f"{r['invited']} 人") for r in fit[:max(limit, 0)]]


def figures(conn: Connection, *, community_id: int, plan: Plan,
            now_ms: int) -> list[dict[str, Any]]:
    """The rows `candidates` ranks, cheaply, for the daily pass: each member's tier as the
    bot holds it (T1's daily pass, the report's definitions) and the report's numbers over
    the window (messages, active days, members brought), for the tiers that can qualify."""
    assert plan.volunteers is not None
    bar = TIERS.index(plan.volunteers.min_tier)
    held = {m: h for m, h in tier_repo.held_of(conn, community_id=community_id).items()
            if TIERS.index(str(h["tier"])) <= bar}
    # The tier window as the report counts it: the last N local calendar days, today
    # included, each day from its own local midnight (a DST change moves the boundaries).
    zone = plan.bot.timezone
    today = datetime.fromtimestamp(now_ms / 1000, ZoneInfo(zone)).date()
    starts = [periods.local_midnight_ms(d, zone)
              for d in periods.trailing_days(today, plan.tiers.window_days)]
    numbers = repo.activity_of(conn, member_ids=sorted(held), day_starts_ms=starts,
                               until_ms=now_ms)
    names = lookup.display_names(conn, member_ids=sorted(held))
    return [{"member_id": m, "name": names.get(m), "strict": str(h["tier"]),
             "window_messages": numbers[m][0], "active_days": numbers[m][1],
             "invited": numbers[m][2]} for m, h in held.items()]


def open_seats(conn: Connection, *, community_id: int, plan: Plan) -> int:
    """How many more invitations the target allows (accepted and pending count)."""
    assert plan.volunteers is not None
    busy = sum(1 for v in repo.all_of(conn, community_id=community_id)
               if v["state"] in ("invited", "accepted"))
    return plan.volunteers.target - busy


def taken(conn: Connection, *, community_id: int) -> set[int]:
    """Everyone invited before, whatever they answered: the bot does not ask twice."""
    return {int(v["member_id"]) for v in repo.all_of(conn, community_id=community_id)}


def role_named(plan: Plan, name: str | None) -> VolunteerRole | None:
    roles = plan.volunteers.roles if plan.volunteers else []
    return next((r for r in roles if name is not None and r.name == name), None)


def next_role(conn: Connection, *, community_id: int, plan: Plan) -> str | None:
    """The plan's role with the fewest volunteers (accepted or invited) so far."""
    roles = plan.volunteers.roles if plan.volunteers else []
    if not roles:
        return None
    rows = repo.all_of(conn, community_id=community_id)
    load = {r.name: sum(1 for v in rows if v["role"] == r.name
                        and v["state"] in ("invited", "accepted")) for r in roles}
    return min(roles, key=lambda r: (load[r.name], roles.index(r))).name


def invitation_text(plan: Plan, *, name: str | None, role: str | None) -> str:
    v = plan.volunteers
    assert v is not None
    opening = v.invite_text or (
        f"你好{('，' + name) if name else ''}！我是「{plan.community.name}」的群助手。"
        "你是群里最活跃的成员之一，我们想邀请你成为社群志愿者，和我们一起把社群办好。")
    lines = [opening]
    chosen = role_named(plan, role)
    if chosen is not None:
        lines.append(f"建议的分工：「{chosen.name}」" + (f"——{chosen.duties}" if chosen.duties
                                                     else ""))
    others = [r.name for r in v.roles if chosen is None or r.name != chosen.name]
    if others:
        lines.append("也可以选：" + "、".join(f"「{n}」" for n in others)
                     + "（回复 !接受 分工名）")
    lines.append("愿意的话回复 !接受，暂时不方便回复 !拒绝（都没关系，谢谢你！）")
    return "\n".join(lines)


def invite(conn: Connection, *, community_id: int, member_id: int, plan: Plan, by: str,
           why: str, now_ms: int, role: str | None = None) -> str:
    """Store an invitation (state `invited`) and return the DM's text. `by` is "bot" or
    the operator; an operator's invitation is audited as theirs."""
    if plan.volunteers is None:
        raise VolunteerError("计划里没有志愿者部分（volunteers），无法邀请")
    current = repo.one(conn, community_id=community_id, member_id=member_id)
    if current is not None and current["state"] in ("invited", "accepted"):
        raise VolunteerError("这位成员已经是志愿者或已在邀请中")
    if role is not None and role_named(plan, role) is None:
        raise VolunteerError(f"计划里没有「{role}」这个志愿者分工")
    role = role or next_role(conn, community_id=community_id, plan=plan)
    repo.invite(conn, community_id=community_id, member_id=member_id, role=role, at_ms=now_ms,
                by=by, why=why)
    if by != "bot":
        _audit(conn, community_id=community_id, actor=f"operator:{by}",
               action="volunteer.invite", reason=f"邀请成为志愿者（{role or '未分工'}）",
               member_id=member_id, at_ms=now_ms, evidence={"role": role})
    name = lookup.display_names(conn, member_ids=[member_id]).get(member_id)
    return invitation_text(plan, name=name, role=role)


def answer(conn: Connection, *, community_id: int, member_id: int, accept: bool,
           plan: Plan, now_ms: int, role: str | None = None) -> str:
    """The member's `!接受` / `!拒绝` to a pending invitation; returns the reply."""
    current = repo.one(conn, community_id=community_id, member_id=member_id)
    if current is None or current["state"] != "invited":
        if current is not None and current["state"] == "accepted":
            return "你已经是志愿者了，谢谢你！"
        return "目前没有待回复的志愿者邀请。"
    if not accept:
        repo.set_state(conn, community_id=community_id, member_id=member_id, state="declined",
                       at_ms=now_ms)
        _audit(conn, community_id=community_id, actor="member", action="volunteer.decline",
               reason="婉拒了志愿者邀请", member_id=member_id, at_ms=now_ms)
        return "好的，完全理解！谢谢你一直以来的参与，之后想加入随时告诉管理员。"
    if role and role_named(plan, role) is None:
        names = "、".join(r.name for r in (plan.volunteers.roles if plan.volunteers else []))
        return f"没有「{role}」这个分工，可选：{names}。请回复 !接受 分工名，或直接 !接受"
    chosen = role or current["role"]
    repo.set_state(conn, community_id=community_id, member_id=member_id, state="accepted",
                   at_ms=now_ms, role=chosen)
    _audit(conn, community_id=community_id, actor="member", action="volunteer.accept",
           reason=f"接受了志愿者邀请（{chosen or '未分工'}）", member_id=member_id,
           at_ms=now_ms, evidence={"role": chosen})
    r = role_named(plan, chosen)
    can = [PRIVILEGE_NAMES[p] for p in (r.privileges if r else []) if p in BOT_PRIVILEGES]
    elsewhere = [PRIVILEGE_NAMES[p] for p in (r.privileges if r else [])
                 if p not in BOT_PRIVILEGES]
    how = []
    if r and "warn" in r.privileges:
        how.append("在群里发 !警告 @某人 原因")
    if r and "delete_messages" in r.privileges:
        how.append("回复一条消息发 !删除")
    return "\n".join(filter(None, [
        f"太好了，欢迎加入志愿者团队！你的分工：「{chosen}」" if chosen else
        "太好了，欢迎加入志愿者团队！",
        (f"职责：{r.duties}" if r and r.duties else ""),
        ("你的权限：" + "、".join(can)) if can else "",
        ("、".join(elsewhere) + " 由管理员在群里为你开通") if elsewhere else "",
        ("用法：" + "；".join(how)) if how else "",
        "这些权限不能对管理员使用。每次操作都会记录在案。"]))


def retire(conn: Connection, *, community_id: int, member_id: int, by: str, reason: str,
           now_ms: int) -> None:
    """End a volunteer's term (`by`: "bot" for inactivity, or the operator); audited."""
    current = repo.one(conn, community_id=community_id, member_id=member_id)
    if current is None or current["state"] not in ("accepted", "invited"):
        raise VolunteerError("这位成员现在不是志愿者")
    repo.set_state(conn, community_id=community_id, member_id=member_id, state="retired",
                   at_ms=now_ms, by=by)
    _audit(conn, community_id=community_id,
           actor="policy:volunteers" if by == "bot" else f"operator:{by}",
           action="volunteer.retire", reason=reason, member_id=member_id, at_ms=now_ms)


def expire_unanswered(conn: Connection, *, community_id: int, plan: Plan,
                      now_ms: int) -> list[int]:
    """Invitations older than `volunteers.answer_days` without an answer are closed as
    declined (audited), so they stop holding a seat; returns the members."""
    if plan.volunteers is None:
        return []
    cutoff = now_ms - plan.volunteers.answer_days * DAY_MS
    stale = [int(v["member_id"]) for v in repo.all_of(conn, community_id=community_id)
             if v["state"] == "invited" and int(v["invited_ms"]) < cutoff]
    for member_id in stale:
        repo.set_state(conn, community_id=community_id, member_id=member_id, state="declined",
                       at_ms=now_ms)
        _audit(conn, community_id=community_id, actor="policy:volunteers",
               action="volunteer.decline",
               reason=f"{plan.volunteers.answer_days} 天未回复志愿者邀请，视为婉拒",
               member_id=member_id, at_ms=now_ms)
    return stale


def thanks_text(plan: Plan, *, name: str | None, role: str | None) -> str:
    as_role = f"作为「{role}」" if role else ""
    return (f"{name or '你好'}，感谢你这段时间{as_role}为「{plan.community.name}」付出的时间和"
            "心力！最近一段时间没看到你，我们先把志愿者的工作交给其他伙伴；"
            "随时欢迎你回来，想再做志愿者告诉管理员即可。")


def privileges(conn: Connection, *, community_id: int, member_id: int,
               plan: Plan) -> frozenset[str]:
    """An accepted volunteer's privileges (their role's); empty for anyone else."""
    current = repo.one(conn, community_id=community_id, member_id=member_id)
    if current is None or current["state"] != "accepted":
        return frozenset()
    r = role_named(plan, current["role"])
    return frozenset(r.privileges) if r else frozenset()


def accepted(conn: Connection, *, community_id: int) -> set[int]:
    return repo.accepted_ids(conn, community_id=community_id)


def record_action(conn: Connection, *, community_id: int, volunteer_id: int,
                  volunteer_name: str, action: str, target_member_id: int | None,
                  group_id: int | None, reason: str, at_ms: int,
                  evidence: dict[str, Any] | None = None) -> None:
    """A privileged action: stored for the volunteer's figures and audited as theirs."""
    repo.add_action(conn, community_id=community_id, member_id=volunteer_id, action=action,
                    target_member_id=target_member_id, at_ms=at_ms, detail=evidence or {})
    _audit(conn, community_id=community_id, actor=f"volunteer:{volunteer_name}",
           action=f"volunteer.{action}", reason=reason, member_id=target_member_id,
           group_id=group_id, at_ms=at_ms, evidence={"volunteer_member_id": volunteer_id,
                                                     **(evidence or {})})


def inactive(conn: Connection, *, community_id: int, plan: Plan, now_ms: int) -> list[int]:
    """Accepted volunteers with no message for `inactive_days` (counted from acceptance
    for one who never spoke since)."""
    if plan.volunteers is None:
        return []
    rows = [v for v in repo.all_of(conn, community_id=community_id) if v["state"] == "accepted"]
    last = repo.last_messages(conn, member_ids=[int(v["member_id"]) for v in rows])
    cutoff = now_ms - plan.volunteers.inactive_days * DAY_MS
    return [int(v["member_id"]) for v in rows
            if max(last.get(int(v["member_id"]), 0), int(v["answered_ms"] or 0)) < cutoff]


def roster(conn: Connection, *, community_id: int) -> list[dict[str, Any]]:
    """Every volunteer and invitation with state, role, timestamps and figures."""
    rows = repo.all_of(conn, community_id=community_id)
    ids = [int(v["member_id"]) for v in rows]
    names = lookup.display_names(conn, member_ids=ids)
    counts = repo.action_counts(conn, community_id=community_id)
    pings = repo.ping_figures(conn, community_id=community_id)
    out = []
    for v in rows:
        mid = int(v["member_id"])
        c = counts.get(mid, {})
        p = pings.get(mid, {})
        mean = p.get("mean_ms")
        out.append({**v, "name": names.get(mid), "state_name": STATE_NAMES.get(v["state"], ""),
                    "warns": c.get("warn", 0), "deletes": c.get("delete", 0),
                    "escalations": c.get("escalation", 0), "actions": sum(c.values()),
                    "pings": p.get("pings", 0), "pings_answered": p.get("answered", 0),
                    "response_minutes": round(mean / 60_000, 1) if mean is not None else None})
    return out


def _audit(conn: Connection, *, community_id: int, actor: str, action: str, reason: str,
           member_id: int | None, at_ms: int, group_id: int | None = None,
           evidence: dict[str, Any] | None = None) -> None:
    # The audit row carries the action's own time (the bot's clock), not the wall clock.
    audit_repo.record(conn, entry={
        "at_ms": at_ms, "community_id": community_id, "group_id": group_id,
        "member_id": member_id, "actor": actor, "action": action, "reason": reason,
        "evidence": evidence or {}, "status": "done"})


QUEUED, OVER_LIMIT = outreach.QUEUED, outreach.OVER_LIMIT


def invite_by_operator(conn: Connection, *, community_id: int, member_id: int, plan: Plan,
                       operator: str, now_ms: int, role: str | None = None,
                       why: str | None = None) -> str:
    """The console's invitation: stored and audited as the operator's, the DM queued in the
    bot's outbox when the weekly limit allows. Returns `QUEUED`, `OVER_LIMIT` (not sent,
    the operator is told), or, for a member no bot of the community can reach (issue 11
    #68: an imported Telegram member under a Matrix bot), the words of the operator to-do
    opened with the invitation's text. `why` is the candidate's numbers when the operator
    picked them from the list."""
    text = invite(conn, community_id=community_id, member_id=member_id, plan=plan,
                  by=operator, why=f"运营 {operator} 手动邀请" + (f"；{why}" if why else ""),
                  now_ms=now_ms, role=role)
    return outreach.operator_dm(conn, community_id=community_id, member_id=member_id,
                                plan=plan, text=text, reason="T4 volunteer invitation",
                                kind="volunteer_invite", operator=operator, policy="volunteers",
                                now_ms=now_ms, todo="请亲自私信邀请 ta 做志愿者")


def retire_by_operator(conn: Connection, *, community_id: int, member_id: int,
                       plan: Plan | None, operator: str, now_ms: int) -> None:
    """The console's retirement, audited; an accepted volunteer is thanked by DM."""
    row = repo.one(conn, community_id=community_id, member_id=member_id)
    retire(conn, community_id=community_id, member_id=member_id, by=operator,
           reason=f"运营 {operator} 手动卸任", now_ms=now_ms)
    if plan is not None and row is not None and row["state"] == "accepted":
        name = lookup.display_names(conn, member_ids=[member_id]).get(member_id)
        outreach.operator_dm(conn, community_id=community_id, member_id=member_id, plan=plan,
                             text=thanks_text(plan, name=name, role=row["role"]),
                             reason="T4 volunteer retired", kind="thanks", operator=operator,
                             policy="volunteers", now_ms=now_ms, todo="卸任了志愿者，请亲自致谢")


def invitation_delivery(conn: Connection, *, community_id: int,
                        member_ids: list[int]) -> dict[int, tuple[str, str | None]]:
    """The latest invitation DM of each member as the outbox holds it: (status, detail),
    status `pending` (queued, not sent yet), `done` (sent) or `failed` (with the reason);
    `todo` (with why) for a member no bot can reach, whose invitation is the operator's."""
    out: dict[int, tuple[str, str | None]] = {}
    for member_id in member_ids:
        for row in audit_repo.entries(conn, community_id=community_id, action="dm",
                                      member_id=member_id, limit=20):
            if "volunteer invitation" in str(row.get("reason") or ""):
                out[member_id] = (str(row["status"]), row.get("detail"))
                break
    # No DM at all for a member no bot can reach: the invitation is the operator's to-do.
    far = reach.unreachable_members(conn, community_id=community_id,
                                    member_ids=[m for m in member_ids if m not in out])
    out |= {m: ("todo", reach.unreachable_text(p)) for m, p in far.items()}
    return out


def delivery_words(found: tuple[str, str | None] | None) -> tuple[str, str] | None:
    """(state, why) of an invitation DM for the console (`pending`, `done`, `failed`
    with the adapter's worded reason; never a platform's raw error); None: no DM queued."""
    if found is None:
        return None
    status, detail = found
    if status == "failed":
        why = (detail or "").removeprefix("需要运营者处理：")
        return ("failed", why if why and why != detail else "")
    if status == "todo":
        return ("todo", detail or "")
    return (status if status in ("pending", "done") else "pending", "")


def of_member(conn: Connection, *, community_id: int, member_id: int) -> dict[str, Any] | None:
    """One member's volunteer row with its figures (the roster's) and, while invited, what
    became of the invitation DM (`dm`), for the member 360 page; None when never invited."""
    row = next((r for r in roster(conn, community_id=community_id)
                if int(r["member_id"]) == member_id), None)
    if row is None:
        return None
    found = invitation_delivery(conn, community_id=community_id, member_ids=[member_id])
    return {**row, "dm": delivery_words(found.get(member_id))
            if row["state"] == "invited" else None}


def state_of(conn: Connection, *, community_id: int, member_id: int) -> str | None:
    row = repo.one(conn, community_id=community_id, member_id=member_id)
    return str(row["state"]) if row else None
