"""The growth section's words (T1 held tiers on the member page), kept beside `texts.py`
(which merges them) so they do not interleave with other pages' in one hot file."""

from __future__ import annotations

GROWTH_TEXTS: dict[str, tuple[str, str]] = {
    "growth.held": ("机器人认定的等级（每日评定）", "Tier held by the bot (daily)"),
    "growth.none": ("尚未评定：机器人每日评定一次，或点「立即重新评定」",
                    "Not assessed yet: the bot assesses daily, or press Recompute now"),
    "growth.not_current": ("不评定：ta 现在不在任何群里（没有入群记录，或已经退群）。",
                           "Not assessed: not in any group now (no join on record, or left)."),
    "growth.locked": ("已锁定", "Locked"),
    "growth.history": ("等级变化记录", "Tier history"),
    "growth.lock": ("锁定为", "Lock at"),
    "growth.choose": ("选择等级…", "Choose a tier…"),
    "growth.unlock": ("解除锁定", "Unlock"),
    "growth.recompute": ("立即重新评定全员等级", "Recompute every member's tier now"),
    "growth.level_progress": ("升级进度", "Progress to the next level"),
    "growth.to_next": ("距「{level}」还差 {n} 分", "{n} points to {level}"),
    "growth.top_level": ("（已是最高等级）", "(top level)"),
    "growth.badges": ("徽章", "Badges"),
    "growth.recomputed": ("已重新评定，{n} 人的等级有变化。", "Recomputed: {n} tier changes."),
}
