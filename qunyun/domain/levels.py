"""Levels from points (T3): which level a total reaches and how far the next one is. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qunyun.plan.model import Level


@dataclass(frozen=True, slots=True)
class Standing:
    level: str
    next_level: str | None
    to_next: int | None  # points still needed for the next level


def standing(levels: Sequence[Level], total: int) -> Standing:
    ordered = sorted(levels, key=lambda lv: lv.min_points)
    current = "—"
    for lv in ordered:
        if total >= lv.min_points:
            current = lv.name
            continue
        return Standing(current, lv.name, lv.min_points - total)
    return Standing(current, None, None)


def level_name(levels: Sequence[Level], total: int) -> str:
    return standing(levels, total).level
