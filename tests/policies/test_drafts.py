"""R5 drafts: an alert's suggested reply is something an admin can send, never empty."""

from __future__ import annotations

from qunyun.plan.load import load_plan
from qunyun.policies.drafts import draft_answer, draft_for_mention
from tests.conftest import EXAMPLES


def _faq():  # type: ignore[no-untyped-def]
    plan = load_plan(EXAMPLES / "python-camp.yaml").plan
    assert plan is not None and plan.rules is not None
    return plan.rules.faq


def test_the_nearest_faq_answer_is_the_draft() -> None:
    draft = draft_answer("小王", "退款怎么申请呀？", _faq())
    assert draft.startswith("@小王 ") and "全额退款" in draft
    assert "全额退款" not in draft_answer("小王", "作业怎么提交", _faq())


def test_without_a_near_faq_the_draft_names_what_is_missing() -> None:
    draft = draft_answer("小王", "请问结业证书怎么领取？", _faq())
    assert "结业证书" in draft and "请填写答案" in draft and "FAQ" in draft
    mention = draft_for_mention("小王", "@运营者 我的作业提交不了", _faq())
    assert mention.startswith("@小王 ") and len(mention) > 20


def test_a_related_faq_entry_is_offered_without_pretending_it_answers() -> None:
    # Walk13 #9: the homework entry is near 「提交不了，一直报错」 but does not answer it.
    draft = draft_for_mention("李四", "@运营者 老师，我的作业提交不了，一直报错，怎么办呀？",
                              _faq())
    head, related = draft.split("\n")
    assert "【请写你自己的回答：常见问题里没有正好答这个的条目" in head
    assert related == "可能相关：“作业怎么交？”——在群里发「!作业 链接」，或提交到学习平台的作业区。"
    # Only a shared word (作业) is no relation; nothing near, nothing offered.
    for unrelated in ("老师这个作业第三题我不太会做啊", "@运营者 请问下周直播几点开始？我想请假"):
        assert "可能相关" not in draft_for_mention("李四", unrelated, _faq())
    assert "可能相关：“作业怎么交？”" in draft_answer("李四", "作业提交不了，一直报错怎么办", _faq())
