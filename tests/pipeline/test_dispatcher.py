"""The pipeline: policies run in order, a stop verdict ends the run, a failing policy is
isolated (its writes rolled back, the error audited) and every effect is audited."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine

from qunyun.effects import Delete, Send, Warn
from qunyun.events import Event, MemberJoined, MessagePosted
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.pipeline.runner import Pipeline
from qunyun.storage.community import communities as community_repo
from qunyun.storage.community import members as member_repo
from qunyun.storage.work import audit as audit_repo
from tests.factories import GROUP, message, user


@dataclass
class Recorder:
    name: str
    calls: list[str] = field(default_factory=list)
    verdict: Verdict | None = None

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        self.calls.append(event.source_event_id)
        return self.verdict


class Exploding:
    name = "exploding"

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        # Writes something first: the failure must roll this back.
        assert ctx.member_id is not None
        member_repo.update_attributes(ctx.conn, member_id=ctx.member_id, attributes={"x": 1})
        raise RuntimeError("boom")


class DeleteAdverts:
    name = "moderation"

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if isinstance(event, MessagePosted) and "加微信" in event.text:
            return Verdict.halt(
                Delete(group=event.group, event_id=event.source_event_id, member=event.actor,
                       reason="广告", evidence={"text": event.text, "keyword": "加微信"}),
                Warn(group=event.group, member=event.actor, count=1, limit=3, text="第1次警告",
                     reason="广告"),
            )
        return None


def _pipeline(engine: Engine, policies: list) -> Pipeline:  # type: ignore[type-arg]
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    return Pipeline(engine, community_id=cid, policies=policies)


def test_policies_run_in_the_order_given(engine: Engine) -> None:
    order: list[str] = []

    @dataclass
    class Tracks:
        name: str

        def handle(self, event: Event, ctx: Context) -> Verdict | None:
            order.append(self.name)
            return None

    _pipeline(engine, [Tracks("b"), Tracks("a"), Tracks("c")]).process(message(1))
    assert order == ["b", "a", "c"]


def test_stop_verdict_skips_later_policies_and_effects_are_audited(engine: Engine) -> None:
    later = Recorder("scoring")
    pipe = _pipeline(engine, [DeleteAdverts(), later])
    outcome = pipe.process(message(1, text="加微信领资料"))
    assert outcome.stopped_by == "moderation"
    assert later.calls == []
    assert [p.effect.kind for p in outcome.effects] == ["delete", "warn"]
    with engine.connect() as conn:
        rows = audit_repo.entries(conn, community_id=pipe.community_id)
    assert {r["action"] for r in rows} == {"delete", "warn"}
    delete = next(r for r in rows if r["action"] == "delete")
    assert delete["reason"] == "广告"
    assert delete["evidence"] == {"text": "加微信领资料", "keyword": "加微信"}
    assert delete["actor"] == "policy:moderation" and delete["status"] == "pending"
    assert delete["member_id"] is not None and delete["event_source_id"] == "m1"
    # Ordinary messages pass moderation and reach later policies.
    pipe.process(message(2, text="今天的作业好难"))
    assert later.calls == ["m2"]


def test_a_failing_policy_is_isolated_rolled_back_and_audited(engine: Engine) -> None:
    after = Recorder("after", verdict=Verdict.act(Send(group=GROUP, text="hi", reason="test")))
    pipe = _pipeline(engine, [Exploding(), after])
    outcome = pipe.process(message(1))
    assert outcome.errors and outcome.errors[0][0] == "exploding"
    assert "boom" in outcome.errors[0][1]
    assert after.calls == ["m1"]  # the next policy still ran
    with engine.connect() as conn:
        rows = audit_repo.entries(conn, community_id=pipe.community_id)
        statuses = {r["action"]: r["status"] for r in rows}
        assert statuses == {"policy_error": "policy_error", "send": "pending"}
        member_id = rows[0]["member_id"]
        member = member_repo.get_member(conn, member_id=member_id)
        assert member is not None and member["attributes"] == {}  # the write was rolled back


def test_a_policy_sees_only_the_event_classes_it_handles(engine: Engine) -> None:
    joins_only = Recorder("joins")
    joins_only.handles = (MemberJoined,)  # type: ignore[attr-defined]
    everything = Recorder("all")
    pipe = _pipeline(engine, [joins_only, everything])
    pipe.process(message(1))
    pipe.process(MemberJoined(source="t", source_event_id="j1", group=GROUP,
                              at=message(2).at, member=user(7), via="link"))
    assert joins_only.calls == ["j1"]
    assert everything.calls == ["m1", "j1"]


def test_duplicate_event_reaches_no_policy(engine: Engine) -> None:
    policy = Recorder("p")
    pipe = _pipeline(engine, [policy])
    assert not pipe.process(message(1)).duplicate
    assert pipe.process(message(1)).duplicate
    assert policy.calls == ["m1"]


def test_dry_run_records_effects_as_findings(engine: Engine) -> None:
    pipe = _pipeline(engine, [DeleteAdverts()])
    pipe.dry_run = True
    pipe.process(message(1, text="加微信"))
    with engine.connect() as conn:
        assert {r["status"] for r in audit_repo.entries(conn)} == {"dry_run"}


def test_policy_names_must_be_unique(engine: Engine) -> None:
    with pytest.raises(ValueError):
        _pipeline(engine, [Recorder("x"), Recorder("x")])
