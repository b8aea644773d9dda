"""Tier moves with hysteresis (T1): when a member's held tier changes. Pure.

The report computes each member's tier from the trailing window as it is today (the
*strict* tier). A live group needs more than that, or members flap between tiers as one
quiet week comes and goes; Discourse's trust levels solve it the same way:
- a promotion happens at once (the strict tier ranks above the held one);
- a demotion needs the member to miss even the *relaxed* bar — every threshold at 90% (the
  caller computes that tier with `analytics.tiers.relaxed`), so a member who slips just
  under a threshold keeps the tier;
- never within the grace period after a promotion (plan, default 14 days);
- never while an operator has locked the member's tier.
"""

from __future__ import annotations

from dataclasses import dataclass

# Highest first; the same precedence the report's `assign` uses.
ORDER = ("opinion_leader", "co_opinion_leader", "spreader", "active", "participant", "onlooker")
_RANK = {tier: i for i, tier in enumerate(ORDER)}
DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class Held:
    """The tier a member holds now, since when, and whether an operator locked it."""

    tier: str
    promoted_at_ms: int | None = None
    locked: bool = False


@dataclass(frozen=True, slots=True)
class Move:
    before: str | None
    after: str
    direction: str  # "first" (no tier held yet), "promotion", "demotion"


def above(a: str, b: str) -> bool:
    """Whether tier `a` ranks above tier `b`."""
    return _RANK[a] < _RANK[b]


def decide(held: Held | None, *, strict: str, relaxed: str, now_ms: int,
           grace_days: int) -> Move | None:
    """The move to make now, or None to keep the held tier. `relaxed` is the tier the
    member would have with every threshold at 90%; it is never below `strict`."""
    if held is None:
        return Move(None, strict, "first")
    if held.locked or held.tier == strict:
        return None
    if above(strict, held.tier):
        return Move(held.tier, strict, "promotion")
    in_grace = (held.promoted_at_ms is not None
                and now_ms - held.promoted_at_ms < grace_days * DAY_MS)
    if in_grace or not above(held.tier, relaxed):
        return None  # still within reach of the held tier's bar, or just promoted
    # Down to the best tier the relaxed bar still grants, never below the strict one.
    return Move(held.tier, relaxed, "demotion")
