"""`plan check`: a text members read that @-names someone the plan does not know (P3, O1).

A member who reads 「坏果拍照发群里 @店长阿芳」 looks for 店长阿芳 in the group; if nobody
is called that (the local demo has only the operator and 张三/李四/王五), the instruction
leads nowhere (issue 11 walk finding 38). A name after "@" must be one of the plan's admins
(`rules.admins`, who the rules tell members to turn to) or a role everyone can find
(群主, 管理员 …). Names without "@" are not checked: prose cannot tell a name from a word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from qunyun.plan.findings import Finding
from qunyun.plan.model import Plan
from qunyun.plan.texts import plan_texts

# "@name" as members write it: not an e-mail address (no letter or digit just before the
# "@"), up to the first space or punctuation.
AT_NAME = re.compile(r"(?<![A-Za-z0-9_.])@([^\s@，。,.!！?？：:、；;（）()「」【】\"'“”{}]+)")
# Roles a member can find in any group, whoever holds them.
ROLES = frozenset({"群主", "管理员", "群管理员", "管理", "老师", "助教", "班主任", "店长",
                   "店员", "社长", "客服", "机器人", "所有人", "全体成员", "all", "everyone"})


def _known(plan: Plan) -> set[str]:
    names = set(ROLES)
    for admin in plan.rules.admins if plan.rules else []:
        names.add(admin.strip())
        # 「群主（班主任）」 lists the role and what members call it: both are known.
        names.update(part for part in re.split(r"[（）()、/ ]+", admin) if part)
    return names


def check_people(plan: Plan) -> Iterator[Finding]:
    known = _known(plan)
    for path, text in plan_texts(plan):
        for name in dict.fromkeys(AT_NAME.findall(text)):
            if name in known or name.casefold() in known:
                continue
            yield Finding(
                "P3", path,
                f"写了「@{name}」，但「{name}」不在群规的管理员名单（rules.admins）里：成员会在群里"
                "找这个人。请写群里真实的显示名并列进管理员名单，或改写成角色（如 群主、管理员）",
                f"@-names {name}, who is not in the rules' admin list (rules.admins): members "
                "will look for them in the group. Name someone who is there and list them, or "
                "write a role instead (group owner, admins)",
                severity="advice")
