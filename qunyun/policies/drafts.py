"""R5: the reply an admin can send as it is, prepared with the alert.

An alert said "建议回复：这个问题我来回答你：" and nothing after the colon. A draft is now
either the nearest FAQ answer (character bigrams of the question against each FAQ entry's
question and keywords, folded Traditional→Simplified, so "证书怎么领" finds "结业证书"), or
a template that says plainly what is missing for the admin to fill in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qunyun.plan.model import FaqItem
from qunyun.policies.matching import squeeze

MIN_SIMILARITY = 0.2  # below this the nearest FAQ entry is about something else
# The share of the question the entry must cover: 「我的作业提交不了，链接一直打不开」 shares
# 作业/提交 with 「作业怎么交？」 but asks something the entry does not answer (issue 11
# walk12 finding 18).
MIN_COVERAGE = 0.2
# How a question is asked says nothing about what it is about ("怎么" is in every one).
_ASKING = re.compile(
    r"请问|怎么|怎样|如何|为什么|什么|哪里|哪儿|在哪|可以|能不能|是不是|吗|呢|吧|老师|大家|一下")


def _bigrams(text: str) -> set[str]:
    s = _ASKING.sub("", squeeze(text))
    return {s[i:i + 2] for i in range(len(s) - 1)} or ({s} if s else set())


def nearest_faq(question: str, faq: Sequence[FaqItem]) -> FaqItem | None:
    """The FAQ entry closest to the question, or None when none is close enough."""
    asked = _bigrams(question[:500])
    if not asked:
        return None
    best, best_score = None, 0.0
    for item in faq:
        known = _bigrams(" ".join([item.q, *item.keywords]))
        if not known:
            continue
        shared = len(asked & known)
        score = shared / min(len(asked), len(known))
        if score > best_score and shared / len(asked) >= MIN_COVERAGE:
            best, best_score = item, score
    return best if best_score >= MIN_SIMILARITY else None


def draft_answer(who: str, question: str, faq: Sequence[FaqItem]) -> str:
    """A reply to a question the bot could not answer itself."""
    item = nearest_faq(question, faq)
    if item is not None:
        return f"@{who} 你好！关于“{item.q}”：{item.a}"
    excerpt = question.strip()[:60]
    return (f"@{who} 你好！关于“{excerpt}”：【请填写答案——群规的常见问题里还没有这一条，"
            "回答后可以把它加进计划的 FAQ】")


def draft_for_mention(who: str, text: str, faq: Sequence[FaqItem]) -> str:
    """A reply to a member who @-mentioned an admin."""
    item = nearest_faq(text, faq)
    if item is not None:
        return f"@{who} 你好，看到你的消息了。关于“{item.q}”：{item.a}"
    excerpt = text.strip()[:60]
    return (f"@{who} 你好，看到你的消息了（“{excerpt}”）。"
            "【请写你自己的回答：常见问题里没有答这个的条目；写明你会怎么处理、"
            "大约什么时候回复】")
