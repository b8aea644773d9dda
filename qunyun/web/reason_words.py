"""English for the reasons and refusals the bot and the services write in Chinese (issue 11
walk finding 53): moderation's violations, the schedule's pauses and misses, plan saves,
volunteers' and ambassadors' actions, sales, the core-user ask, and why a grant or an
invitation was refused. The log keeps the Chinese sentence (members read the same words in
the group); the English console reads it back through here (`labels.reason_label`,
`message`). What an operator or the plan wrote inside a sentence (a title, a name, a note)
stays as written."""

from __future__ import annotations

import re

# Violations (policies/moderation.py `Violation.reason`) and fixed sentences.
FIXED: dict[str, str] = {
    "刷屏": "flooding",
    "发广告": "advertising",
    "发广告（加好友引流）": "advertising (luring members to add a contact)",
    "一次@太多人": "mentioning too many people at once",
    "发送二维码图片": "posting a QR code image",
    "重复发送相同内容": "posting the same text again and again",
    "多个账号发送相同内容": "the same text from several accounts",
    "发送其他群的邀请链接": "posting another group's invite link",
    "发送未经允许的链接": "posting a link that is not allowed",
    "计划可以上线": "the plan is ready",
    "先问问核心用户的想法": "asked a core member for their ideas first",
    "新成员": "a new member",
    "未分工": "no role",
    # Refusals (services/boards.py GrantError, services/volunteers.py, ambassadors.py, and
    # the console's own checks), shown on the page that was refused.
    "没有计划": "the community has no plan yet",
    "社群还没有计划，无法加减分": "the community has no plan yet: no points can be given",
    "请填写大于 0 的整数分数": "enter a whole number of points above 0",
    "管理员不参与积分排行，不能给管理员加减分":
        "admins are off the points boards: they get no points",
    "积分类别只能是「参与」或「贡献」": "the points go to participation or contribution",
    "请写明原因，例如：!加分 @小明 10 分享了很好的学习笔记":
        "write down the reason, e.g. “shared very good study notes”",
    "原因太长了，请控制在 200 字以内": "the reason is too long: 200 characters at most",
    "分数要大于 0": "the points must be more than 0",
    "计划里没有志愿者部分（volunteers），无法邀请":
        "the plan has no volunteers section: nobody can be invited",
    "这位成员已经是志愿者或已在邀请中": "this member is a volunteer already or has been invited",
    "这位成员现在不是志愿者": "this member is not a volunteer now",
    "计划里没有启用推广大使（ambassadors），无法邀请":
        "the plan has no ambassadors programme: nobody can be invited",
    "这位成员已经是推广大使或已在邀请中":
        "this member is an ambassador already or has been invited",
}

BOOKS = {"总积分": "total", "参与": "participation", "贡献": "contribution"}

VIA = {"专属链接": "their own link", "直接邀请": "a direct invitation", "邀请码": "their code"}

# (pattern, English with {0}, {1} …, which groups are themselves generated words)
PATTERNS: list[tuple[re.Pattern[str], str, tuple[int, ...]]] = [
    (re.compile(r"^暂停「(.+)」$"), "paused “{0}”", ()),
    (re.compile(r"^恢复「(.+)」$"), "resumed “{0}”", ()),
    (re.compile(r"^跳过「(.+)」的一次：(.+)$"), "skipped one “{0}”: {1}", ()),
    (re.compile(r"^恢复「(.+)」的一次：(.+)$"), "restored one “{0}”: {1}", ()),
    (re.compile(r"^「(.+)」停机期间错过 (\d+) 次（超过补发时限 (\d+) 分钟），已跳过$"),
     "“{0}” missed {1} times while the bot was down (past the {2}-minute catch-up limit): "
     "skipped", ()),
    (re.compile(r"^「(.+)」停机期间错过 (\d+) 次$"),
     "“{0}” missed {1} times while the bot was down", ()),
    (re.compile(r"^营期「(.+)」（补发）$"), "camp post “{0}” (sent late)", ()),
    (re.compile(r"^营期「(.+)」$"), "camp post “{0}”", ()),
    (re.compile(r"^计划有 (\d+) 个问题$"), "the plan has {0} problems", ()),
    (re.compile(r"^计划无法载入（(\d+) 个问题），未保存$"),
     "the plan does not load ({0} problems): not saved", ()),
    (re.compile(r"^已以机器人身份回复：(.*)$"), "replied as the bot: {0}", ()),
    (re.compile(r"^记录成交 (\S+) (\S+)：(.+)$"), "recorded a sale of {0} {1}: {2}", ()),
    (re.compile(r"^记录成交 (\S+) (\S+)$"), "recorded a sale of {0} {1}", ()),
    (re.compile(r"^值班响应了升级的问题（(\d+) 秒）$"),
     "on duty: answered an escalated question ({0} s)", ()),
    (re.compile(r"^警告 (.+)：(.+)$"), "warned {0}: {1}", (1,)),
    (re.compile(r"^删除了 (.+) 的一条消息$"), "deleted a message of {0}", ()),
    (re.compile(r"^推广大使 (.*) 带来了 (.+)（(.+)），\+(\d+) 分$"),
     "ambassador {0} brought {1} ({2}), +{3} points", (1, 2)),
    (re.compile(r"^推广大使 (.*) 带来了 (.+)（(.+)）$"), "ambassador {0} brought {1} ({2})",
     (1, 2)),
    (re.compile(r"^(.+)：核心用户，先问问 ta 的想法$"),
     "{0}: a core member — ask for their ideas first", ()),
    (re.compile(r"^一次最多加减 (\d+) 分$"), "at most {0} points at a time", ()),
    (re.compile(r"^TA 的(.+)积分只有 (-?\d+) 分，不能减 (\d+) 分$"),
     "they have only {1} {0} points: {2} cannot be taken", (0,)),
    (re.compile(r"^计划里没有「(.+)」这个志愿者分工$"), "the plan has no volunteer role “{0}”", ()),
]


def _word(text: str) -> str:
    return FIXED.get(text) or VIA.get(text) or BOOKS.get(text) or text


def english(text: str) -> str | None:
    """The English of a generated reason, or None when it is not one (typed by a person)."""
    if text in FIXED:
        return FIXED[text]
    for pattern, words, generated in PATTERNS:
        found = pattern.match(text)
        if found is not None:
            parts = [(_word(g) if i in generated else g) for i, g in enumerate(found.groups())]
            return words.format(*parts)
    return None


def message(text: str, lang: str) -> str:
    """A refusal or reason in the page's language: the English where it is one the code
    writes, else as written."""
    return (english(text) or text) if lang == "en" else text
