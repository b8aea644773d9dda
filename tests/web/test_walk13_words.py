"""Issue 11 walk13 #30/#34: generated texts in the page's language — the English console read
「发广告（加好友引流）」, 「item: 李四 的申诉」, 「【需要人工】李四 在群里@了管理员：…」; the
Chinese one read internal keys 「labels：city 北京，job 学生」. Member words stay as written."""

from __future__ import annotations

from qunyun.web import labels


def test_a_nicknames_parts_read_as_words_in_both_languages() -> None:
    evidence = {"labels": {"city": "北京", "job": "学生", "name": "张三"}}
    (zh,) = labels.evidence_lines(evidence, "zh")
    assert zh == "昵称里的信息：城市 北京，职业 学生，称呼 张三"
    (en,) = labels.evidence_lines(evidence, "en")
    assert en == "from the nickname: city 北京; job 学生; name 张三"


def test_generated_warning_reasons_and_item_titles_read_in_english() -> None:
    assert labels.reason_label("发广告（加好友引流）", "en") == (
        "advertising (luring members to add a contact)")
    assert labels.reason_label("发广告（加好友引流）", "zh") == "发广告（加好友引流）"
    appeal = {"title": "李四 的申诉", "queue": "appeal", "detail": {}}
    assert labels.item_title(appeal, "en") == "李四: appeal"
    assert labels.item_title(appeal, "zh") == "李四 的申诉"
    alert = {"title": "【需要人工】李四 在群里@了管理员：老师，我的作业提交不了", "queue": "escalation",
             "detail": {}}
    assert labels.item_title(alert, "en") == (
        "Needs a person: 李四 mentioned an admin in the group: 老师，我的作业提交不了")
    decided = {"item": 7, "title": "李四 的申诉"}
    (line,) = labels.evidence_lines(decided, "en", warnings={(-1, 7): "李四: appeal"})
    assert line == "item: 李四: appeal"
    (zh_line,) = labels.evidence_lines(decided, "zh", warnings={(-1, 7): "李四 的申诉"})
    assert zh_line == "事项：李四 的申诉"
