"""Which DM asks something and so is never a questionnaire answer (walk finding 55)."""

from __future__ import annotations

import pytest

from qunyun.domain.questions import asks_something


@pytest.mark.parametrize("text", [
    "老师，结营证书什么时候发？", "结营证书什么时候发?", "请问直播回放在哪里看",
    "问一下作业截止时间", "老师，证书怎么领", "助教 这周有几次直播",
])
def test_questions(text: str) -> None:
    assert asks_something(text)


@pytest.mark.parametrize("text", [
    "老师", "老师，在北京", "会一点", "零基础", "每周 5 小时", "跳过", "？", "做报表，自动化",
])
def test_answers(text: str) -> None:
    assert not asks_something(text)
