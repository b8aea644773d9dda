"""Direct messages the platform would not deliver (R2, R3, O2): never lost, an operator's
to-do instead.

Whatever the platform says no with — Telegram: the member never pressed Start, blocked the
bot or deleted the account; QQ (OneBot): `send_private_msg` refused for someone who is not
the bot's friend or takes no temporary chats; Matrix: the DM room could not be created or
the member could not be invited to it, or the member turned the bot's DM down, left it or
has not accepted it yet (the bot invites once, never again for every DM) — the text is
kept: `undeliverable` opens an item in the console's 待发私信 queue (`dm_todo`) that
names the member, says why the bot could not reach them and holds the text ready to copy,
and the DM's own audit entry says it became a to-do. A reply in the member's DM room is a
DM too (`private_text`). Every adapter's DM failure path comes here
(`AdapterCore.deliver`), so the rule is one for all platforms; an adapter only puts the
platform's refusal into words (`dm_refusal`). When the member opens the chat after all
(Telegram's Start; on Matrix, accepting the bot's DM or opening one with it) the adapter
sends what waited (`waiting`) and closes the to-dos (`sent_later`).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from sqlalchemy import Connection

from qunyun.effects import DirectMessage, Effect, Reply
from qunyun.events import UserRef
from qunyun.services import lookup, queues
from qunyun.storage.work import audit as audit_repo
from qunyun.storage.work import queues as queue_repo

QUEUE = "dm_todo"
# The questionnaire's DMs: the onboarding policy asks the pending question itself when the
# member opens the chat, so their to-dos close without a second copy.
FORM_PURPOSE = "O2 form"
SENT_LATER = "ta 打开了和机器人的私聊，机器人已自己补发"
# What the DM's audit entry says once it is a to-do (the console shows the detail).
TODO_DETAIL = "私信未送达，已转为运营者待办（待发私信）：{why}"


def private_text(effect: Effect) -> tuple[str, UserRef | None] | None:
    """The text of an effect that speaks to one member in private — a DM, or a reply in
    the member's DM room (its member is the audit entry's) — else None."""
    if isinstance(effect, DirectMessage):
        return effect.text, effect.member
    if isinstance(effect, Reply) and effect.group.kind == "direct":
        return effect.text, None
    return None


def undeliverable(
    conn: Connection,
    *,
    community_id: int,
    effect: Effect,
    why: str,
    audit_id: int | None = None,
    at_ms: int | None = None,
    platform_said: str = "",
) -> int | None:
    """Open the operator's to-do for a DM the platform refused: the member (by name and
    account), `why` in Chinese, and the text to send by hand. One item per DM (its audit
    entry): a DM retried and refused again refreshes the same item. Returns its id (None
    for an effect that is no private message).
    `platform_said` is the platform's own error, kept for the raw view only."""
    said = private_text(effect)
    if said is None:
        return None
    text, member = said
    now = at_ms if at_ms is not None else int(time.time() * 1000)
    entry = audit_repo.get(conn, audit_id=audit_id) if audit_id is not None else None
    member_id = entry["member_id"] if entry is not None else None
    if member is None and member_id is not None:
        member = lookup.member_ref(conn, member_id=int(member_id))
    if member is None:
        return None  # a reply nobody can be named for: its audit entry keeps the failure
    if member_id is None:
        found = lookup.member_ids_of(
            conn, community_id=community_id, platform=member.platform, user_ids=[member.user_id]
        )
        member_id = next(iter(found), None)
    name = member.display_name or member.user_id
    detail: dict[str, Any] = {
        "name": name,
        "dm_text": text,
        "undelivered": why,
        "purpose": effect.reason,
        "platform": member.platform,
        "account": member.user_id,
    }
    if platform_said:
        detail["platform_error"] = platform_said[:500]
    key = (
        f"dm:{audit_id}"
        if audit_id is not None
        else f"dm:{member.platform}:{member.user_id}:{effect.reason}:"
        f"{hashlib.sha1(text.encode()).hexdigest()[:12]}"
    )
    item_id, _ = queues.open_item(
        conn,
        community_id=community_id,
        queue=QUEUE,
        item_key=key,
        title=f"私信没能送达 {name}：请私下联系 ta，把下面的内容发给 ta",
        detail=detail,
        member_id=member_id,
        group_id=entry["group_id"] if entry is not None and effect.group.kind != "direct" else None,
        at_ms=now,
    )
    return item_id


def todo_detail(why: str) -> str:
    """The DM's audit detail once it became a to-do."""
    return TODO_DETAIL.format(why=why)


def waiting(conn: Connection, *, community_id: int, member: UserRef) -> list[dict[str, Any]]:
    """The member's DMs still open as to-dos, oldest first: what the bot can send itself
    once the member opens its chat (Telegram's Start)."""
    found = lookup.member_ids_of(conn, community_id=community_id, platform=member.platform,
                                 user_ids=[member.user_id])
    if not found:
        return []
    items = queue_repo.list_items(conn, community_id=community_id, queue=QUEUE,
                                  member_id=next(iter(found)))
    return sorted(items, key=lambda item: int(item["id"]))


def waiting_accounts(conn: Connection, *, community_id: int, platform: str) -> set[str]:
    """The accounts on `platform` with a DM still open as a to-do (an adapter checks these
    when members open its chat, rather than asking for each of them)."""
    items = queue_repo.list_items(conn, community_id=community_id, queue=QUEUE, limit=100_000)
    return {str(detail["account"]) for item in items
            if (detail := item.get("detail") or {}).get("platform") == platform
            and detail.get("account")}


def sent_later(conn: Connection, *, community_id: int, item_id: int) -> None:
    """The bot sent a waiting DM itself: the operator's to-do is done (audited)."""
    queues.resolve_item(conn, community_id=community_id, item_id=item_id, operator="机器人",
                        status="done", reason=SENT_LATER)


WITHDRAWN = "不用再发：ta 已不在新人流程里（被移出、退群或回群成员），新人问卷已撤回"


def withdraw(conn: Connection, *, community_id: int, member_id: int, purpose: str,
             reason: str = WITHDRAWN) -> int:
    """Close the member's waiting DMs of one purpose ("O2 form": the questionnaire) that
    must no longer go out — a removed member who opens the bot's DM later is not asked a
    newcomer's question (walk findings 16/55). Returns how many closed."""
    closed = 0
    for item in queue_repo.list_items(conn, community_id=community_id, queue=QUEUE,
                                      member_id=member_id):
        if (item.get("detail") or {}).get("purpose") == purpose:
            queues.resolve_item(conn, community_id=community_id, item_id=int(item["id"]),
                                operator="机器人", status="dismissed", reason=reason)
            closed += 1
    return closed
