"""Badge rules (T3): what an operator writes in the plan, and whether a member meets it. Pure.

A rule is a small expression over a member's measures, without SQL:

    checkin_streak >= 7
    messages(days=30) >= 100
    invited >= 3 and events_attended >= 2
    first_message

It is parsed by Python's own parser (`ast`, mode "eval") and then checked against a
whitelist: names of known measures, an optional `days=N` window, integer comparisons, and
`and` / `or` / `not`. Anything else (attributes, calls of other names, strings, arithmetic)
is a `RuleError` naming the column of the rule where it went wrong — the plan check turns it
into a finding. Parsing happens once per plan; evaluation asks a `Measures` callable for
each (measure, window) the rule names, so the caller decides how to count (a SQL aggregate
live, a Polars column in the daily pass).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass

# The measures a rule may name, with what each counts (shown in `plan check` and docs).
MEASURES: dict[str, str] = {
    "messages": "发言条数",
    "active_days": "有发言的天数",
    "checkins": "打卡次数",
    "checkin_streak": "当前连续打卡天数",
    "invited": "邀请入群的人数",
    "events_attended": "参加活动的次数",
    "answered_questions": "回答的问题被点赞的次数",
    "replies_received": "收到的回复数",
    "reactions_received": "收到的表情回应数",
    "points": "积分（参与 + 贡献）",
    "contribution_points": "贡献积分",
    "first_message": "发过第一条消息",
}
# A bare measure name means "at least one": `first_message` reads as a yes/no badge.
MAX_RULE_CHARS = 500
MAX_WINDOW_DAYS = 3650

Measures = Callable[[str, int | None], int]  # (measure, window days or None) -> count


class RuleError(ValueError):
    def __init__(self, message_zh: str, message_en: str, column: int) -> None:
        super().__init__(message_en)
        self.zh = message_zh
        self.en = message_en
        self.column = column


@dataclass(frozen=True, slots=True)
class Need:
    """One (measure, window) a rule reads."""

    measure: str
    days: int | None


@dataclass(frozen=True, slots=True)
class Rule:
    text: str
    tree: ast.expr
    needs: tuple[Need, ...]

    def met(self, measures: Measures) -> bool:
        return bool(_eval(self.tree, measures))


_COMPARE: dict[type[ast.cmpop], Callable[[int, int], bool]] = {
    ast.GtE: operator.ge, ast.Gt: operator.gt, ast.LtE: operator.le, ast.Lt: operator.lt,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}


def parse_rule(text: str) -> Rule:
    if len(text) > MAX_RULE_CHARS:
        raise RuleError(f"规则太长（{len(text)} 字符，最多 {MAX_RULE_CHARS}）",
                        f"rule too long ({len(text)} characters, at most {MAX_RULE_CHARS})", 1)
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        col = exc.offset or 1
        raise RuleError(f"规则写法有误（第 {col} 个字符附近）",
                        f"the rule does not parse (near character {col})", col) from None
    needs: list[Need] = []
    _check(tree, needs)
    return Rule(text, tree, tuple(dict.fromkeys(needs)))


def _fail(node: ast.AST, zh: str, en: str) -> RuleError:
    return RuleError(zh, en, getattr(node, "col_offset", 0) + 1)


def _measure(node: ast.expr, needs: list[Need]) -> None:
    if isinstance(node, ast.Name):
        name, days = node.id, None
    elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.args
          and len(node.keywords) == 1 and node.keywords[0].arg == "days"):
        name = node.func.id
        value = node.keywords[0].value
        if not (isinstance(value, ast.Constant) and type(value.value) is int
                and 1 <= value.value <= MAX_WINDOW_DAYS):
            raise _fail(value, f"days 应是 1 到 {MAX_WINDOW_DAYS} 之间的整数",
                        f"days must be an integer from 1 to {MAX_WINDOW_DAYS}")
        days = value.value
    else:
        raise _fail(node, "这里应是一个计数，如 messages 或 messages(days=30)",
                    "expected a measure such as messages or messages(days=30)")
    if name not in MEASURES:
        known = "、".join(MEASURES)
        raise _fail(node, f"不认识的计数「{name}」（可用：{known}）",
                    f"unknown measure {name!r} (known: {', '.join(MEASURES)})")
    needs.append(Need(name, days))


def _check(node: ast.expr, needs: list[Need]) -> None:
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value, needs)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        _check(node.operand, needs)
    elif isinstance(node, ast.Compare):
        if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARE:
            raise _fail(node, "每个比较只能有一个 >=、>、<=、<、== 或 !=",
                        "each comparison takes one of >=, >, <=, <, ==, !=")
        _measure(node.left, needs)
        right = node.comparators[0]
        if not (isinstance(right, ast.Constant) and type(right.value) is int
                and right.value >= 0):
            raise _fail(right, "比较的右边应是非负整数",
                        "the right side must be a whole number ≥ 0")
    else:
        _measure(node, needs)


def _eval(node: ast.expr, measures: Measures) -> bool | int:
    if isinstance(node, ast.BoolOp):
        values = (_eval(v, measures) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.UnaryOp):
        return not _eval(node.operand, measures)
    if isinstance(node, ast.Compare):
        left = _count(node.left, measures)
        right = node.comparators[0]
        assert isinstance(right, ast.Constant) and isinstance(right.value, int)
        return _COMPARE[type(node.ops[0])](left, right.value)
    return _count(node, measures) > 0


def _count(node: ast.expr, measures: Measures) -> int:
    if isinstance(node, ast.Name):
        return measures(node.id, None)
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    value = node.keywords[0].value
    assert isinstance(value, ast.Constant) and isinstance(value.value, int)
    return measures(node.func.id, value.value)


# What each measure counts, in English (the Chinese is `MEASURES`), for `words`.
MEASURES_EN: dict[str, str] = {
    "messages": "messages", "active_days": "days with a message", "checkins": "check-ins",
    "checkin_streak": "check-in streak (days)", "invited": "members invited",
    "events_attended": "events attended",
    "answered_questions": "answers to questions that got a reaction",
    "replies_received": "replies received", "reactions_received": "reactions received",
    "points": "points (participation + contribution)",
    "contribution_points": "contribution points", "first_message": "sent a first message",
}
_SIGNS = {ast.GtE: "≥", ast.Gt: ">", ast.LtE: "≤", ast.Lt: "<", ast.Eq: "=", ast.NotEq: "≠"}


def words(text: str, lang: str = "zh") -> str:
    """A rule as a person reads it: `checkin_streak >= 7` → 「当前连续打卡天数 ≥ 7」 /
    "check-in streak (days) ≥ 7". A rule that does not parse comes back as written."""
    try:
        tree = parse_rule(text).tree
    except RuleError:
        return text
    en = lang == "en"

    def measure(node: ast.expr) -> str:
        if isinstance(node, ast.Name):
            return (MEASURES_EN if en else MEASURES).get(node.id, node.id)
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        value = node.keywords[0].value
        assert isinstance(value, ast.Constant) and isinstance(value.value, int)
        name = (MEASURES_EN if en else MEASURES).get(node.func.id, node.func.id)
        return f"{name} in the last {value.value} days" if en else f"近 {value.value} 天{name}"

    def say(node: ast.expr, top: bool = False) -> str:
        if isinstance(node, ast.BoolOp):
            joiner = (" and " if en else " 且 ") if isinstance(node.op, ast.And) \
                else (" or " if en else " 或 ")
            inner = joiner.join(say(v) for v in node.values)
            return inner if top else f"({inner})" if en else f"（{inner}）"
        if isinstance(node, ast.UnaryOp):
            return ("not " if en else "非") + say(node.operand)
        if isinstance(node, ast.Compare):
            right = node.comparators[0]
            assert isinstance(right, ast.Constant) and isinstance(right.value, int)
            return f"{measure(node.left)} {_SIGNS[type(node.ops[0])]} {right.value}"
        return measure(node)

    return say(tree, top=True)
