"""G4: the next group's name continues the full group's number, skipping names taken."""

from __future__ import annotations

from qunyun.domain.group_matrix import LINK_SLOT, full_notice, next_group_name, route_for


def test_the_next_name_continues_the_number() -> None:
    assert next_group_name("Python 训练营 3群", set()) == "Python 训练营 4群"
    assert next_group_name("答疑群2", set()) == "答疑群3"
    assert next_group_name("2026 春季班 1期", set()) == "2026 春季班 2期"


def test_a_name_without_a_number_starts_at_two_and_taken_names_are_skipped() -> None:
    assert next_group_name("进阶营", set()) == "进阶营 2群"
    assert next_group_name("进阶营", {"进阶营 2群", "进阶营 3群"}) == "进阶营 4群"
    assert next_group_name("2026", set()) == "2026 2群"  # a bare number is a name


def test_the_notice_names_the_cap_the_group_and_where_to_put_the_link() -> None:
    text = full_notice(cap=200, next_name="进阶营 2群")
    assert "本群已满 200 人" in text and "「进阶营 2群」" in text and LINK_SLOT in text


def test_a_route_is_the_first_whose_word_the_answer_is_or_contains() -> None:
    routes = [(["零基础", "会一点"], "入门群"), (["能写脚本"], "进阶群"), (["会一点"], "别的群")]
    assert route_for("会一点", routes) == "入门群"
    assert route_for("  会一点，写过几个小脚本 ", routes) == "入门群"  # the first route wins
    assert route_for("能写脚本", routes) == "进阶群"
    assert route_for("Python 高手", routes) is None  # stays where they are
    assert route_for("", routes) is None
    assert route_for("HangZhou", [(["hangzhou"], "杭州群")]) == "杭州群"  # case ignored
