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


# A DM that opens by addressing someone (「老师，…」「请问…」) or ends with a question mark
# asks something: it is never the answer to a questionnaire question (issue 11 walk
# finding 55: 「老师，结营证书什么时候发？」 was recorded as a Python level). Plain and
# checkable by eye; an answer that really ends in 「？」 is rare and can be sent without it.
ADDRESSES = ("请问", "问一下", "想问", "老师", "助教", "管理员", "班主任", "群主", "客服")


def asks_something(text: str) -> bool:
    """Is this message a question put to someone rather than an answer?"""
    stripped = text.strip()
    if len(stripped) < 2:
        return False
    return stripped.endswith(("?", "？")) or stripped.startswith(ADDRESSES)
