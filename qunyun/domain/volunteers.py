"""T4 volunteers' words and privileges: which the bot carries out, their Chinese names.

Pure constants, shared by `plan check` (which must stay light: no analytics imports), the
service and the console.
"""

from __future__ import annotations

STATE_NAMES = {"invited": "已邀请", "accepted": "已接受", "declined": "已婉拒",
               "retired": "已卸任"}
PRIVILEGE_NAMES = {
    "delete_messages": "删除消息", "warn": "警告成员", "mute": "禁言", "kick": "移出成员",
    "pin": "置顶", "approve_members": "审核入群", "post_announcements": "发布公告",
    "review_queue": "处理待办", "answer_escalations": "值班答疑",
}
# What the bot itself carries out for a volunteer; the rest are duties the platform's own
# moderator tools (or the console) cover, listed in the invitation so the volunteer knows.
BOT_PRIVILEGES = frozenset({"warn", "delete_messages", "answer_escalations"})
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
# The six tiers' names (as `analytics.tiers.TIER_NAMES`, which plan check must not import).
TIER_WORDS = {"opinion_leader": "意见领袖", "co_opinion_leader": "副意见领袖",
              "spreader": "传播者", "active": "活跃者", "participant": "参与者",
              "onlooker": "旁观者"}
