"""Parsing bot commands: `!规则`, `！积分`, `!vote 2` → a canonical name and its arguments.

Both prefixes (`!` and the full-width `！`) and both languages name the same command, so
policies switch on one canonical (English) name. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from qunyun.domain.links import LINK

# Canonical name → every spelling a member may type (case-insensitive for Latin names).
ALIASES: dict[str, tuple[str, ...]] = {
    "rules": ("rules", "规则", "群规"),
    "points": ("points", "积分", "我的积分"),
    "rank": ("rank", "排行", "排行榜", "leaderboard"),
    "checkin": ("checkin", "打卡", "签到"),
    "help": ("help", "帮助", "菜单"),
    "poll": ("poll", "发起投票"),
    "vote": ("vote", "投票"),
    "endpoll": ("endpoll", "结束投票", "关闭投票"),
    "task": ("task", "homework", "作业", "交作业", "提交作业"),
    "form": ("form", "资料"),
    "appeal": ("appeal", "申诉"),
    "grant": ("grant", "加分"),  # T3 admins: !加分 @某人 10 原因
    "deduct": ("deduct", "减分"),
    # T4 volunteers (`policies/volunteers.py`): answers to the invitation, and privileges.
    "accept": ("accept", "接受"),
    "decline": ("decline", "拒绝"),
    "warn": ("warn", "警告"),
    "delete": ("delete", "删除"),
    # T2 推广大使 (`policies/ambassadors.py`): a newcomer's `!邀请码 CODE`; alone, an
    # ambassador's own code.
    "code": ("code", "邀请码", "我的邀请码"),
    # G2: the member's own invite link (where the platform has them).
    "invite": ("invite", "邀请", "邀请链接", "我的邀请链接"),
}
_LOOKUP: dict[str, str] = {alias.casefold(): name for name, names in ALIASES.items()
                           for alias in names}
# Commands their own policies read by the word as typed (no canonical name): A5 events
# (`policies/activities.py`), A1 camp tasks (`campaigns.py`), E2 revival (`lifecycle.py`),
# T3 level and badges (`growth_commands.py`). The bot knows them all the same: a member
# typing one is never moderated as an advert, and `plan check` accepts a text naming one.
# tests/domain/test_commands.py holds each policy's words inside this set.
OWN_WORDS: frozenset[str] = frozenset({
    "报名", "取消报名", "反馈",
    "完成", "done", "交作业",
    "复活", "revive", "回群",
    "等级", "我的等级", "level", "徽章", "我的徽章", "badges",
})


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # canonical, e.g. "points"; unknown commands keep what was typed
    args: tuple[str, ...]
    rest: str  # everything after the command word, as typed (poll questions keep spaces)
    known: bool


def parse(text: str, prefixes: Sequence[str] = ("!", "！")) -> Command | None:
    """The command in `text`, or None if it does not start with a command prefix."""
    stripped = text.strip()
    prefix = next((p for p in prefixes if p and stripped.startswith(p)), None)
    if prefix is None:
        return None
    body = stripped[len(prefix):].strip()
    if not body:
        return None
    word, _, rest = body.partition(" ")
    # Full-width spaces are common after Chinese command words ("！投票　2").
    if "\u3000" in word:
        word, _, more = word.partition("\u3000")
        rest = f"{more} {rest}".strip()
    # A link glued to the command word (「!作业https://github.com/x」) is its argument.
    glued = LINK.search(word)
    if glued is not None and glued.start() > 0:
        word, rest = word[:glued.start()], f"{word[glued.start():]} {rest}"
    rest = rest.replace("\u3000", " ").strip()
    name = _LOOKUP.get(word.casefold())
    return Command(name=name or word, args=tuple(rest.split()), rest=rest,
                   known=name is not None or word.casefold() in OWN_WORDS)


def command_from(name: str, args: Sequence[str]) -> Command:
    """A `CommandIssued` event's name and args as a `Command` (same aliases)."""
    canonical = _LOOKUP.get(name.strip().lstrip("!！").casefold())
    return Command(name=canonical or name, args=tuple(args), rest=" ".join(args),
                   known=canonical is not None or is_known(name.strip().lstrip("!！")))


# A command named inside a plan's text: 「!作业 链接」, "发送 !打卡", "（!申诉 说明）".
# Not after a letter (「加入！欢迎」 is an exclamation), and the word starts with one.
_NAMED = re.compile(r"(?<!\w)[!！]"
                    r"(\w[^\s!！「」『』【】（）()\[\]\"'“”‘’，,。.、；;：:？?]*)")


def named_in(text: str) -> Iterator[str]:
    """The command words `text` tells a member to type (without the prefix), in order."""
    for match in _NAMED.finditer(text):
        yield match.group(1)


def is_known(word: str) -> bool:
    folded = word.casefold()
    return folded in _LOOKUP or folded in OWN_WORDS
