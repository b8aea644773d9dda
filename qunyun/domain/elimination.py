"""E1 rules, pure: which of a group's members the plan's elimination rule names, and why.

Three rules, any of which the plan may set (a member named by several gets the first):
- silence: no message for `silent_days` (counted from the later of the last message,
  the join and the last return after a revival or an exemption), in calendar days on
  the community's clock (`days_silent`: the report and the sweep count the same way);
- below a tier at the end of the cycle: fewer messages or message days in the cycle than
  the tier asks (`tiers.active_min_*` / `participant_min_messages`);
- bottom N% (末位淘汰): the lowest N% by messages in the cycle, among members who were
  already in for the whole cycle (a newcomer is not "last" in a race they just joined).
Admins are never candidates; the caller also leaves out exempted members and members
with a case under way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from qunyun.plan.model import Elimination, Tiers

DAY_MS = 86_400_000
TIER_NAMES = {"active": "活跃者", "participant": "参与者"}


def days_silent(since_ms: int, now_ms: int, tz: tzinfo) -> int:
    """Days since `since_ms` as a person counts them from the dates shown: today's date
    minus the last message's date, both on the community's clock. (Counting whole 24-hour
    spans said "21 天" beside a last message dated 22 days ago when it was sent late in
    the evening; E3's list and E1's sweep now agree with the date they print.)"""
    def local(ms: int) -> datetime:
        return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(tz)
    return max(0, (local(now_ms).date() - local(since_ms).date()).days)


@dataclass(frozen=True, slots=True)
class MemberActivity:
    """What a sweep knows of one member of one group (times in ms, UTC)."""

    member_id: int
    external_ids: tuple[str, ...]
    joined_ms: int | None
    last_message_ms: int | None
    cycle_messages: int
    cycle_days: int


@dataclass(frozen=True, slots=True)
class Candidate:
    member_id: int
    rule: str  # silent | below_tier | bottom_percent
    reason: str  # told to the member and shown to the operator, in Chinese


def candidates(rows: Iterable[MemberActivity], *, rule: Elimination, tiers: Tiers,
               now_ms: int, cycle_days: int, admins: frozenset[str],
               returned_ms: Mapping[int, int] | None = None,
               tz: tzinfo = UTC) -> list[Candidate]:
    returned = returned_ms or {}
    people = [r for r in rows if not admins.intersection(r.external_ids)]
    found: dict[int, Candidate] = {}
    if rule.silent_days:
        for r in people:
            since = max(filter(None, (r.last_message_ms, r.joined_ms,
                                      returned.get(r.member_id))), default=None)
            if since is None:
                continue
            days = days_silent(since, now_ms, tz)
            if days >= rule.silent_days:
                why = (f"已连续 {days} 天未发言" if r.last_message_ms
                       else f"入群 {days} 天从未发言")
                found.setdefault(r.member_id, Candidate(r.member_id, "silent", why))
    cycle_start = now_ms - cycle_days * DAY_MS
    # Members in for the whole cycle (and not just back from a revival) are judged on it.
    settled = [r for r in people if (r.joined_ms or 0) <= cycle_start
               and returned.get(r.member_id, 0) <= cycle_start]
    if rule.below_tier:
        need_msgs, need_days = ((tiers.active_min_messages, tiers.active_min_days)
                                if rule.below_tier == "active"
                                else (tiers.participant_min_messages, 1))
        for r in settled:
            if r.cycle_messages < need_msgs or r.cycle_days < need_days:
                why = (f"本周期（{cycle_days} 天）发言 {r.cycle_messages} 条、{r.cycle_days} 天，"
                       f"未达到「{TIER_NAMES[rule.below_tier]}」（{need_msgs} 条、{need_days} 天）")
                found.setdefault(r.member_id, Candidate(r.member_id, "below_tier", why))
    if rule.bottom_percent and settled:
        ranked = sorted(settled, key=lambda r: (r.cycle_messages, r.cycle_days, r.member_id))
        n = math.floor(len(ranked) * rule.bottom_percent / 100)
        for r in ranked[:n]:
            why = (f"本周期（{cycle_days} 天）发言 {r.cycle_messages} 条，"
                   f"排在最后 {rule.bottom_percent:g}%（末位淘汰）")
            found.setdefault(r.member_id, Candidate(r.member_id, "bottom_percent", why))
    return sorted(found.values(), key=lambda c: c.member_id)
