"""T3 leaderboards by period, seasons, decay for long inactivity, manual grants.

- Boards: week / month / season / all time, each as three boards — participation,
  contribution (kept apart, T5) and their total — with dense ranks (ties share a rank).
  Period boards sum the ledger in the period (decay is left out: it is about all-time
  standing, not about this week); the all-time board is the running totals `!积分` shows.
- Seasons (`plan.seasons`): the season board is the season's period. A daily schedule
  entry at `seasons.announce_at` (`SEASON_JOB`) announces, on a season's first day, the
  season that ended with its top members (`season_to_close`, once: the closed season is
  recorded; a missed day is caught up within a week) and the season that starts
  (`season_starting`; the schedule's slot makes it once).
- Decay (`points.decay`, off by default): a member with no ledger row for `after_days`
  loses `percent` of each ledger every `every_days`, as ledger rows of action `decay` with
  the reason in `note`; `!积分` explains it.
- Grants and deductions by admins and operators, with a reason, to `points.manual.ledger`
  (action `manual_grant` / `manual_deduct`), audited with who did it.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import Connection

from qunyun.domain import recurrence
from qunyun.domain.periods import (
    PERIOD_NAMES,
    NoSeason,
    Period,
    Season,
    dense_ranks,
    from_first_day,
    local_date,
    period,
    season,
    season_on,
    season_period,
)
from qunyun.domain.streaks import local_day
from qunyun.plan.model import Plan, Seasons
from qunyun.services.schedule import EntrySpec, JobKind
from qunyun.storage.bot import boards as repo
from qunyun.storage.bot import points as points_repo
from qunyun.storage.events import log as event_log
from qunyun.storage.work import audit as audit_repo

BOARDS = ("total", "participation", "contribution")
BOARD_NAMES = {"total": "总积分", "participation": "参与", "contribution": "贡献"}
BOARD_NAMES_EN = {"total": "Total", "participation": "Participation",
                  "contribution": "Contribution"}
DECAY = "decay"
GRANT, DEDUCT = "manual_grant", "manual_deduct"
ACTION_NAMES = {DECAY: "长期不活跃衰减", GRANT: "管理员加分", DEDUCT: "管理员减分"}
ANNOUNCE_WITHIN_DAYS = 7  # a season that ended longer ago than this is not announced late
SEASON_KIND = "season.announce"  # schedule kind: one daily entry at seasons.announce_at
SEASON_CATCH_UP_MINUTES = 6 * 60  # a start announced by the afternoon is still that day's

__all__ = ["NoSeason", "Period", "Season"]


@dataclass(frozen=True, slots=True)
class Entry:
    rank: int
    member_id: int
    display_name: str | None
    participation: int
    contribution: int
    points: int  # on this board


@dataclass(frozen=True, slots=True)
class Board:
    period: Period
    board: str
    entries: list[Entry] = field(default_factory=list)  # everyone with points, best first

    def top(self, n: int) -> list[Entry]:
        return self.entries[:n]

    def of(self, member_id: int) -> Entry | None:
        return next((e for e in self.entries if e.member_id == member_id), None)

    @property
    def title(self) -> str:
        """「周榜 · 总积分（3月2日—3月8日）」"""
        p = self.period
        name = p.season.name if p.season else PERIOD_NAMES[p.kind]
        span = ""
        if p.start is not None:
            last = p.last_day
            span = (f"（{p.start.month}月{p.start.day}日—{last.month}月{last.day}日）" if last
                    else f"（{p.start.month}月{p.start.day}日起）")
        return f"{name} · {BOARD_NAMES[self.board]}{span}"


def seasons_of(conn: Connection, *, community_id: int, plan: Plan) -> Seasons | None:
    """The plan's seasons as this community numbers them: from the season its history
    begins in (the bot's `!排行 赛季`, its announcements and the console agree)."""
    if plan.seasons is None:
        return None
    first_ms = event_log.first_event_ms(conn, community_id=community_id)
    first_day = (local_date(datetime.fromtimestamp(first_ms / 1000, UTC), plan.bot.timezone)
                 if first_ms is not None else None)
    return from_first_day(plan.seasons, first_day)


def board(conn: Connection, *, community_id: int, plan: Plan, now: datetime, kind: str,
          which: str = "total", group_id: int | None = None,
          exclude: Collection[int] = ()) -> Board:
    """The `which` board of the `kind` period `now` falls in. Raises `NoSeason` for a
    season board when the plan has none running."""
    seasons = seasons_of(conn, community_id=community_id, plan=plan) if kind == "season" \
        else plan.seasons
    return board_for(conn, community_id=community_id,
                     span=period(kind, now, plan.bot.timezone, seasons), which=which,
                     group_id=group_id, exclude=exclude)


def board_for(conn: Connection, *, community_id: int, span: Period, which: str = "total",
              group_id: int | None = None, exclude: Collection[int] = ()) -> Board:
    if which not in BOARDS:
        raise ValueError(f"unknown board {which!r}")
    rows = repo.sums(conn, community_id=community_id, group_id=group_id,
                     since_ms=span.since_ms, until_ms=span.until_ms, exclude=exclude,
                     skip_actions=() if span.kind == "all" else (DECAY,))
    scored = []
    for r in rows:
        part, contrib = int(r["participation"]), int(r["contribution"])
        points = {"total": part + contrib, "participation": part,
                  "contribution": contrib}[which]
        if points > 0:
            scored.append((points, r, part, contrib))
    scored.sort(key=lambda s: (-s[0], int(s[1]["member_id"])))
    ranks = dense_ranks([s[0] for s in scored])
    return Board(span, which, [Entry(rank, int(r["member_id"]), r["display_name"], part,
                                     contrib, points)
                               for rank, (points, r, part, contrib) in zip(ranks, scored,
                                                                           strict=True)])


def season_entries(plan: Plan) -> list[EntrySpec]:
    """One daily entry at `seasons.announce_at` (local) when the plan announces seasons."""
    cfg = plan.seasons
    if cfg is None or (cfg.announce_top <= 0 and not cfg.announce_start):
        return []
    rule = recurrence.rule_text(at=cfg.announce_at, every="day", start=date(2026, 1, 1))
    return [EntrySpec(kind=SEASON_KIND, key="announce", rule=rule, title="赛季公告",
                      catch_up_minutes=SEASON_CATCH_UP_MINUTES)]


SEASON_JOB = JobKind(SEASON_KIND, from_plan=season_entries)


def season_starting(conn: Connection, *, community_id: int, plan: Plan, now: datetime
                    ) -> Season | None:
    """The season whose first day is today (local), when the plan announces starts."""
    cfg = seasons_of(conn, community_id=community_id, plan=plan)
    if cfg is None or not cfg.announce_start:
        return None
    today = local_date(now, plan.bot.timezone)
    current = season_on(cfg, today)
    return current if current is not None and current.start == today else None


def current_season(conn: Connection, *, community_id: int, plan: Plan, now: datetime
                   ) -> Season | None:
    return season_on(seasons_of(conn, community_id=community_id, plan=plan),
                     local_date(now, plan.bot.timezone))


def season_to_close(conn: Connection, *, community_id: int, plan: Plan, now: datetime
                    ) -> Season | None:
    """The season that ended within the last week and whose end is not announced yet
    (only when the plan announces: `seasons.announce_top` > 0)."""
    cfg = seasons_of(conn, community_id=community_id, plan=plan)
    if cfg is None or cfg.announce_top <= 0:
        return None
    today = local_date(now, plan.bot.timezone)
    now_season = season_on(cfg, today)
    if now_season is None or now_season.n < 2:
        return None
    ended = season(cfg, now_season.n - 1)
    if ended is None or ended.end is None or ended.end > today \
            or (today - ended.end).days >= ANNOUNCE_WITHIN_DAYS:
        return None
    if repo.season_closed(conn, community_id=community_id, season_n=ended.n):
        return None
    return ended


def close_season(conn: Connection, *, community_id: int, plan: Plan, ended: Season,
                 now: datetime, exclude: Collection[int] = ()) -> Board:
    """Remember that `ended` was announced; its final board (the total board)."""
    repo.close_season(conn, community_id=community_id, season_n=ended.n, name=ended.name,
                      closed_ms=int(now.timestamp() * 1000))
    return board_for(conn, community_id=community_id,
                     span=season_period(ended, plan.bot.timezone), exclude=exclude)


@dataclass(frozen=True, slots=True)
class Decayed:
    member_id: int
    idle_days: int
    participation: int  # points taken (positive numbers)
    contribution: int


def decay_rule_text(plan: Plan) -> str | None:
    """How decay works, in the member's words (None when the plan has it off)."""
    d = plan.points.decay
    if not d.enabled:
        return None
    every = "每周" if d.every_days == 7 else f"每 {d.every_days} 天"
    return f"连续 {d.after_days} 天没有获得积分，{every}扣除当前积分的 {d.percent:g}%"


def decay(conn: Connection, *, community_id: int, plan: Plan, now: datetime,
          exclude: Collection[int] = ()) -> list[Decayed]:
    """Apply decay to every member idle long enough (once per `every_days`); idempotent
    within that time, so a second pass on the same day takes nothing."""
    rule = plan.points.decay
    if not rule.enabled:
        return []
    now_ms = int(now.timestamp() * 1000)
    active = repo.last_at(conn, community_id=community_id, actions=(DECAY,), among=False)
    decayed = repo.last_at(conn, community_id=community_id, actions=(DECAY,), among=True)
    day = local_day(now, plan.bot.timezone)
    out = []
    for member_id, (part, contrib) in sorted(repo.totals_of(
            conn, community_id=community_id).items()):
        last = active.get(member_id)
        if member_id in exclude or last is None or part + contrib <= 0:
            continue
        idle = (now_ms - last) // 86_400_000
        if idle < rule.after_days:
            continue
        previous = decayed.get(member_id)
        if previous is not None and previous > last \
                and now_ms - previous < rule.every_days * 86_400_000:
            continue
        note = f"连续 {idle} 天没有获得积分，扣除 {rule.percent:g}%"
        taken = {}
        for ledger, balance in (("participation", part), ("contribution", contrib)):
            amount = min(balance, math.ceil(balance * rule.percent / 100)) if balance > 0 else 0
            taken[ledger] = amount
            if amount:
                points_repo.add(conn, row={
                    "community_id": community_id, "member_id": member_id, "group_id": None,
                    "ledger": ledger, "action": DECAY, "points": -amount, "day": day,
                    "at_ms": now_ms, "ref": None, "note": note})
        if any(taken.values()):
            out.append(Decayed(member_id, int(idle), taken["participation"],
                               taken["contribution"]))
    return out


def last_decay(conn: Connection, *, member_id: int) -> dict[str, object] | None:
    return repo.latest_of(conn, member_id=member_id, action=DECAY)


class GrantError(ValueError):
    """A grant or deduction that cannot be made; `str()` is the Chinese reason."""


@dataclass(frozen=True, slots=True)
class Granted:
    member_id: int
    points: int  # signed: negative for a deduction
    ledger: str
    reason: str
    total_after: int  # participation + contribution


def grant_text(name: str, granted: Granted, by: str) -> str:
    """What the group reads of a grant or deduction, by `!加分` or in the console:
    「@小明 +10 分（贡献，助教阿杰）：分享了学习笔记。现在共 64 分」."""
    sign = "+" if granted.points > 0 else "−"
    return (f"@{name} {sign}{abs(granted.points)} 分（{BOARD_NAMES[granted.ledger]}，{by}）"
            f"：{granted.reason}。现在共 {granted.total_after} 分")


def grant(conn: Connection, *, community_id: int, member_id: int, points: int, reason: str,
          by: str, plan: Plan, at: datetime, group_id: int | None = None,
          ledger: str | None = None, ref: str | None = None, admin: bool = False) -> Granted:
    """Add (positive `points`) or take away (negative) points with a reason, audited as
    `points.grant` / `points.deduct` by `by` (an operator's name, or with `admin` a group
    admin's; `ref` the command's event). The ledger row keeps the reason (`note`) and who
    (`ref` = "by <name>"). A deduction cannot take more than the member has there."""
    rules = plan.points.manual
    book = ledger or rules.ledger
    if book not in ("participation", "contribution"):
        raise GrantError("积分类别只能是「参与」或「贡献」")
    reason = " ".join(reason.split())
    if not reason:
        raise GrantError("请写明原因，例如：!加分 @小明 10 分享了很好的学习笔记")
    if len(reason) > 200:
        raise GrantError("原因太长了，请控制在 200 字以内")
    if points == 0:
        raise GrantError("分数要大于 0")
    if abs(points) > rules.max_points:
        raise GrantError(f"一次最多加减 {rules.max_points} 分")
    part, contrib = points_repo.totals(conn, member_id=member_id)
    balance = part if book == "participation" else contrib
    if points < 0 and balance + points < 0:
        raise GrantError(f"TA 的{BOARD_NAMES[book]}积分只有 {balance} 分，不能减 {-points} 分")
    after = points_repo.add(conn, row={
        "community_id": community_id, "member_id": member_id, "group_id": group_id,
        "ledger": book, "action": GRANT if points > 0 else DEDUCT, "points": points,
        "day": local_day(at, plan.bot.timezone), "at_ms": int(at.timestamp() * 1000),
        "ref": f"by {by}"[:255], "note": reason})
    audit_repo.record(conn, entry={
        "at_ms": int(at.timestamp() * 1000), "community_id": community_id,
        "group_id": group_id, "member_id": member_id,
        "actor": f"{'admin' if admin else 'operator'}:{by}"[:120],
        "action": "points.grant" if points > 0 else "points.deduct", "reason": reason,
        "evidence": {"points": points, "ledger": book, "total_after": sum(after),
                     **({"event": ref} if ref else {})},
        "status": "done"})
    return Granted(member_id, points, book, reason, sum(after))


