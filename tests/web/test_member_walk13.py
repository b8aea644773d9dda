"""Member 360's 新人任务 as an operator reads it when a stay ended (issue 11 walk13): a
member who came back, or left, is not shown the steps of a stay that ended as pending."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.events import MemberLeft
from qunyun.services import onboarding as onboarding_service
from qunyun.services import plans as plan_service
from qunyun.services.ingest import EventRecorder
from qunyun.storage.engine import writing
from tests.factories import T0, user
from tests.web.seed import Seeded
from tests.web.test_member_walk11 import GROUP, _ms
from tests.web.test_member_walk12 import _group_id, _removed_appealed_back, _visible

Make = Callable[..., TestClient]
WHEN = r"2026-03-01 \d\d:\d\d"


def _onboarding(html: str, heading: str = "新人任务") -> str:
    """The page's 新人任务 part, as text."""
    return _visible(html.split(f"{heading}</h2>", 1)[1].split("<h2>", 1)[0]).strip()


def _part(html: str, element_class: str) -> str | None:
    found = re.search(rf'class="{element_class}[^"]*">(.*?)</p>', html, re.S)
    return _visible(found.group(1)).strip() if found else None


def test_a_returning_member_is_not_shown_the_first_stays_steps_as_pending(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    """王五 joined, did none of the steps, was removed, appealed and came back: the current
    stay reads 回群成员 with no ○ …（未完成）; the first stay's steps are said as that stay's."""
    client = make_client("admin")
    _removed_appealed_back(engine, seeded, client)
    page = f"/c/python-camp/members/{seeded.script_member_id}"
    html = client.get(page).text
    assert "未完成）" not in _onboarding(html), _onboarding(html)
    assert _part(html, "onboarding-steps") == "✓ 已欢迎 回群成员，不走新人流程"
    earlier = _part(html, "onboarding-earlier")
    assert earlier and re.fullmatch(
        rf"上次入群 {WHEN} UTC\+8：当时未完成：改昵称、自我介绍、填表", earlier), earlier
    english = client.get(page + "?lang=en").text
    assert "(not done)" not in _onboarding(english, "Onboarding")
    assert _part(english, "onboarding-steps") == "✓ welcomed a returning member: no newcomer steps"
    earlier = _part(english, "onboarding-earlier")
    assert earlier and re.fullmatch(
        rf"Earlier stay, joined {WHEN} UTC\+8: not done then: nickname, intro, form",
        earlier), earlier


def test_a_member_who_left_has_no_pending_steps_and_a_newcomer_still_has(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    """用户2 renamed, then left before the rest: the page keeps what that stay did and did
    not, with no deadline and nothing pending. 用户3, a newcomer still in the group, still
    reads ○ 自我介绍（未完成） and the deadline."""
    group_id = _group_id(engine, seeded)
    recorder = EventRecorder(community_id=seeded.community_id)
    with writing(engine) as conn:
        _text, plan = plan_service.stored_plan(conn, community_id=seeded.community_id)
        assert plan is not None
        left_id, newcomer_id = (recorder.member_id(conn, user(n)) for n in (2, 3))
        for member, minute in ((left_id, 2), (newcomer_id, 3)):
            onboarding_service.start(conn, community_id=seeded.community_id, member_id=member,
                                     group_id=group_id, at_ms=_ms(minute),
                                     onboarding=plan.onboarding)
            onboarding_service.complete_step(conn, member_id=member, group_id=group_id,
                                              step="nickname", at_ms=_ms(minute + 5),
                                              onboarding=plan.onboarding)
        recorder.record(conn, MemberLeft(source="matrix", source_event_id="u2-left",
                                         group=GROUP, at=T0 + timedelta(minutes=60),
                                         member=user(2)))
        onboarding_service.member_left(conn, member_id=left_id, group_id=group_id,
                                       at_ms=_ms(60), onboarding=plan.onboarding)
    client = make_client("admin")
    html = client.get(f"/c/python-camp/members/{left_id}").text
    part = _onboarding(html)
    assert "未完成）" not in part and "截止" not in part, part
    assert _part(html, "onboarding-steps") is None
    earlier = _part(html, "onboarding-earlier")
    assert earlier and re.fullmatch(
        rf"上次入群 {WHEN} UTC\+8：✓ 改昵称 当时未完成：自我介绍、填表", earlier), earlier

    html = client.get(f"/c/python-camp/members/{newcomer_id}").text
    steps = _part(html, "onboarding-steps")
    assert steps and steps.startswith(
        "○ 已欢迎（未完成） ✓ 改昵称 ○ 自我介绍（未完成） ○ 填表（未完成） 截止"), steps
    assert _part(html, "onboarding-earlier") is None
