"""Effects survive a round trip through the audit log (the bot's outbox)."""

from __future__ import annotations

from sqlalchemy import Engine

from qunyun.effects import Alert, Delete, Kick, Send, effect_from_dict, effect_to_dict
from qunyun.pipeline.runner import Pipeline
from qunyun.services import audit
from qunyun.storage.community import communities as community_repo
from tests.factories import GROUP, message, user
from tests.pipeline.test_dispatcher import DeleteAdverts


def test_round_trip_of_every_field() -> None:
    for effect in (
        Send(group=GROUP, text="欢迎", mentions=(user(1), user(2)), reason="O1", policy="welcome"),
        Delete(group=GROUP, event_id="$e", member=user(3), reason="广告"),
        Kick(group=GROUP, member=user(4), reason="3 次警告"),
        Alert(group=GROUP, text="有人吵架", suggested_reply="大家冷静", reason="R5"),
    ):
        back = effect_from_dict(effect_to_dict(effect))
        assert back == effect


def test_pending_effects_wait_until_marked_delivered(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    pipe = Pipeline(engine, community_id=cid, policies=[DeleteAdverts()])
    pipe.process(message(1, text="加微信"))
    with engine.begin() as conn:
        pending = audit.pending_effects(conn, community_id=cid)
        assert [e.kind for _, e in pending] == ["delete", "warn"]
        audit.mark_delivery(conn, audit_id=pending[0][0], ok=True)
        audit.mark_delivery(conn, audit_id=pending[1][0], ok=False, detail="M_FORBIDDEN")
        assert audit.pending_effects(conn, community_id=cid) == []
