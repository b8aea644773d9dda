"""T2 the ambassador programme (推广大使): invitations, answers, codes, members brought.

A tier action `do: ambassador` (`policies/tier_actions.py`) invites a member who entered
that tier, by DM, while the plan's `ambassadors.max` has seats (pending and accepted count);
the member answers `!接受` / `!拒绝` in the DM (`services.invitations`, shared with the
volunteers). An accepted ambassador gets a code of their own, and where the platform has
per-member invite links (Telegram) a link named after them (G2: the joins it brings name
them as inviter). A member they bring is credited to them once (`credit_join`: a join
naming them as inviter; `claim_code`: a newcomer's `!邀请码 CODE` where the join named
nobody) and earns them `points_per_member` contribution points in the T3 ledger, on top of
what `points.actions.invite` gives any inviter. Unanswered invitations close as declined
after `answer_days`. Every step is audited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from qunyun.domain import periods
from qunyun.plan.model import Ambassadors, Plan
from qunyun.services import lookup, outreach
from qunyun.services import points as points_service
from qunyun.storage.console import members as member_joins
from qunyun.storage.growth import ambassadors as repo
from qunyun.storage.work import audit as audit_repo

DAY_MS = 86_400_000
POINTS_ACTION = "ambassador"  # the ledger's action for a member an ambassador brought
# No 0/O, 1/I/L: a code is read out and typed by hand.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
STATE_NAMES = {"invited": "邀请中", "accepted": "推广大使", "declined": "已婉拒"}
VIA_NAMES = {"link": "专属链接", "invite": "直接邀请", "code": "邀请码"}


class AmbassadorError(ValueError):
    """An ambassador action that cannot be done (no programme, invited already …)."""


def programme(plan: Plan) -> Ambassadors | None:
    """The plan's ambassador section when it runs (None: absent or `enabled: false`)."""
    a = plan.ambassadors
    return a if a is not None and a.enabled else None


def open_seats(conn: Connection, *, community_id: int, plan: Plan) -> int:
    a = plan.ambassadors
    if a is None:
        return 0
    busy = sum(1 for r in repo.all_of(conn, community_id=community_id)
               if r["state"] in ("invited", "accepted"))
    return a.max - busy


def taken(conn: Connection, *, community_id: int) -> set[int]:
    """Everyone invited before, whatever they answered: the bot does not ask twice."""
    return {int(r["member_id"]) for r in repo.all_of(conn, community_id=community_id)}


def invitation_text(plan: Plan, *, name: str | None) -> str:
    a = plan.ambassadors
    assert a is not None
    community = plan.community.name
    opening = (a.invite_text or (
        "你好 {name}！我是「{community}」的群助手。你最近常把好内容分享给大家，"
        "我们想邀请你成为「{community}」的推广大使，把社群介绍给更多志同道合的朋友。")
    ).replace("{name}", name or "").replace("{community}", community)
    lines = [opening]
    if a.perks:
        lines.append(f"推广大使可以得到：{a.perks}")
    if a.points_per_member:
        lines.append(f"每邀请一位朋友进群，你会得到 {a.points_per_member} 积分。")
    lines.append("愿意的话回复 !接受，暂时不方便回复 !拒绝（都没关系，谢谢你！）")
    return "\n".join(lines)


def invite(conn: Connection, *, community_id: int, member_id: int, plan: Plan, by: str,
           why: str, now_ms: int) -> str:
    """Store an invitation (state `invited`) and return the DM's text; audited."""
    if programme(plan) is None:
        raise AmbassadorError("计划里没有启用推广大使（ambassadors），无法邀请")
    current = repo.one(conn, community_id=community_id, member_id=member_id)
    if current is not None and current["state"] in ("invited", "accepted"):
        raise AmbassadorError("这位成员已经是推广大使或已在邀请中")
    repo.invite(conn, community_id=community_id, member_id=member_id, at_ms=now_ms, by=by,
                why=why)
    _audit(conn, community_id=community_id,
           actor="policy:tier_actions" if by == "bot" else f"operator:{by}",
           action="ambassador.invite", reason=f"邀请成为推广大使：{why}", member_id=member_id,
           at_ms=now_ms)
    name = lookup.display_names(conn, member_ids=[member_id]).get(member_id)
    return invitation_text(plan, name=name)


def invite_by_operator(conn: Connection, *, community_id: int, member_id: int, plan: Plan,
                       operator: str, now_ms: int, why: str | None = None) -> str:
    """The console's invitation: stored and audited as the operator's, the DM queued in the
    bot's outbox when the weekly limit allows: `outreach.operator_dm`'s outcome."""
    text = invite(conn, community_id=community_id, member_id=member_id, plan=plan,
                  by=operator, why=f"运营 {operator} 手动邀请" + (f"；{why}" if why else ""),
                  now_ms=now_ms)
    return outreach.operator_dm(conn, community_id=community_id, member_id=member_id,
                                plan=plan, text=text, reason="T2 ambassador invitation",
                                kind="ambassador_invite", operator=operator,
                                policy="ambassadors", now_ms=now_ms,
                                todo="请亲自私信邀请 ta 做推广大使")


def candidates(rows: list[dict[str, Any]], *, plan: Plan, exclude: set[int],
               limit: int = 20) -> list[dict[str, Any]]:
    """The report's members in a tier whose action is `do: ambassador`, most members
    brought first, for the console (the bot invites them as they enter the tier)."""
    actions = plan.tier_actions.actions if plan.tier_actions else {}
    tiers = {tier for tier, action in actions.items() if action.do == "ambassador"}
    fit = [r for r in rows if r.get("tier") in tiers and int(r["member_id"]) not in exclude]
    fit.sort(key=lambda r: (-int(r.get("invited") or 0), int(r["member_id"])))
    return fit[:limit]


def pending(conn: Connection, *, community_id: int, member_id: int) -> bool:
    row = repo.one(conn, community_id=community_id, member_id=member_id)
    return row is not None and row["state"] == "invited"


def answer(conn: Connection, *, community_id: int, member_id: int, accept: bool, plan: Plan,
           now_ms: int, links: bool) -> str:
    """The member's `!接受` / `!拒绝` to a pending invitation; returns the reply. `links`:
    the platform gives per-member invite links (the link itself follows as its own effect)."""
    current = repo.one(conn, community_id=community_id, member_id=member_id)
    if current is None or current["state"] != "invited":
        if current is not None and current["state"] == "accepted":
            return f"你已经是推广大使了，你的邀请码：{current['code']}"
        return "目前没有待回复的推广大使邀请。"
    if not accept:
        repo.answer(conn, community_id=community_id, member_id=member_id, state="declined",
                    at_ms=now_ms)
        _audit(conn, community_id=community_id, actor="member", action="ambassador.decline",
               reason="婉拒了推广大使邀请", member_id=member_id, at_ms=now_ms)
        return "好的，完全理解！谢谢你一直以来的分享，之后想做推广大使随时告诉管理员。"
    code = _new_code(conn, community_id=community_id)
    repo.answer(conn, community_id=community_id, member_id=member_id, state="accepted",
                at_ms=now_ms, code=code)
    _audit(conn, community_id=community_id, actor="member", action="ambassador.accept",
           reason=f"接受了推广大使邀请（邀请码 {code}）", member_id=member_id, at_ms=now_ms,
           evidence={"code": code})
    a = plan.ambassadors
    how = ("你的专属邀请链接我马上发给你：朋友通过它进群，会自动记在你名下。" if links else
           "在群里直接邀请朋友进群，会自动记在你名下。")
    return "\n".join(filter(None, [
        "太好了，欢迎成为推广大使！",
        how,
        f"你的邀请码：{code}（朋友进群后在群里发 !邀请码 {code}，也会记在你名下）",
        (f"每邀请一位朋友，你会得到 {a.points_per_member} 积分。"
         if a is not None and a.points_per_member else ""),
        (f"推广大使可以得到：{a.perks}" if a is not None and a.perks else ""),
        "想再看邀请码，随时发 !邀请码。"]))


def code_of(conn: Connection, *, community_id: int, member_id: int) -> str | None:
    row = repo.one(conn, community_id=community_id, member_id=member_id)
    return str(row["code"]) if row and row["state"] == "accepted" and row["code"] else None


def credit_join(conn: Connection, *, community_id: int, member_id: int, inviter_id: int,
                via: str, plan: Plan, at: datetime, tz: str, group_id: int | None,
                ref: str | None) -> int | None:
    """A join naming `inviter_id` as inviter: credited to them when they are an accepted
    ambassador and the member was never credited to anyone; returns the points awarded
    (None: not an ambassador's, or credited before)."""
    if programme(plan) is None or inviter_id == member_id:
        return None
    if code_of(conn, community_id=community_id, member_id=inviter_id) is None:
        return None
    return _credit(conn, community_id=community_id, member_id=member_id,
                   ambassador_id=inviter_id, via="link" if via == "link" else "invite",
                   plan=plan, at=at, tz=tz, group_id=group_id, ref=ref)


@dataclass(frozen=True, slots=True)
class Claim:
    """What a newcomer's `!邀请码 CODE` did: the reply, and the ambassador credited with
    the points it earned them (None: nobody was credited)."""

    text: str
    ambassador_id: int | None = None
    points: int = 0


def claim_code(conn: Connection, *, community_id: int, member_id: int, code: str, plan: Plan,
               at: datetime, tz: str, group_id: int | None, ref: str | None) -> Claim:
    """A newcomer's `!邀请码 CODE`: credited to that ambassador within `code_days` of
    joining, when the join named nobody and nobody was credited before."""
    a = programme(plan)
    if a is None:
        return Claim("本群没有推广大使活动。")
    row = repo.by_code(conn, community_id=community_id, code=code.strip().upper())
    if row is None:
        return Claim(f"没有找到邀请码「{code.strip()}」，请核对后再发一次。")
    ambassador_id = int(row["member_id"])
    if ambassador_id == member_id:
        return Claim("这是你自己的邀请码：请把它发给想进群的朋友。")
    if repo.referrer_of(conn, community_id=community_id, member_id=member_id) is not None:
        return Claim("你的邀请人已经记下了，谢谢！")
    joined = outreach.first_joined(conn, member_ids=[member_id]).get(member_id)
    now_ms = int(at.timestamp() * 1000)
    if joined is None or joined < now_ms - a.code_days * DAY_MS:
        return Claim(f"邀请码只能在进群后 {a.code_days} 天内填写。")
    if member_joins.inviters_of(conn, member_id=member_id):
        return Claim("你进群时已经记下了邀请人，不需要再填邀请码。")
    points = _credit(conn, community_id=community_id, member_id=member_id,
                     ambassador_id=ambassador_id, via="code", plan=plan, at=at, tz=tz,
                     group_id=group_id, ref=ref)
    name = lookup.display_names(conn, member_ids=[ambassador_id]).get(ambassador_id)
    return Claim(f"已记下：你是 {name or '推广大使'} 邀请来的，欢迎你！", ambassador_id,
                 points or 0)


def _credit(conn: Connection, *, community_id: int, member_id: int, ambassador_id: int,
            via: str, plan: Plan, at: datetime, tz: str, group_id: int | None,
            ref: str | None) -> int | None:
    if repo.referrer_of(conn, community_id=community_id, member_id=member_id) is not None:
        return None
    at_ms = int(at.timestamp() * 1000)
    repo.add_referral(conn, community_id=community_id, member_id=member_id,
                      ambassador_member_id=ambassador_id, via=via, at_ms=at_ms)
    a = plan.ambassadors
    got = points_service.award(
        conn, community_id=community_id, member_id=ambassador_id, group_id=group_id,
        action=POINTS_ACTION, rules=plan.points, at=at, tz=tz, ref=ref,
        points=a.points_per_member if a else 0, ledger="contribution")
    names = lookup.display_names(conn, member_ids=[member_id, ambassador_id])
    _audit(conn, community_id=community_id, actor="policy:ambassadors",
           action="ambassador.referral", member_id=ambassador_id, at_ms=at_ms,
           group_id=group_id,
           reason=(f"推广大使 {names.get(ambassador_id) or ''} 带来了 "
                   f"{names.get(member_id) or '新成员'}（{VIA_NAMES[via]}）"
                   + (f"，+{got.points} 分" if got else "")),
           evidence={"newcomer_member_id": member_id, "via": via})
    return got.points if got else 0


def expire_unanswered(conn: Connection, *, community_id: int, plan: Plan,
                      now_ms: int) -> list[int]:
    """Invitations older than `answer_days` without an answer close as declined."""
    a = plan.ambassadors
    if a is None:
        return []
    cutoff = now_ms - a.answer_days * DAY_MS
    stale = [int(r["member_id"]) for r in repo.all_of(conn, community_id=community_id)
             if r["state"] == "invited" and int(r["invited_ms"]) < cutoff]
    for member_id in stale:
        repo.answer(conn, community_id=community_id, member_id=member_id, state="declined",
                    at_ms=now_ms)
        _audit(conn, community_id=community_id, actor="policy:ambassadors",
               action="ambassador.decline",
               reason=f"{a.answer_days} 天未回复推广大使邀请，视为婉拒",
               member_id=member_id, at_ms=now_ms)
    return stale


def _this_month_ms(now_ms: int, tz: str) -> int:
    """The start of the community's local calendar month holding `now_ms` (the boards'
    month, `domain.periods`)."""
    month = periods.period("month", datetime.fromtimestamp(now_ms / 1000, UTC), tz)
    assert month.since_ms is not None
    return month.since_ms


def roster(conn: Connection, *, community_id: int, tz: str,
           now_ms: int) -> list[dict[str, Any]]:
    """Every ambassador and invitation with state, code and members brought (this local
    month and in total), for the console."""
    rows = repo.all_of(conn, community_id=community_id)
    names = lookup.display_names(conn, member_ids=[int(r["member_id"]) for r in rows])
    total = repo.brought(conn, community_id=community_id)
    month = repo.brought(conn, community_id=community_id, since_ms=_this_month_ms(now_ms, tz))
    return [{**r, "name": names.get(int(r["member_id"])),
             "state_name": STATE_NAMES.get(str(r["state"]), ""),
             "brought_month": month.get(int(r["member_id"]), 0),
             "brought_total": total.get(int(r["member_id"]), 0)} for r in rows]


def of_member(conn: Connection, *, community_id: int, member_id: int) -> dict[str, Any] | None:
    """One member's ambassador row with its figures, for member 360 (None: never invited)."""
    row = repo.one(conn, community_id=community_id, member_id=member_id)
    if row is None:
        return None
    total = repo.brought(conn, community_id=community_id).get(member_id, 0)
    return {**row, "state_name": STATE_NAMES.get(str(row["state"]), ""),
            "brought_total": total}


def _new_code(conn: Connection, *, community_id: int) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not repo.code_taken(conn, community_id=community_id, code=code):
            return code


def _audit(conn: Connection, *, community_id: int, actor: str, action: str, reason: str,
           member_id: int | None, at_ms: int, group_id: int | None = None,
           evidence: dict[str, Any] | None = None) -> None:
    audit_repo.record(conn, entry={
        "at_ms": at_ms, "community_id": community_id, "group_id": group_id,
        "member_id": member_id, "actor": actor, "action": action, "reason": reason,
        "evidence": evidence or {}, "status": "done"})
