"""`plan check` findings for T4 volunteers, T2 tier actions and the ambassador programme.

Privileges the bot does not carry out itself (pin, post_announcements …) are not findings:
the invitation names them and the operator grants them on the platform (README, T4).
"""

from __future__ import annotations

from collections.abc import Iterator

from qunyun.domain.volunteers import TIER_WORDS as TIER_NAMES
from qunyun.plan.findings import Finding
from qunyun.plan.model import Plan

PRAISABLE = ("opinion_leader", "co_opinion_leader", "spreader", "active")


def check_volunteers(plan: Plan) -> Iterator[Finding]:
    v = plan.volunteers
    if v is None:
        return
    if v.min_tier in ("participant", "onlooker"):
        yield Finding("T4", "volunteers.min_tier",
                      f"志愿者候选从「{TIER_NAMES[v.min_tier]}」起选：应从最活跃的成员中选"
                      "（活跃者及以上）",
                      "volunteer candidates should come from the most active members "
                      "(active and above)")
    names: set[str] = set()
    for i, role in enumerate(v.roles):
        if role.name in names:
            yield Finding("T4", f"volunteers.roles.{i}.name", f"志愿者分工「{role.name}」重复",
                          f"volunteer role {role.name!r} is named twice")
        names.add(role.name)


def check_tier_actions(plan: Plan) -> Iterator[Finding]:
    t = plan.tier_actions
    if t is None:
        return
    for tier, action in t.actions.items():
        path = f"tier_actions.actions.{tier}"
        if action.do == "volunteer" and plan.volunteers is None:
            yield Finding("T2", path, f"「{TIER_NAMES[tier]}」的动作是邀请做志愿者，但计划里没有"
                          "志愿者部分（volunteers）",
                          f"{tier}: invites to the volunteer programme, but the plan has no "
                          "volunteers section")
        if action.do == "praise" and tier not in PRAISABLE:
            yield Finding("T2", path, f"「{TIER_NAMES[tier]}」不适合公开表扬：公开表扬只用于活跃者"
                          "及以上，参与者和旁观者请用私信（dm）或运营待办（todo）",
                          f"{tier}: public praise is for active tiers and above; use dm or todo")
        if action.do == "ambassador" and plan.ambassadors is None:
            yield Finding("T2", path, f"「{TIER_NAMES[tier]}」的动作是邀请做推广大使，但计划里"
                          "没有推广大使部分（ambassadors）",
                          f"{tier}: invites to the ambassador programme, but the plan has no "
                          "ambassadors section")
        if action.do == "ambassador" and plan.ambassadors is not None \
                and not plan.ambassadors.enabled:
            yield Finding("T2", path, f"「{TIER_NAMES[tier]}」的动作是邀请做推广大使，但推广大使"
                          "没有启用（ambassadors.enabled: false）：不会有人被邀请",
                          f"{tier}: invites to the ambassador programme, which is switched "
                          "off (ambassadors.enabled: false)", severity="advice")
        if action.do in ("dm", "volunteer", "ambassador") and t.dm_per_week == 0:
            yield Finding("T2", "tier_actions.dm_per_week",
                          "每周私信上限是 0：机器人的私信动作都不会发出",
                          "dm_per_week is 0: no bot DM will be sent", severity="advice")
        if action.text and "{" in action.text.replace("{name}", "").replace(
                "{community}", "").replace("{tier}", ""):
            yield Finding("T2", f"{path}.text", "文案里只能用 {name}、{community}、{tier} 占位",
                          "the text may only use {name}, {community} and {tier}")
        if action.role:
            yield from _role(plan, f"{path}.role", tier, action.role, action.role_level)


def _role(plan: Plan, path: str, tier: str, role: str, level: int) -> Iterator[Finding]:
    """How the platform gives the tier's role (T2), said before the bot runs."""
    platform, name = plan.community.platform, TIER_NAMES[tier]
    if platform == "telegram":
        yield Finding("T2", path, f"「{name}」的头衔「{role}」：Telegram 机器人不能只给头衔"
                      "（要先把成员设为管理员），每次升降级都会变成运营待办，附草稿",
                      f"{tier}: Telegram bots cannot give a title alone (it needs making the "
                      "member an admin): each change becomes an operator to-do with a draft",
                      severity="advice")
    elif platform == "qq":
        yield Finding("T2", path, f"「{name}」的头衔「{role}」：QQ 只有群主能设置专属头衔，"
                      "机器人账号不是群主时每次会变成运营待办",
                      f"{tier}: on QQ only the group's owner can set a special title; unless "
                      "the bot's account owns the group, each change is an operator to-do",
                      severity="advice")
        if len(role) > 6:
            yield Finding("T2", path, f"头衔「{role}」超过 6 个字：QQ 专属头衔最多 6 个汉字",
                          f"title {role!r} is longer than 6 characters: QQ special titles "
                          "hold at most 6 Chinese characters", severity="advice")
    elif platform == "matrix" and level >= 50:
        yield Finding("T2", path, f"「{name}」的权限等级 {level} ≥ 50：在 Matrix 上就是"
                      "管理员了，规则不再管 ta，志愿者也不能警告 ta",
                      f"{tier}: power level {level} is 50 or more, a moderator on Matrix: "
                      "the rules and volunteers leave moderators alone", severity="advice")


def check_ambassadors(plan: Plan) -> Iterator[Finding]:
    a = plan.ambassadors
    if a is None or not a.enabled:
        return
    actions = plan.tier_actions.actions if plan.tier_actions else {}
    if not any(action.do == "ambassador" for action in actions.values()):
        yield Finding("T2", "ambassadors",
                      "有推广大使部分，但没有哪个层级的动作是 do: ambassador：机器人不会邀请任何人"
                      "（例如 tier_actions.actions.spreader: {do: ambassador}）",
                      "an ambassadors section, but no tier action is `do: ambassador`: the bot "
                      "invites nobody", severity="advice")
    if a.invite_text and "{" in a.invite_text.replace("{name}", "").replace("{community}", ""):
        yield Finding("T2", "ambassadors.invite_text", "邀请文案里只能用 {name}、{community} 占位",
                      "the invitation may only use {name} and {community}")
