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
