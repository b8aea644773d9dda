"""A homework handed in with `!作业 链接` is visible on the member's console page (T3,
issue 11 item 4): the message with its link among the events, the points in the ledger."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.bot.wiring import build_policies
from qunyun.events import GroupRef, MessagePosted
from qunyun.pipeline.runner import Pipeline
from qunyun.services import lookup
from tests.factories import T0, user
from tests.policies.test_bot_policies import camp_plan
from tests.web.seed import Seeded

Make = Callable[..., TestClient]


def test_a_submission_shows_on_the_member_page(make_client: Make, seeded: Seeded,
                                               engine: Engine) -> None:
    plan = camp_plan()
    at = T0 + timedelta(days=2)  # after the seeded conversation
    pipeline = Pipeline(engine, community_id=seeded.community_id, plan=plan,
                        policies=build_policies(plan), clock=lambda: at)
    group = GroupRef("matrix", "!qa:localhost", "Python 训练营 · 答疑群")
    outcome = pipeline.process(MessagePosted(
        source="seed", source_event_id="hw1", group=group, at=at, actor=user(2),
        text="!作业 https://github.com/u2/week1"))
    assert [p.effect.kind for p in outcome.effects] == ["reply"], [p.effect.evidence for p in outcome.effects]
    with engine.connect() as conn:
        (member_id,) = lookup.member_ids_of(conn, community_id=seeded.community_id,
                                            platform="matrix", user_ids=[user(2).user_id])
    page = make_client("owner").get(f"/c/python-camp/members/{member_id}").text
    assert "https://github.com/u2/week1" in page
    assert "T3 task" in page or "作业" in page
