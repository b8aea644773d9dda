"""Operator-written patterns, compiled with RE2 so no input can make them backtrack forever.

Nickname formats (O3), moderation patterns (R1) and fake-account nickname patterns (R4)
are written by operators; a pattern like `(a+)+$` would hang Python's `re` on hostile
input. RE2 matches in linear time; the price is no backreferences or lookaround, which
`compile_pattern` reports in words.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2


class PatternError(ValueError):
    """The pattern does not compile under RE2; str() says why, for the operator."""


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # errors are reported to the operator, not dumped on stderr
    return options


_OPTIONS = _options()


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> Any:
    try:
        return re2.compile(pattern, options=_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid pattern"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(str(reason)) from None


def check_pattern(pattern: str) -> str | None:
    """None if the pattern compiles, else the reason."""
    try:
        compile_pattern(pattern)
    except PatternError as exc:
        return str(exc) or "invalid pattern"
    return None


# RE2's reasons (`missing ): (?P<name>…`) in the operator's words; the part after the
# colon is where it went wrong and is kept as it is.
_REASONS_ZH = (
    ("missing )", "少了右括号 )"),
    ("unexpected )", "多了一个右括号 )"),
    ("missing ]", "少了右方括号 ]"),
    ("bad repetition operator", "重复符号连用了（如 ** 或 ++）"),
    ("no argument for repetition operator", "重复符号（* + ? {…}）前面没有内容"),
    ("invalid repetition size", "重复次数写错了（如 {2,1}）"),
    ("trailing \\", "结尾多了一个反斜杠 \\"),
    ("invalid perl operator", "用了 RE2 不支持的写法（如前后查找 (?= (?<=）"),
    ("invalid escape sequence", "不认识的转义（反斜杠后面的字符）"),
    ("invalid named capture group", "命名分组写错了，应为 (?P<名字>…)"),
    ("invalid character class range", "方括号里的范围写反了或写错了（如 [z-a]）"),
    ("invalid character class", "方括号里的写法有误"),
    ("invalid UTF-8", "含有无效的字符"),
)


def reason_zh(reason: str) -> str:
    """An RE2 compile error for the Chinese plan check: what is wrong, then where."""
    for english, words in _REASONS_ZH:
        if reason.startswith(english):
            where = reason[len(english):].lstrip(": ").strip()
            return f"{words}（出错处：{where}）" if where else words
    return f"写法有误（{reason}）"


def labels_from(pattern: str, text: str) -> dict[str, str] | None:
    """Named groups of a full match (nickname `张三-上海-产品` → {name, city, job}), else None."""
    match = compile_pattern(pattern).fullmatch(text)
    if match is None:
        return None
    return {k: v for k, v in match.groupdict().items() if v is not None}


def search(pattern: str, text: str) -> bool:
    return compile_pattern(pattern).search(text) is not None


# What a nickname format's named groups are called in a member's words (O3).
GROUP_WORDS = {"name": "名字", "city": "城市", "job": "职业", "company": "公司",
               "school": "学校", "grade": "年级", "industry": "行业", "role": "岗位",
               "age": "年龄", "level": "基础"}


def nickname_format(pattern: str, example: str) -> str | None:
    """The format in words, read off the plan's example (`小王-杭州-财务` → `名字-城市-职业`);
    None when the example does not match or a part has no name a member would know."""
    try:
        regex = compile_pattern(pattern)
    except PatternError:
        return None
    match = regex.fullmatch(example.strip())
    if match is None or not regex.groupindex:
        return None
    spans = []
    for key, index in regex.groupindex.items():
        if key not in GROUP_WORDS:
            return None
        start, end = match.span(index)
        if start >= 0:
            spans.append((start, end, GROUP_WORDS[key]))
    text = example.strip()
    for start, end, word in sorted(spans, reverse=True):
        text = text[:start] + word + text[end:]
    return text


def name_part(pattern: str | None, nickname: str | None) -> str | None:
    """The `name` group of a nickname in the plan's format (`李四-上海-财务` → `李四`)."""
    if not pattern or not nickname:
        return None
    try:
        labels = labels_from(pattern, nickname.strip())
    except PatternError:
        return None
    name = (labels or {}).get("name", "").strip()
    return name or None
