"""R5 from the console: an operator sends an escalation's reply (the draft, edited) as the
bot's reply to the member's message (issue 11 #55). The reply goes through the bot's outbox
like every operator effect (audited as the operator's), and the item is closed as done
with the text sent. A group on a platform with no bot of the community cannot get it: the
operator is told to answer there themselves, and nothing is queued."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection

from qunyun.effects import Reply
from qunyun.services import audit, lookup, queues, reach
from qunyun.storage.work import queues as queue_repo

MAX_CHARS = 2000
# A draft with nothing to say leaves the admin a 【请写…】/【请填写…】 instruction to replace;
# sent as it is, the member read the instruction in the group (issue 11 walk13 #22, #51).
FILL_IN = re.compile(r"【请[^】]*】")


def fill_in_left(text: str) -> str | None:
    """The draft's fill-in instruction still in the text, or None when there is none."""
    found = FILL_IN.search(text)
    return found.group(0) if found else None


class ReplyError(ValueError):
    """The reply cannot be sent; `code` names why (the console words it): `decided`,
    `empty`, `fill_in`, `long`, `no_message`, `no_bot`."""

    def __init__(self, code: str, words: str) -> None:
        super().__init__(words)
        self.code = code


def send(conn: Connection, *, community_id: int, item_id: int, operator: str,
         text: str) -> dict[str, Any]:
    """Queue the bot's reply to the escalated message and close the item; returns it."""
    item = queue_repo.get_item(conn, item_id=item_id)
    if item is None or item["community_id"] != community_id or item["queue"] != "escalation":
        raise queues.QueueError(f"no escalation {item_id} in this community")
    if item["status"] != "open":
        raise ReplyError("decided", "这条事项已经处理过了")
    body = text.strip()
    if not body:
        raise ReplyError("empty", "回复内容是空的：请写好要发给成员的话")
    if fill_in_left(body):
        raise ReplyError("fill_in", "回复里还有【请…】提示：先把它换成你的回答，再发送")
    if len(body) > MAX_CHARS:
        raise ReplyError("long", f"回复太长了（{len(body)} 字），最多 {MAX_CHARS} 字")
    detail = item.get("detail") or {}
    event_id = detail.get("event_id")
    group = lookup.group_ref(conn, group_id=int(item["group_id"])) \
        if item.get("group_id") is not None else None
    if not event_id or group is None:
        raise ReplyError("no_message",
                         "这条事项没有记下成员的原消息，机器人无法回复它：请在群里亲自回复")
    if reach.botless_platforms(conn, community_id=community_id, platforms=[group.platform]):
        where = reach.platform_name(group.platform)
        raise ReplyError("no_bot", f"这个群在 {where}，那里没有连接机器人账号，机器人发不了："
                                   "请在群里亲自回复")
    audit.record_operator_effect(
        conn, Reply(group=group, event_id=str(event_id), text=body, policy="escalation",
                    reason="R5 operator reply", evidence={"item": item_id}),
        community_id=community_id, operator=operator, member_id=item["member_id"],
        group_id=int(item["group_id"]))
    return queues.resolve_item(conn, community_id=community_id, item_id=item_id,
                               operator=operator, status="done",
                               reason=f"已以机器人身份回复：{body[:200]}")
