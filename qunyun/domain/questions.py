"""What reads as a question: a mark or a question word (R5 escalation, T3 answered_questions).

Deliberately plain: an operator can check it by eye, and the same words serve the bot's
escalation and the `answered_questions` badge measure (which counts in SQL with them).
"""

from __future__ import annotations

QUESTION_MARKS = ("?", "？", "吗", "怎么", "如何", "为什么", "请问")
MIN_LENGTH = 4  # "?" alone, or "吗？", is not a question anyone can answer


def looks_like_question(text: str) -> bool:
    stripped = text.strip()
    return len(stripped) >= MIN_LENGTH and any(mark in stripped for mark in QUESTION_MARKS)


# A DM that asks something is never the answer to a questionnaire question (issue 11 walk
# finding 55: 「老师，结营证书什么时候发？」 was recorded as a Python level). The rule, plain
# enough to check by eye: it ends with a question mark; or it opens with 请问 / 问一下 /
# 想问; or it addresses someone (「老师，…」「助教 …」) and asks (a question word follows).
# 「老师」 alone, or 「老师，在北京」, is an answer (a job, a city), not a question.
ASKING = ("请问", "问一下", "想问")
ADDRESSES = ("老师", "助教", "管理员", "班主任", "群主", "客服")
_ADDRESS_END = "，,、:： !！"
QUESTION_WORDS = ("吗", "么", "怎么", "什么", "如何", "为什么", "哪", "几", "能不能", "可不可以",
                  "是不是", "有没有", "多少")


def asks_something(text: str) -> bool:
    """Is this message a question put to someone rather than an answer?"""
    stripped = text.strip()
    if len(stripped) < 2:
        return False
    if stripped.endswith(("?", "？")) or stripped.startswith(ASKING):
        return True
    for address in ADDRESSES:
        rest = stripped[len(address):]
        if stripped.startswith(address) and rest[:1] in tuple(_ADDRESS_END):
            return any(word in rest for word in QUESTION_WORDS)
    return False
