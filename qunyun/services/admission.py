"""G1: an operator's answer to a join request waiting in the `join_request` queue.

The decision closes the item (audited with the operator's name) and puts an
`AnswerJoinRequest` in the outbox; the running bot approves or rejects it on the platform
(`set_group_add_request`, `approveChatJoinRequest` / `declineChatJoinRequest`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from qunyun.effects import AnswerJoinRequest
from qunyun.events import GroupRef, UserRef
from qunyun.services import audit, queues
from qunyun.storage.work import queues as queue_repo

QUEUE = "join_request"


def decide(conn: Connection, *, community_id: int, item_id: int, operator: str,
           approve: bool, reason: str) -> dict[str, Any]:
    item = queue_repo.get_item(conn, item_id=item_id)
    if item is None or item["community_id"] != community_id or item["queue"] != QUEUE:
        raise queues.QueueError(f"no join request {item_id} in this community")
    if item["status"] != "open":
        raise queues.QueueError(f"join request {item_id} was already decided")
    request = (item.get("detail") or {}).get("request") or {}
    resolved = queues.resolve_item(conn, community_id=community_id, item_id=item_id,
                                   operator=operator,
                                   status="approved" if approve else "dismissed", reason=reason)
    if request.get("group") and request.get("member"):
        effect = AnswerJoinRequest(
            group=GroupRef(*request["group"]), member=UserRef(*request["member"]),
            approve=approve, handle=str(request.get("handle") or ""),
            message="" if approve else reason, policy="admission",
            reason="G1 join request approved by an operator" if approve
            else "G1 join request rejected by an operator",
            evidence={"item": item_id})
        audit.record_operator_effect(conn, effect, community_id=community_id,
                                     operator=operator, member_id=item["member_id"],
                                     group_id=item["group_id"])
    return resolved
