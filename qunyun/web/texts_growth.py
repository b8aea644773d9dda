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
    "growth.staff": ("管理员（不参与分层）", "Admin (not tiered)"),
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
    "growth.recomputed_first": ("已重新评定：{first} 人首次评定，{n} 人的等级有变化。",
                                "Recomputed: {first} first assessments, {n} tier changes."),
    "growth.report_tier": ("报告（截至 {as_of}）", "report (as of {as_of})"),
    # T2: the role or title the bot gave for the tier (Matrix: a power level).
    "growth.role": ("等级头衔", "Tier title"),
    "growth.role_given": ("「{role}」，因成为「{tier}」而授予", "\u201c{role}\u201d, given on reaching the tier {tier}"),
    "growth.role_level": ("在 Matrix 上是权限等级 {level}", "on Matrix, power level {level}"),
    "growth.role_by_operator": ("机器人在这个平台上不能设置头衔：已请运营者在群里设置",
                                "The bot cannot set titles on this platform: the operator "
                                "was asked to set it"),
    "growth.role_none": ("没有：计划没有给 ta 这一层设头衔",
                         "None: the plan gives no title for this tier"),
    "growth.staff_page": ("管理员不参与分层和积分", "Admins take no part in tiers or points"),
}
