"""Work queues: opening is idempotent, resolving is audited with the operator's name."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from qunyun.services import queues
from qunyun.storage.community import communities as community_repo
from qunyun.storage.work import audit as audit_repo
from qunyun.storage.work import queues as queue_repo


def test_open_is_idempotent_and_resolution_is_audited(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
        first, created = queues.open_item(
            conn, community_id=cid, queue="suspect", item_key="suspect:7", title="可疑账号",
            detail={"signals": ["join_burst"]}, member_id=7,
        )
        again, created_again = queues.open_item(
            conn, community_id=cid, queue="suspect", item_key="suspect:7", title="可疑账号",
            detail={"signals": ["join_burst", "never_spoke"]}, member_id=7,
        )
        assert created and not created_again and first == again
        assert queue_repo.get_item(conn, item_id=first)["detail"]["signals"] == [  # type: ignore[index]
            "join_burst", "never_spoke"]
        queues.resolve_item(conn, community_id=cid, item_id=first, operator="alice",
                            status="exempted", reason="是老客户")
        assert queue_repo.exempted_members(conn, community_id=cid, queue="suspect") == {7}
        assert queue_repo.count_open(conn, community_id=cid) == {}
        entry = audit_repo.entries(conn, community_id=cid)[0]
        assert entry["actor"] == "operator:alice" and entry["action"] == "suspect:exempted"
        assert entry["reason"] == "是老客户" and entry["member_id"] == 7


def test_resolving_another_communitys_item_is_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        a = community_repo.get_or_create_community(conn, slug="a", name="a", now_ms=0)
        b = community_repo.get_or_create_community(conn, slug="b", name="b", now_ms=0)
        item, _ = queues.open_item(conn, community_id=a, queue="todo", item_key="k", title="t",
                                   detail={})
        with pytest.raises(queues.QueueError):
            queues.resolve_item(conn, community_id=b, item_id=item, operator="x", status="done",
                                reason="")


def test_a_refreshed_todo_title_counts_the_members_its_evidence_lists(engine: Engine) -> None:
    """T2: the report's tier to-do reopened with more members says the new count in its
    title, as its evidence (人数) does; a decided item keeps what it was decided on."""
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)

        def todo(count: int, key: str = "todo:active") -> int:
            item, _ = queues.open_item(
                conn, community_id=cid, queue="todo", item_key=key,
                title=f"活跃者（{count}）：邀请分享",
                detail={"tier": "active", "count": count, "members": list(range(count))})
            return item

        item = todo(3)
        assert todo(12) == item
        stored = queue_repo.get_item(conn, item_id=item)
        assert stored is not None
        assert stored["title"] == "活跃者（12）：邀请分享" and stored["detail"]["count"] == 12
        decided = todo(5, key="todo:spreader")
        queues.resolve_item(conn, community_id=cid, item_id=decided, operator="alice",
                            status="done", reason="")
        todo(9, key="todo:spreader")
        kept = queue_repo.get_item(conn, item_id=decided)
        assert kept is not None and kept["title"] == "活跃者（5）：邀请分享"
