"""R5: the reply an admin can send as it is, prepared with the alert.

An alert said "建议回复：这个问题我来回答你：" and nothing after the colon. A draft is now
either the nearest FAQ answer (character bigrams of the question against each FAQ entry's
question and keywords, folded Traditional→Simplified, so "证书怎么领" finds "结业证书"), or
a template that says plainly what is missing for the admin to fill in.

An entry that shares the question's subject but not what it asks (「我的作业提交不了，一直
报错」 against 「作业怎么交？」: a failure reported, a how-to in the FAQ) does not answer it,
and the draft does not pretend it does (walk12 finding 18); it is offered under the
template as 「可能相关：…」, so the admin sees the FAQ's nearest words while writing (walk13
#9). The member meanwhile is told it went to a teacher.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qunyun.plan.model import FaqItem
from qunyun.policies.matching import fold, squeeze

MIN_SIMILARITY = 0.2  # below this the nearest FAQ entry is about something else
# The share of the question the entry must cover: 「我的作业提交不了，链接一直打不开」 shares
# 作业/提交 with 「作业怎么交？」 but asks something the entry does not answer (issue 11
# walk12 finding 18).
MIN_COVERAGE = 0.2
# A weaker match, offered as 「可能相关」: at least this many shared bigrams (one shared word
# such as 作业 is every homework question), at the similarity above.
MIN_RELATED_SHARED = 2
# How a question is asked says nothing about what it is about ("怎么" is in every one).
_ASKING = re.compile(
    r"请问|怎么办|怎么|怎样|如何|为什么|什么|哪里|哪儿|在哪|可以|能不能|是不是|吗|呢|吧|呀|啊|"
    r"老师|大家|一下")
# A report that something fails (「提交不了」「一直报错」) is not a how-to question: an entry
# that says how to do the thing is related to it, not its answer — unless the entry itself
# is about the failure.
_TROUBLE = re.compile(r"不了|不能|不行|不上|报错|出错|错误|失败|打不开|没反应|转圈|卡住")
# Whom the message @-mentions ("@运营者 老师，…") is not what it asks about.
_MENTION = re.compile(r"[@＠]\S+")


def _bigrams(text: str) -> set[str]:
    s = _ASKING.sub("", squeeze(_MENTION.sub(" ", text)))
    return {s[i:i + 2] for i in range(len(s) - 1)} or ({s} if s else set())


@dataclass(frozen=True, slots=True)
class FaqMatch:
    item: FaqItem
    answers: bool  # False: about the same thing, but not an answer to what was asked


def faq_match(question: str, faq: Sequence[FaqItem]) -> FaqMatch | None:
    """The FAQ entry closest to the question: one that answers it, else one that is only
    related (shares enough of its words), else None."""
    asked = _bigrams(question[:500])
    if not asked:
        return None
    trouble = _TROUBLE.search(fold(question[:500])) is not None
    best: FaqItem | None = None
    best_score = 0.0
    related: FaqItem | None = None
    related_score = 0.0
    for item in faq:
        known = _bigrams(" ".join([item.q, *item.keywords]))
        if not known:
            continue
        shared = len(asked & known)
        score = shared / min(len(asked), len(known))
        if score < MIN_SIMILARITY:
            continue
        about_trouble = _TROUBLE.search(fold(" ".join([item.q, *item.keywords]))) is not None
        if shared / len(asked) >= MIN_COVERAGE and (about_trouble or not trouble):
            if score > best_score:
                best, best_score = item, score
        elif shared >= MIN_RELATED_SHARED and score > related_score:
            related, related_score = item, score
    if best is not None:
        return FaqMatch(best, True)
    return FaqMatch(related, False) if related is not None else None


def nearest_faq(question: str, faq: Sequence[FaqItem]) -> FaqItem | None:
    """The FAQ entry that answers the question, or None when none is close enough."""
    found = faq_match(question, faq)
    return found.item if found is not None and found.answers else None


def _related(found: FaqMatch | None) -> str:
    """The related entry under a template: for the admin writing the answer (and, if they
    keep it, for the member)."""
    if found is None or found.answers:
        return ""
    return f"\n可能相关：“{found.item.q}”——{found.item.a}"


def draft_answer(who: str, question: str, faq: Sequence[FaqItem]) -> str:
    """A reply to a question the bot could not answer itself."""
    found = faq_match(question, faq)
    if found is not None and found.answers:
        return f"@{who} 你好！关于“{found.item.q}”：{found.item.a}"
    excerpt = question.strip()[:60]
    return (f"@{who} 你好！关于“{excerpt}”：【请填写答案——群规的常见问题里还没有这一条，"
            "回答后可以把它加进计划的 FAQ】" + _related(found))


def draft_for_mention(who: str, text: str, faq: Sequence[FaqItem]) -> str:
    """A reply to a member who @-mentioned an admin."""
    found = faq_match(text, faq)
    if found is not None and found.answers:
        return f"@{who} 你好，看到你的消息了。关于“{found.item.q}”：{found.item.a}"
    excerpt = text.strip()[:60]
    nothing = "常见问题里没有" + ("正好" if found is not None else "") + "答这个的条目"
    return (f"@{who} 你好，看到你的消息了（“{excerpt}”）。"
            f"【请写你自己的回答：{nothing}；写明你会怎么处理、大约什么时候回复】"
            + _related(found))
