"""What the console shows for the system's internal codes: audit actions and actors, the
bot's reason codes, delivery statuses, points reasons and evidence, in the chosen
language (issue 11: no `policy:moderation`, `A2 !rank`, `done $event` or JSON on a page).

Every function falls back to the raw value when it does not know a code, so a new code
shows up as itself instead of vanishing; the raw record stays one click away on the
pages (a <details> with the JSON). Templates reach these through `render.env` filters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from qunyun.analytics.tiers import TIER_ACTIONS, TIER_ACTIONS_EN, TIER_NAMES, TIER_NAMES_EN
from qunyun.domain import rule_words
from qunyun.events import MUTED_UNTIL_LIFTED
from qunyun.report import words
from qunyun.report.words import dying_reason as dying_reason  # the console's filter
from qunyun.report.words import signal_sentence
from qunyun.web import growth_labels, reason_words
from qunyun.web.texts import translate

Pair = tuple[str, str]

ACTIONS: dict[str, Pair] = {
    "send": ("发消息", "posted a message"),
    "reply": ("回复", "replied"),
    "dm": ("私信", "sent a direct message"),
    "delete": ("删除消息", "deleted a message"),
    "warn": ("警告", "warned"),
    "kick": ("移出群", "removed from the group"),
    "invite": ("邀请入群", "invited to the group"),
    "invite_link": ("发专属邀请链接", "sent a personal invite link"),
    "role": ("授予或收回等级头衔", "gave or took back a tier title"),
    "sale.record": ("记录成交", "recorded a sale"),
    "open_group": ("新开下一个群", "opened the next group"),
    "file": ("登记待办", "filed a to-do"),
    "mute": ("禁言", "muted"),
    "points": ("加积分", "awarded points"),
    "alert": ("提醒管理员", "alerted the admins"),
    "flag": ("标记待审核", "flagged for review"),
    "policy_error": ("规则执行出错", "a policy failed"),
    "plan:save": ("保存计划", "saved the plan"),
    "plan:rejected": ("计划未保存", "plan not saved"),
    "plan:import": ("从文件导入计划", "imported the plan file"),
    "plan:running": ("机器人按此计划启动", "bot started with this plan"),
    "plan:reloaded": ("机器人载入新计划", "bot loaded the new plan"),
    "plan:refused": ("机器人未载入新计划", "bot kept its plan"),
    "queues:refresh": ("从报告打开待办", "opened items from the report"),
    "warning:revoke": ("撤销警告", "withdrew a warning"),
    "revival:file": ("代为提交复活申请", "filed a revival application"),
    "calendar:add": ("添加日历帖", "added a calendar post"),
    "calendar:edit": ("修改日历帖", "edited a calendar post"),
    "schedule:pause": ("暂停日程", "paused a schedule entry"),
    "schedule:resume": ("恢复日程", "resumed a schedule entry"),
    "schedule:skip": ("跳过一次日程", "skipped one occurrence"),
    "schedule:unskip": ("恢复跳过的一次", "restored a skipped occurrence"),
    "schedule:missed": ("错过的日程（超出补发时限）", "missed slot (outside the catch-up window)"),
    "operator:end_session": ("结束一个登录会话", "ended a session"),
    "operator:end_sessions": ("结束全部登录会话", "ended every session"),
    "operator:remove": ("移除操作员", "removed an operator"),
    "operator:role": ("修改操作员角色", "changed an operator's role"),
    "growth.promotion": ("成长等级升级", "tier promotion"),
    "growth.demotion": ("成长等级下调", "tier demotion"),
    "growth.first": ("首次评定成长等级", "first tier assessment"),
    "growth.recompute": ("立即重新评定全员等级", "recomputed every member's tier"),
    "growth.lock": ("锁定成长等级", "locked a tier"),
    "growth.unlock": ("解除等级锁定", "unlocked a tier"),
    "points.grant": ("加分", "granted points"),
    "points.deduct": ("减分", "deducted points"),
    "task": ("完成任务", "task done"),
    "volunteer.invite": ("邀请做志愿者", "invited to volunteer"),
    "volunteer.accept": ("接受志愿者邀请", "accepted the volunteer invitation"),
    "volunteer.decline": ("婉拒志愿者邀请", "declined the volunteer invitation"),
    "volunteer.retire": ("志愿者卸任", "volunteer retired"),
    "ambassador.invite": ("邀请做推广大使", "invited to be an ambassador"),
    "ambassador.accept": ("接受推广大使邀请", "accepted the ambassador invitation"),
    "ambassador.decline": ("婉拒推广大使邀请", "declined the ambassador invitation"),
    "ambassador.referral": ("推广大使带来新成员", "an ambassador brought a member"),
    "volunteer.warn": ("志愿者警告成员", "a volunteer warned a member"),
    "volunteer.delete": ("志愿者删除消息", "a volunteer deleted a message"),
    "core.ask": ("先问问核心用户", "asked a core user first"),
    "volunteer.escalation": ("志愿者值班响应", "a volunteer answered an escalation"),
    "import": ("导入聊天记录", "imported a chat export"),
    "operator:create": ("添加操作员", "added an operator"),
    "operator:password": ("修改密码", "changed a password"),
}

POLICIES: dict[str, Pair] = {
    "moderation": ("群规执行", "moderation"),
    "suspects": ("可疑账号识别", "suspect detection"),
    "welcome": ("新人欢迎", "welcome"),
    "onboarding": ("新人任务", "onboarding"),
    "commands": ("命令与问答", "commands and FAQ"),
    "scoring": ("积分", "points"),
    "boards": ("排行榜与加减分", "leaderboards and grants"),
    "escalation": ("人工提醒", "escalation"),
    "volunteers": ("志愿者", "volunteers"),
    "tier_actions": ("分层动作", "tier playbook"),
    "ambassadors": ("推广大使", "ambassadors"),
    "invitations": ("邀请回复", "invitation answers"),
    "group_matrix": ("满群开新群", "next group when full"),
    "group_routing": ("按资料分群", "routing to groups"),
    "activities": ("活动", "events"),
    "admission": ("入群审核", "admission"),
    "badges": ("徽章", "badges"),
    "calendar": ("内容日历", "content calendar"),
    "campaigns": ("打卡活动", "campaigns"),
    "elimination": ("淘汰", "elimination"),
    "revival": ("复活", "revival"),
    "growth": ("成长等级", "growth tiers"),
    "growth_commands": ("等级与徽章查询", "tier and badge commands"),
    "schedule": ("日程", "schedule"),
    "weekly_report": ("周报", "weekly report"),
}

def platform_label(platform: str | None, lang: str) -> str:
    """Matrix / Telegram / QQ, never the stored code (`onebot`)."""
    return words.platform_name(platform, lang)


group_title = words.group_title

# The bot's reason codes ("A2 FAQ", "O2 form", "R5 heated"): playbook ID + what.
REASONS: dict[str, Pair] = {
    "FAQ": ("自动回答常见问题", "answered a FAQ"),
    "group full": ("群已满，开下一个群", "group full: open the next group"),
    "routed by attribute": ("按成员资料分群", "routed to their group by an attribute"),
    "check-in": ("打卡", "check-in"),
    "poll": ("发起投票", "started a poll"),
    "welcome": ("欢迎新人", "welcomed newcomers"),
    "form": ("新人问卷", "member form"),
    "nickname format": ("提醒改昵称格式", "nickname format reminder"),
    "checklist": ("新人任务进度", "onboarding progress"),
    "reminder": ("新人任务提醒", "onboarding reminder"),
    "deadline": ("新人任务到期", "onboarding deadline"),
    "warning expired": ("警告到期", "warning expired"),
    "suspect": ("疑似假号", "suspected fake account"),
    "level up": ("升级", "level up"),
    "admin_mention": ("有人@管理员", "an admin was mentioned"),
    "heated": ("争吵升温", "a heated exchange"), "insult": ("辱骂", "insults"),
    "unanswered": ("问题无人能答", "a question the FAQ cannot answer"),
    "repeated_question": ("同一个问题连发几次没人回答", "the same question sent again and again, "
                          "unanswered"),
    "direct": ("私信机器人的问题或反映", "a direct message the bot cannot answer"),
    "forwarded": ("告知已转给老师", "told it went to a teacher"),
    "announce removal": ("公告移出", "announced a removal"),
    "removal notice": ("移出前私信告知原因和申诉方式", "told why and how to appeal first"),
    "removal alert": ("告知管理群：已移出成员", "told the admins' room of a removal"),
    "appeal alert": ("告知管理群：有新申诉", "told the admins' room of an appeal"),
    "welcome back": ("欢迎回来（不再走新人流程）", "welcomed back (no newcomer steps)"),
    "vote": ("投票", "vote"),
    "poll closed": ("投票结束", "poll closed"),
    "appeal": ("申诉", "appeal"),
    "appeal approved": ("申诉通过", "appeal upheld"),
    "appeal rejected": ("申诉驳回", "appeal rejected"),
    "appeal approved: invite back": ("申诉通过，邀请回群", "appeal upheld: invited back"),
    "task": ("提交任务", "task submitted"),
    "grant": ("管理员加分", "an admin granted points"),
    "deduct": ("管理员减分", "an admin deducted points"),
    "grant refused": ("拒绝非管理员加减分", "refused a grant by a non-admin"),
    "season end": ("赛季结束公布排名", "announced the season's top members"),
    "任务": ("任务", "task"),
    "任务完成": ("任务完成", "task done"),
    "promotion": ("升级成长等级", "tier promotion"),
    "weekly": ("周报", "weekly report"),
    "sweep": ("淘汰巡检", "elimination sweep"),
    "notice": ("淘汰提醒", "elimination notice"),
    "removal": ("淘汰移出", "elimination removal"),
    "cancelled": ("淘汰取消", "elimination cancelled"),
    "revival": ("复活", "revival"),
    "revival: approved": ("复活通过", "revival approved"),
    "revival: referrals": ("邀请达标复活", "revived by referrals"),
    "application": ("复活申请", "revival application"),
    "event": ("活动", "event"),
    "announced": ("活动公告", "event announced"),
    "reminded_day": ("活动前一天提醒", "event reminder (a day before)"),
    "reminded_hour": ("活动前一小时提醒", "event reminder (an hour before)"),
    "ended": ("活动结束", "event ended"),
    "summary": ("活动总结", "event summary"),
    "waiting list": ("候补名单", "waiting list"),
    "volunteer invitation": ("邀请做志愿者", "volunteer invitation"),
    "volunteer retired (inactive)": ("志愿者长期未活跃，卸任并致谢",
                                     "volunteer retired (inactive)"),
    "volunteer warning": ("志愿者发出警告", "a volunteer's warning"),
    "volunteer delete": ("志愿者删除消息", "a volunteer deleted a message"),
    "refused: the target is an admin": ("拒绝：不能对管理员使用",
                                        "refused: the target is an admin"),
    "refused: no privilege": ("拒绝：没有这项权限", "refused: no such privilege"),
    "command in a DM": ("私聊里不能用的命令", "a group command sent in a DM"),
    "!accept": ("接受志愿者邀请", "accepted the volunteer invitation"),
    "!decline": ("婉拒志愿者邀请", "declined the volunteer invitation"),
    "ambassador invitation": ("邀请做推广大使", "ambassador invitation"),
    "ambassador !accept": ("接受推广大使邀请", "accepted the ambassador invitation"),
    "ambassador !decline": ("婉拒推广大使邀请", "declined the ambassador invitation"),
    "ambassador link": ("发推广大使专属邀请链接", "sent an ambassador's invite link"),
    "ambassador title": ("请运营给推广大使加头衔", "asked the operator for an ambassador title"),
    "invitation to answer": ("有两份邀请，请选择回复哪一份", "two invitations: which one"),
    "!warn usage": ("警告命令用法", "usage of the warn command"),
    "!warn unknown member": ("警告：找不到成员", "warn: unknown member"),
    "!warn self": ("警告：不能警告自己", "warn: not oneself"),
    "!delete usage": ("删除命令用法", "usage of the delete command"),
    "on-duty volunteer pinged": ("私信当天值班的志愿者", "pinged the volunteer on duty"),
    "tier DM": ("分层私信", "a tier DM"),
    "public praise": ("公开表扬", "public praise"),
    "buddy introduced": ("给新人介绍伙伴", "introduced a buddy"),
    "buddy asked": ("请伙伴带新人", "asked a buddy"),
    "role given": ("授予等级头衔", "gave a tier title"),
    "role taken back": ("悄悄收回等级头衔", "took back a tier title"),
    "role backfilled": ("补发等级头衔（计划新增头衔前已在该等级）",
                        "gave a tier title to a member already in the tier"),
}
# Commands by the name the code gives them (the member may have typed the Chinese alias).
COMMANDS: dict[str, Pair] = {
    "!rank": ("排行榜", "leaderboard"), "!rules": ("群规", "rules"),
    "!help": ("帮助", "help"), "!points": ("积分查询", "points"),
    "!checkin": ("打卡", "check-in"), "!等级": ("成长等级查询", "tier"),
    "!徽章": ("徽章查询", "badges"),
    "!grant": ("加分", "grant points"), "!deduct": ("减分", "deduct points"),
    # T2/T4 answers to an invitation, T2 推广大使's code (read before "回答命令 !…")
    "!accept": ("接受邀请", "!accept"),
    "!decline": ("拒绝邀请", "!decline"),
    "!code": ("邀请码", "invite code"),
    "!invite": ("邀请链接", "invite link"),  # G2 `!邀请`
}
_CODED = re.compile(r"^([A-Z]\d{1,2}) (.+)$")

STATUSES: dict[str, Pair] = {
    "pending": ("待发送", "pending"),
    "done": ("已完成", "done"),
    "failed": ("失败", "failed"),
    "dry_run": ("演练（未执行）", "dry run (not carried out)"),
}

POINTS: dict[str, Pair] = {
    "participation": ("参与分", "participation"),
    "contribution": ("贡献分", "contribution"),
    "message": ("发言", "a message"),
    "self_intro": ("自我介绍", "self-introduction"),
    "checkin": ("打卡", "check-in"),
    "checkin_streak": ("连续打卡奖励", "check-in streak bonus"),
    "reply_received": ("发言被回复", "a reply received"),
    "reaction_received": ("发言被点赞", "a reaction received"),
    "invite": ("邀请新人", "brought a member"),
    "ambassador": ("推广大使带来新成员", "an ambassador brought a member"),
    "form": ("填写新人问卷", "member form"),
    "decay": ("长期不活跃衰减", "inactivity decay"),
    "flood": ("刷屏，收回发言分", "flooding: message points taken back"),
    "manual_grant": ("管理员加分", "granted by an admin"),
    "manual_deduct": ("管理员减分", "deducted by an admin"),
    "task": ("提交作业", "task handed in"),
}

EVIDENCE_KEYS: dict[str, Pair] = {
    "answer": ("申请回答", "their answer"), "questions": ("入群问题", "entry questions"),
    "removed_for": ("移出原因", "removed for"), "filed_by": ("代为提交", "filed by"),
    "inviter": ("邀请人", "invited by"),
    "code": ("邀请码", "code"),
    "keyword": ("关键词", "keyword"), "question": ("问题", "question"),
    "campaign": ("打卡活动", "campaign"), "streak": ("连续天数", "streak"),
    "trigger": ("触发", "trigger"), "warning": ("警告", "warning"),
    "warnings": ("被申诉的警告", "warnings appealed"), "newcomers": ("新人", "newcomers"),
    "nickname": ("昵称", "nickname"), "answered": ("已答", "answered"),
    "missing": ("未完成", "missing"), "from": ("原等级", "from"), "to": ("新等级", "to"),
    "created": ("新开事项", "new items"), "file": ("文件", "file"),
    "errors": ("问题", "errors"), "advice": ("建议", "advice"),
    "title": ("事项", "item"), "item": ("事项编号", "item"), "score": ("信号数", "signals"),
    "reason": ("理由", "reason"), "silent_days": ("未发言天数", "silent days"),
    "remove_on": ("最早移除日期", "earliest removal"), "tier": ("分层", "tier"),
    "action": ("建议动作", "action"), "count": ("人数", "members"),
    "rule": ("规则", "rule"), "matched": ("命中", "matched"), "text": ("内容", "text"),
    "messages": ("消息数", "messages"), "seconds": ("秒", "seconds"),
    "limit": ("上限", "limit"), "option": ("选项", "option"),
    "same_burst": ("同一轮，不再警告", "same burst, no new warning"),
    "lines": ("争执经过", "the exchange"),
    "members": ("成员", "members"),
    "new_group": ("新群名称", "new group"), "full_group": ("已满的群", "full group"),
    "in_group": ("群内人数", "members in the group"), "size_cap": ("人数上限", "size cap"),
    # G4 routing by an attribute (the bot's notice, the operator's to-do)
    "route_by": ("按哪项资料分群", "routed by"), "routed_member": ("成员", "member"),
    "route_group": ("应进的群", "group to join"), "route_value": ("成员的资料", "their answer"),
    "route_group_exists": ("机器人已在群内", "bot in it"),
    "template": ("照着设置的群", "copy the settings of"),
    "url": ("链接", "link"), "mentions": ("@ 人数", "mentions"), "qr": ("二维码内容", "QR code"),
    "times": ("次数", "times"), "accounts": ("账号数", "accounts"),
    "pattern": ("规则（正则）", "pattern"), "name": ("昵称", "name"),
    "revoked": ("撤销的警告", "warnings withdrawn"), "day": ("日期", "day"),
    "poll": ("投票编号", "poll"), "counts": ("各选项票数", "votes per option"),
    "submission": ("提交编号", "submission"), "link": ("链接", "link"),
    "post": ("日历帖", "post"), "late": ("补发", "sent late"),
    "task": ("任务", "task"), "points": ("积分", "points"), "before": ("原等级", "before"),
    "after": ("新等级", "after"), "direction": ("方向", "direction"),
    "changes": ("等级有变化的人数", "tier changes"),
    "event_id": ("活动编号", "event"),
    "ledger": ("积分类别", "ledger"), "total_after": ("之后总积分", "total after"),
    "season": ("第几季", "season"),
    "by": ("操作人", "by"), "volunteer": ("志愿者操作", "by a volunteer"),
    "why": ("入选理由", "why chosen"), "role": ("分工", "role"),
    # E3 a removal to do by hand (services.reach.removal_by_hand)
    "candidate": ("候选", "candidate"), "approved_by": ("批准人", "approved by"),
    "inactive_days": ("未活跃天数", "days inactive"), "draft": ("草稿", "draft"),
    "newcomer": ("新人", "newcomer"), "buddy": ("伙伴", "buddy"),
    "command": ("命令", "command"), "actor": ("发起人", "by"),
    "labels": ("昵称里的信息", "from the nickname"),
    "granted_role": ("头衔", "title"), "level": ("权限等级", "power level"),
    "amount": ("金额", "amount"), "currency": ("币种", "currency"), "note": ("备注", "note"),
    "suggested_reply": ("建议回复", "suggested reply"), "reasons": ("被申诉的警告", "warned for"),
    "badge": ("徽章", "badge"), "activity": ("活动", "event"), "step": ("环节", "step"),
    "week_end": ("周报截至", "week ending"), "auto_remove": ("自动移除", "removed automatically"),
    "operator": ("操作员", "operator"), "communities": ("可管理的社群", "communities"),
    "all_communities": ("可管理全部社群", "every community"),
    "ended": ("结束的会话数", "sessions ended"),
    "format": ("文件格式", "format"), "read": ("读到的记录", "records read"),
    "new": ("新导入", "new"), "already_known": ("已导入过", "already imported"),
    "by_kind": ("按类型", "by kind"), "skipped_lines": ("跳过的行", "lines skipped"),
    "kind": ("类型", "kind"), "slots": ("错过的时间", "missed times"),
    "days": ("天数", "days"), "examples": ("例子", "examples"), "label": ("说明", "label"),
    # R2/R3/O2 a DM the platform would not deliver (the operator's 待发私信)
    "undelivered": ("没送达的原因", "why it was not delivered"),
    "purpose": ("这条私信是", "what the DM was"), "platform": ("平台", "platform"),
    "account": ("账号", "account"),
    "returning": ("不是新人", "not a newcomer"),  # O1 welcome back: why
}
# O1 why a join is a return (`services.onboarding.returning`).
RETURNING: dict[str, Pair] = {
    "reinstated": ("申诉通过或复活后回群", "back after an upheld appeal or a revival"),
    "completed": ("以前在本群完成过新人任务", "finished the newcomer steps here before"),
    "before_bot": ("机器人进群前就在群里", "in the group before the bot"),
}
# Internal references a person does not read (kept in the raw record).
HIDDEN_KEYS = {"sha256", "event", "member_id", "signals", "group_id", "id", "score",
               "volunteer_member_id", "message_ref", "entry", "key", "slot_ms", "user_ids",
               "field", "request", "event_id", "threshold",  # G1 join requests: for the bot
               "top",  # T3 a season's top members (ids; the post names them)
               "case",  # E2 the elimination case a revival application reopens
               "give",  # T2 a title to give or take back: the title says which
               "newcomer_member_id", "via",  # T2 推广大使 referral: the reason says both
               "session", "sweep", "remove_after_ms",  # a session id, a sweep's slot key
               "slots", "communities",  # missed slots (ms; the count says it), community ids
               "dm_text", "platform_error"}  # an undelivered DM: its text (to copy), the raw error


# O3 member attributes the plan's `nickname_pattern` names (`(?P<city>…)`) and common
# form keys; a form question the plan asks is shown as the plan words it (members route).
ATTRIBUTES: dict[str, Pair] = {
    "name": ("称呼", "name"), "city": ("城市", "city"), "job": ("职业", "job"),
    "role": ("职位", "role"), "company": ("公司", "company"), "industry": ("行业", "industry"),
    "community": ("小区", "neighbourhood"), "building": ("楼栋", "building"),
    "school": ("学校", "school"), "grade": ("年级", "grade"), "level": ("水平", "level"),
    "goal": ("目标", "goal"), "phone": ("电话", "phone"), "wechat": ("微信", "WeChat"),
    "age": ("年龄", "age"), "gender": ("性别", "gender"), "interest": ("兴趣", "interest"),
}


def attribute_label(key: str, lang: str) -> str:
    return _pick(ATTRIBUTES.get(key), lang, key)


# R1 moderation rules (a warning's `rule`).
RULES: dict[str, Pair] = {
    "pattern": ("自定义规则", "operator pattern"),
    "invite_link": ("其他群的邀请链接", "invite link"),
    "link": ("未经允许的链接", "link"), "ad": ("广告", "advert"),
    "mass_mention": ("一次@太多人", "mass mention"), "qr_code": ("二维码", "QR code"),
    "flood": ("刷屏", "flooding"), "repeat": ("重复发送", "repeats"),
    "repeat_accounts": ("多个账号发相同内容", "same text from several accounts"),
}


def rule_label(rule: str | None, lang: str) -> str:
    code = rule or ""
    return _pick(RULES.get(code), lang, code)


def _pick(pair: Pair | None, lang: str, fallback: str) -> str:
    if pair is None:
        return fallback
    return pair[1] if lang == "en" else pair[0]


def action_label(action: str | None, lang: str) -> str:
    code = action or ""
    if code in ACTIONS:
        return _pick(ACTIONS[code], lang, code)
    queue, _, status = code.partition(":")
    if queue == "task" and status:  # T3 a campaign task done: `task:<name>`
        return f"完成任务：{status}" if lang != "en" else f"task done: {status}"
    if status and translate(f"queue.{queue}", lang) != f"queue.{queue}":
        return f"{translate(f'queue.{queue}', lang)}：{translate(f'act.{status}', lang)}" \
            if lang != "en" else f"{translate(f'queue.{queue}', lang)}: {status}"
    return code


def actor_label(actor: str | None, lang: str) -> str:
    who = actor or ""
    kind, _, name = who.partition(":")
    bot = "机器人" if lang != "en" else "bot"
    if kind == "policy":
        return f"{bot} · {_pick(POLICIES.get(name), lang, name)}"
    if kind == "operator" and name == "schedule":  # the schedule runner (a missed slot)
        return f"{bot} · {_pick(POLICIES['schedule'], lang, name)}"
    if kind == "operator" and name == "qunyun":  # the CLI (`qunyun demo`, `qunyun plan …`)
        return "命令行 qunyun" if lang != "en" else "the qunyun command"
    if kind == "operator":
        return f"{'操作员' if lang != 'en' else 'operator'} {name}"
    if kind == "admin":  # a group admin's command (T3 !加分)
        return f"{'群管理员' if lang != 'en' else 'group admin'} {name}"
    if kind == "volunteer":  # T4: a volunteer's privileged action
        return f"{'志愿者' if lang != 'en' else 'volunteer'} {name}"
    if who == "member":  # a member's own answer (a volunteer invitation)
        return "成员本人" if lang != "en" else "the member"
    if who == "bot":
        return bot
    if who == "report":
        return "报告" if lang != "en" else "report"
    return who


_ROLE_CODES = "owner|admin|volunteer|viewer"
# `services.operators` writes an operator's role by its code: "lin (admin)",
# "lin: viewer → admin"; the console reads the roles as words.
_OPERATOR_CREATED = re.compile(rf"^(.+) \(({_ROLE_CODES})\)$")
_OPERATOR_ROLE = re.compile(rf"^(.+): ({_ROLE_CODES}) → ({_ROLE_CODES})$")


def _operator_reason(text: str, lang: str) -> str | None:
    def role(code: str) -> str:
        return _said(f"role.{code}", lang, code)
    if (found := _OPERATOR_CREATED.match(text)) is not None:
        name, code = found.groups()
        return f"{name} ({role(code)})" if lang == "en" else f"{name}（{role(code)}）"
    if (found := _OPERATOR_ROLE.match(text)) is not None:
        name, before, after = found.groups()
        sep = ": " if lang == "en" else "："
        return f"{name}{sep}{role(before)} → {role(after)}"
    return None


def reason_label(reason: str | None, lang: str) -> str:
    text = (reason or "").strip()
    operator_words = _operator_reason(text, lang)
    if operator_words is not None:
        return operator_words
    generated = generated_reason(text, lang)
    if generated is not None:
        return generated
    coded = _CODED.match(text)
    if coded is None:
        if text in REASONS:  # a reason written without its playbook ID
            return _pick(REASONS[text], lang, text)
        if lang == "en":  # T1/T4 sentences the bot and the console write (tiers, volunteers)
            said = growth_labels.reason(text, lang)
            if said != text:
                return said
        said = translate(f"act.{text}", lang)  # a queue item resolved without a note
        return text if said == f"act.{text}" else said
    code, what = coded.groups()
    if what in COMMANDS:
        said = (f"回答「{COMMANDS[what][0]}」命令" if lang != "en"
                else f"answered the {COMMANDS[what][1]} command")
    elif what.startswith("!"):
        said = f"回答命令 {what}" if lang != "en" else f"answered {what}"
    else:
        said = _pick(REASONS.get(what), lang, what)
    del code  # the playbook ID means nothing to an operator (issue 11 #29): words only
    return said


def status_label(status: str | None, lang: str) -> str:
    code = status or ""
    return _pick(STATUSES.get(code), lang, code)


def points_label(code: str | None, lang: str) -> str:
    value = code or ""
    return _pick(POINTS.get(value), lang, value)


def _value(value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return ("是" if value else "否") if lang != "en" else ("yes" if value else "no")
    if isinstance(value, list):
        sep = "、" if lang != "en" else ", "
        return sep.join(_value(v, lang) for v in value[:10]) + ("…" if len(value) > 10 else "")
    if isinstance(value, dict):  # keys are labelled too: no `messages 3` on a page
        sep = "，" if lang != "en" else "; "
        return sep.join(f"{_pick(EVIDENCE_KEYS.get(str(k)), lang, str(k))} {_value(v, lang)}"
                        for k, v in list(value.items())[:6])
    return str(value)


def _said(key: str, lang: str, fallback: str) -> str:
    """The console's word for `key` (texts.py), else `fallback`."""
    said = translate(key, lang)
    return fallback if said == key else said


def _says(reason: str, value: str) -> bool:
    """The reason already says `value` as one of its clauses: the whole of it, after a
    colon ("E1 淘汰：<value>"), or before a bracket ("累计 3 次警告：<value>（送机票）") —
    not merely a word inside another ("排行" in 回答「排行榜」命令)."""
    return re.search(r"(?:^|[：:]\s*)" + re.escape(value) + r"(?:$|\s*[（(])", reason) is not None


def _warning_line(key: str, value: Any, lang: str, words: Mapping[Any, str]) -> str | None:
    """`warning` / `warnings` / `revoked` as a count and each warning in words (when, why:
    `words`, from `web.warning_words`), never the warnings' numbers (issue 11 walk 25/47)."""
    en = lang == "en"
    label = _pick(EVIDENCE_KEYS.get(key), lang, key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if key == "warnings":  # the moderation's running count
            return f"warnings so far: {value}" if en else f"累计警告：{value} 次"
        said = words.get(value)
        return f"{label}: {said}" if en and said else f"{label}：{said}" if said else None
    if isinstance(value, list):
        ids = [v for v in value if isinstance(v, int) and not isinstance(v, bool)]
        each = [words[v] for v in ids if v in words]
        count = f"{len(ids)}" if en else f"{len(ids)} 次"
        if not each:
            return f"{label}: {count}" if en else f"{label}：{count}"
        return (f"{label} ({count}): " + "; ".join(each)) if en else \
            f"{label}（{count}）：" + "；".join(each)
    return None


def evidence_lines(evidence: Mapping[str, Any] | None, lang: str,
                   title: str = "", reason: str | None = None,
                   warnings: Mapping[Any, str] | None = None) -> list[str]:
    """Evidence as short lines a person reads: suspect signals as sentences, other keys
    with their names in the chosen language, internal references left to the raw view.
    Values the item's `title` already says (a queue item's tier, action, count, reason)
    are not repeated, nor a sentence the entry's `reason` already says (an audit row: a
    removal's "E1 淘汰：已 30 天未发言…" beside its rule, a deletion's 「刷屏」 beside the
    rule 刷屏): each is read once, in the reason column."""
    if not evidence:
        return []
    said = [s for s in {reason or "", reason_label(reason, lang) if reason else ""} if s]
    lines = [signal_sentence(s, lang) for s in evidence.get("signals") or []
             if isinstance(s, Mapping)]
    sep = "：" if lang != "en" else ": "
    burst = evidence.get("messages"), evidence.get("seconds")
    joined = all(isinstance(n, int) and not isinstance(n, bool) for n in burst)
    if joined:
        # A flood's count and window read as one fact: 「10 秒内 9 条」, not 「秒：10」.
        lines.append(f"{burst[1]} 秒内 {burst[0]} 条" if lang != "en"
                     else f"{burst[0]} messages within {burst[1]} seconds")
    words = warnings or {}
    described = isinstance(evidence.get("warnings"), list) and any(
        w in words for w in evidence["warnings"] if isinstance(w, int))
    for key, value in evidence.items():
        if key in HIDDEN_KEYS or value in (None, "", [], {}):
            continue
        if joined and key in ("messages", "seconds"):
            continue
        if key in ("warning", "warnings", "revoked"):
            line = _warning_line(key, value, lang, words)
            if line:
                lines.append(line)
            continue
        if key == "reasons" and described:
            continue  # each appealed warning's reason is in the warnings' line
        if key == "item" and isinstance(value, int) and not isinstance(value, bool):
            # The work item by its title, never its number (-1: web.warning_words.ITEM).
            named = words.get((-1, value))
            if named and not evidence.get("title") and named not in title:
                lines.append(f"{_pick(EVIDENCE_KEYS.get('title'), lang, 'title')}{sep}{named}")
            continue
        if key == "title" and isinstance(value, str):
            # The title stored with a decision is Chinese; the item's own, in the page's
            # language, where the entry names it (issue 11 walk13 #30).
            item = evidence.get("item")
            if isinstance(item, int) and not isinstance(item, bool):
                value = words.get((-1, item), value)
        if title and isinstance(value, str | int) and not isinstance(value, bool) \
                and str(value) in title:
            continue
        if key == "tier" and title:
            continue  # the tier's code; its name is in the title
        if key in ("trigger", "step"):  # R5 what set an alert off; A5 an event's step
            value = _pick(REASONS.get(str(value)), lang, str(value))
        if key in ("from", "to") and "operator" in evidence:
            continue  # an operator's role change: the reason says "只读 → 管理员"
        if key == "role" and value in ("owner", "admin", "volunteer", "viewer"):
            value = _said(f"role.{value}", lang, str(value))  # an operator's role
        if key == "kind" and isinstance(value, str):  # a schedule entry's kind
            value = _said(f"calendar.kind.{value}", lang, value)
        if key == "count" and "slots" in evidence:  # missed schedule slots, not people
            lines.append(f"{'次数' if lang != 'en' else 'times'}{sep}{value}")
            continue
        if key in ("format", "platform") and isinstance(value, str):
            value = platform_label(value, lang)
        if key == "returning" and isinstance(value, str):
            value = _pick(RETURNING.get(value), lang, value)
        if key == "purpose" and isinstance(value, str):  # an undelivered DM's reason code
            value = reason_label(value, lang)
        if key == "by_kind" and isinstance(value, Mapping):
            value = {_said(f"kind.{k}", lang, str(k)): v for k, v in value.items()}
        if key == "rule" and isinstance(value, str):
            value = (rule_words.describe(value, lang) if "RRULE:" in value
                     else rule_label(value, lang))
        if key == "ledger" and isinstance(value, str):
            value = points_label(value, lang)  # T3 grants: 贡献分, not "contribution"
        if key == "labels" and isinstance(value, Mapping):  # O3: the nickname's parts
            value = "，".join(f"{attribute_label(str(k), lang)} {v}" for k, v in value.items()) \
                if lang != "en" else "; ".join(f"{attribute_label(str(k), lang)} {v}"
                                               for k, v in value.items())
        if key == "members" and isinstance(value, list):
            value = [str(m.get("name") or m.get("id")) if isinstance(m, Mapping) else str(m)
                     for m in value]
        if isinstance(value, str) and value and any(_says(r, value) for r in said):
            continue
        lines.append(f"{_pick(EVIDENCE_KEYS.get(key), lang, key)}{sep}{_value(value, lang)}")
    return lines


TIERS_EN = {"opinion_leader": "opinion leaders", "co_opinion_leader": "co-opinion leaders",
            "spreader": "spreaders", "active": "active members", "participant": "participants",
            "onlooker": "onlookers"}
SIGNALS_EN = {"join_burst": "joined in a burst", "nickname": "suspicious nickname",
              "ads": "adverts, links or QR codes", "same_text": "same text as other accounts",
              "red_packet_first": "first to grab red packets", "never_spoke": "never spoke"}


# R5 escalation titles (policies/escalation.py), the member's words after the colon kept.
ESCALATIONS_EN: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(.+?) 在群里@了管理员：(.*)$", re.S),
     "{0} mentioned an admin in the group: {1}"),
    (re.compile(r"^(.+?) 私信机器人：(.*)$", re.S), "{0} wrote to the bot: {1}"),
    (re.compile(r"^(.+?) 的问题机器人答不了：(.*)$", re.S),
     "{0} asked what the bot cannot answer: {1}"),
    (re.compile(r"^(.+?) 的消息含辱骂（(.+?)）：(.*)$", re.S),
     "{0}'s message is abusive ({1}): {2}"),
    (re.compile(r"^(.+?) 与他人正在激烈争执：(.*)$", re.S), "{0} is in a heated argument: {1}"),
]


def escalation_title(title: str) -> str:
    """An escalation's title in English (「【需要人工】李四 在群里@了管理员：…」, issue 11
    walk13 #30), the member's name and words as written."""
    rest = title.removeprefix("【需要人工】")
    for pattern, english in ESCALATIONS_EN:
        found = pattern.match(rest)
        if found is not None:
            said = english.format(*found.groups())
            return f"Needs a person: {said}" if rest != title else said
    return title


def item_title(item: Mapping[str, Any], lang: str) -> str:
    """A queue item's title: stored in Chinese when it was opened; rebuilt from its detail
    for the English console where the detail allows it."""
    title = str(item.get("title") or "")
    if lang != "en":
        return title
    detail: Mapping[str, Any] = item.get("detail") or {}
    head, _, rest = title.partition("：")
    name = rest if head == "可疑账号" else head  # the live bot's titles name the kind first
    queue = item.get("queue")
    if queue == "elimination" and detail.get("silent_days") is not None:
        return f"{name}: silent for {detail['silent_days']} days"
    if queue == "suspect" and detail.get("signals"):
        kinds = [SIGNALS_EN.get(kind, kind) for kind in (
            str(s.get("kind")) if isinstance(s, Mapping) else str(s) for s in detail["signals"])]
        return f"{name}: {', '.join(kinds)}"
    if queue == "join_request":
        return f"Join request: {rest or title}"
    if queue == "appeal" and title.endswith(" 的申诉"):  # issue 11 walk13 #30
        return f"{title.removesuffix(' 的申诉')}: appeal"
    if queue == "escalation":
        return escalation_title(title)
    if queue == "group_invite":  # issue 11 #58: a non-admin invited the bot into a room
        who = detail.get("inviter_name") or detail.get("inviter") or "someone"
        return f"{who} invited the bot into 「{detail.get('name') or detail.get('room')}」"
    if queue == "removal_todo":  # E3 approved, no bot can remove them
        where = platform_label(str(detail["platform"]), "en") if detail.get("platform") \
            else "their platform"
        return f"{name}: removal approved; remove them on {where} yourself"
    if queue == "dm_todo":  # R2/R3/O2 a DM the platform would not deliver
        return (f"DM not delivered to {detail.get('name') or detail.get('account')}: reach "
                "them yourself and send the text below")
    if queue == "todo" and detail.get("granted_role"):  # T2 a tier title to set by hand
        who = next((str(m.get("name")) for m in detail.get("members") or []
                    if isinstance(m, Mapping) and m.get("name")), "")
        tier = TIER_NAMES_EN.get(str(detail.get("tier")), str(detail.get("tier") or ""))
        role = detail["granted_role"]
        if detail.get("give") is False:
            return f"{who}: no longer {tier}: quietly take back the title \u201c{role}\u201d"
        return f"{who}: give the title \u201c{role}\u201d ({tier})"
    if queue == "group_todo" and detail.get("route_group"):  # G4 routing by an attribute
        if detail.get("route_group_exists") is False:
            return (f"Create the group {detail['route_group']}, add the bot, then bring "
                    f"{detail.get('routed_member')} in ({detail.get('route_value')})")
        return (f"Bring {detail.get('routed_member')} into {detail['route_group']} "
                f"({detail.get('route_value')})")
    if queue == "group_todo" and detail.get("new_group"):
        copy = (f"; copy the notice, admins and join settings of {detail['template']}"
                if detail.get("template") else "")
        return (f"Open the group {detail['new_group']}: {detail.get('full_group')} is full "
                f"({detail.get('in_group')}/{detail.get('size_cap')}){copy}")
    if queue == "todo" and str(item.get("item_key") or "").startswith("core:"):  # T5 ask first
        return reason_words.english(title) or title
    if queue == "todo" and detail.get("tier"):
        tier = TIERS_EN.get(str(detail["tier"]), str(detail["tier"]))
        action = tier_action(str(detail["tier"]), "en", str(detail.get("action") or ""))
        return f"{tier} ({detail.get('count', '?')}): {action}"
    return title


DIRECTIONS: dict[str, Pair] = {"first": ("首次评定", "first assessment"),
                               "promotion": ("升级", "promotion"),
                               "demotion": ("降级", "demotion"),
                               "lock": ("运营锁定", "locked by an operator"),
                               "unlock": ("解除锁定", "unlocked")}


def direction_label(code: str | None, lang: str) -> str:
    value = code or ""
    return _pick(DIRECTIONS.get(value), lang, value)


def tier_label(code: str | None, lang: str) -> str:
    """A tier's name (the code's own, so always in both languages)."""
    value = code or ""
    names = TIER_NAMES_EN if lang == "en" else TIER_NAMES
    return names.get(value, value)


def tier_action(code: str | None, lang: str, fallback: str = "") -> str:
    value = code or ""
    actions = TIER_ACTIONS_EN if lang == "en" else TIER_ACTIONS
    return actions.get(value, fallback)


def report_text(section: Mapping[str, Any] | None, key: str, lang: str) -> str:
    """A sentence the report writes in both languages (`stage_reason` / `stage_reason_en`,
    `tier_reason` / `tier_reason_en`): the chosen language's, else the Chinese one."""
    d = section or {}
    if lang == "en" and d.get(f"{key}_en"):
        return str(d[f"{key}_en"])
    return str(d.get(key) or "")


# The plan model's default level names (`Points.levels`): code-generated, so translated;
# levels a plan names itself are shown as the plan wrote them.
LEVELS_EN = {"新人": "Newcomer", "成员": "Member", "骨干": "Core member", "元老": "Veteran"}


def level_label(name: str | None, lang: str, plan_levels: bool = False) -> str:
    value = name or ""
    if lang != "en" or plan_levels:
        return value
    return LEVELS_EN.get(value, value)


# Free-text reasons the code writes into the audit log (Chinese, stored as written): the
# English console reads them back through these patterns; anything else (what an operator
# typed, a plan's own words) is shown as written. T1 tier and T4 volunteer sentences
# (a tier move's reason, a lock) have one reader, `growth_labels.reason`.
GENERATED_REASONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^从报告（数据截至 (.+)）新开 (\d+) 项$"),
     "opened {1} items from the report (data as of {0})"),
    (re.compile(r"^从文件 (.+) 导入计划$"), "imported the plan from {0}"),
    (re.compile(r"^导入聊天记录 (.+)$"), "imported the chat export {0}"),
    (re.compile(r"^日历帖「(.+)」$"), "calendar post “{0}”"),
    (re.compile(r"^活动「(.+)」（补发）$"), "campaign post “{0}” (sent late)"),
    (re.compile(r"^活动「(.+)」$"), "campaign post “{0}”"),
    (re.compile(r"^预演：自动批准$"), "rehearsal: approved automatically"),
    (re.compile(r"^疑似批量注册的营销账号（计划允许自动移除）$"),
     "suspected bulk-registered marketing account (the plan allows automatic removal)"),
    (re.compile(r"^累计 (\d+) 次警告：(.+)（送机票）$"), "{0} warnings, the last for {1}: removed"),
    (re.compile(r"^E1 淘汰：已 (\d+) 天未发言（最后发言 (.+)）$"),
     "E1 removal: silent for {0} days (last message {1})"),
    (re.compile(r"^E1 淘汰：入群 (\d+) 天从未发言$"),
     "E1 removal: no message in {0} days since joining"),
    (re.compile(r"^E1 淘汰：(.+)$"), "E1 removal: {0}"),
    (re.compile(r"^机器人启动，按此版本计划运行$"),
     "the bot started with this version of the plan"),
    (re.compile(r"^新保存的计划还有 (\d+) 个问题，机器人继续使用之前的计划$"),
     "the newly saved plan still has {0} problems; the bot keeps the previous plan"),
    (re.compile(r"^机器人已载入新保存的计划$"), "the bot loaded the newly saved plan"),
    (re.compile(r"^申诉通过：(.+)$"), "appeal upheld: {0}"),
    (re.compile(r"^申诉通过$"), "appeal upheld"),
    (re.compile(r"^已 (\d+) 天未发言（最后发言 (.+)）$"), "silent for {0} days (last message {1})"),
    (re.compile(r"^入群 (\d+) 天从未发言$"), "no message in {0} days since joining"),
]


def generated_reason(text: str, lang: str) -> str | None:
    if lang != "en":
        return None
    for pattern, english in GENERATED_REASONS:
        found = pattern.match(text)
        if found is not None:  # a violation inside (「累计 3 次警告：刷屏」) in English too
            return english.format(*(reason_words.FIXED.get(g, g) for g in found.groups()))
    return reason_words.english(text)


def mute_words(payload: Mapping[str, Any] | str | None, lang: str) -> str:
    """A platform mute (QQ `group_ban`) on the member's record: 「禁言 10 分钟」, 「解除禁言」."""
    # (a driver may hand the JSON column back as text)
    fields: Mapping[str, Any] = json.loads(payload) if isinstance(payload, str) else payload or {}
    seconds = int(fields.get("seconds") or 0)
    en = lang == "en"
    if seconds <= 0:
        return "mute lifted" if en else "解除禁言"
    if seconds >= MUTED_UNTIL_LIFTED:
        return "muted until lifted" if en else "禁言（未设结束时间）"
    for size, zh, unit in ((86_400, "天", "day"), (3_600, "小时", "hour"), (60, "分钟", "minute")):
        if seconds >= size:
            n = seconds // size
            return f"muted for {n} {unit}{'s' if n != 1 else ''}" if en else f"禁言 {n} {zh}"
    return f"muted for {seconds} seconds" if en else f"禁言 {seconds} 秒"
