"""Whom the community's bots can reach by DM (issue 11 #68, issue 16).

A member is reachable when the community has a bot on the member's platform (a stored
account, or one that ran: `bot.accounts.bot_platforms`), or when the asking adapter itself
serves that platform; the console, which no adapter serves, cannot tell before any bot of
the community ran, and then queues the DM as the outbox would hold it.

A DM to a reachable member goes through a community group on the member's own
platform, so the per-platform outbox (`adapters.contract`) hands it to the adapter that can
send it. A member only imported from another platform's export (a Telegram history under a
Matrix bot) is not reachable: the caller turns the DM into an operator to-do
(`unreachable_text`) instead of promising a message no bot can send.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Connection

from qunyun.events import GroupRef, UserRef
from qunyun.services import lookup
from qunyun.storage.bot import lookup as bot_lookup

Serves = Callable[[GroupRef], bool]


@dataclass(frozen=True, slots=True)
class Route:
    """Where a DM to the member goes: the member, and a group on their platform."""

    member: UserRef
    group_id: int | None
    group: GroupRef


def bot_platforms(conn: Connection, *, community_id: int) -> set[str]:
    """The platforms (as groups name them) on which the community has a bot."""
    from qunyun.bot import accounts  # the bot package owns the accounts' records

    return accounts.bot_platforms(conn, community_id=community_id)


def platform_name(platform: str, lang: str = "zh") -> str:
    from qunyun.plan.platforms import PLATFORM_NAMES

    names = PLATFORM_NAMES.get(platform, (platform, platform))
    return names[1] if lang == "en" else names[0]


def unreachable_text(platform: str) -> str:
    """The operator's words for a member no bot of the community can DM."""
    return f"这位成员在 {platform_name(platform)}，机器人联系不到"


def member_platforms(conn: Connection, *, member_ids: Iterable[int]) -> dict[int, str]:
    return bot_lookup.member_platforms(conn, member_ids=sorted(set(member_ids)))


def reachable_ids(conn: Connection, *, community_id: int, member_ids: Iterable[int],
                  serves: Serves | None = None) -> set[int]:
    """The members a bot of the community can DM (see the module docstring)."""
    platforms = member_platforms(conn, member_ids=member_ids)
    bots = bot_platforms(conn, community_id=community_id)
    return {m for m, p in platforms.items() if _reachable(p, bots, serves)}


def _reachable(platform: str, bots: set[str], serves: Serves | None) -> bool:
    if platform in bots:
        return True
    if serves is not None:  # a running adapter asks: its own platform, or a known bot's
        return serves(GroupRef(platform, ""))
    # The console, before any bot of the community ran or was stored: it cannot tell, and
    # the DM waits in the outbox for the first bot (which fails it if not its platform).
    return not bots


def dm_route(conn: Connection, *, community_id: int, member_id: int,
             prefer: GroupRef | None = None, serves: Serves | None = None
             ) -> Route | str | None:
    """The DM's route; the member's platform (a str) when no bot can reach them; None
    when the member is unknown. `prefer` (the event's group) is used when it is on the
    member's platform; `serves` is the asking adapter's (its own platform counts)."""
    member = lookup.member_ref(conn, member_id=member_id)
    if member is None:
        return None
    if not _reachable(member.platform, bot_platforms(conn, community_id=community_id),
                      serves):
        return member.platform
    if prefer is not None and prefer.platform == member.platform:
        return Route(member, None, prefer)
    groups = [(gid, g) for gid, g in lookup.community_groups(conn, community_id=community_id)
              if g.platform == member.platform]
    if not groups:
        if prefer is not None and serves is not None and serves(prefer) \
                and serves(GroupRef(member.platform, "")):
            # One pipeline for everything (tests, rehearsals): the event's group carries it.
            return Route(member, None, prefer)
        return member.platform
    gid, group = groups[0]
    return Route(member, gid, group)


def unreachable_members(conn: Connection, *, community_id: int,
                        member_ids: Iterable[int]) -> dict[int, str]:
    """Of `member_ids`, those no bot of the community can reach, with their platform (the
    console's view: no adapter of its own)."""
    platforms = member_platforms(conn, member_ids=member_ids)
    bots = bot_platforms(conn, community_id=community_id)
    return {m: p for m, p in platforms.items() if not _reachable(p, bots, None)}


def removal_by_hand(conn: Connection, *, community_id: int, item: dict[str, object],
                    platform: str, operator: str, now_ms: int) -> int:
    """E3 approved for a member no bot can remove (issue 11 #54): the operator's to-do to
    remove them on their platform, with why (the candidate's own title), in a queue of its
    own beside 淘汰候选 (「待你亲自移出」; under 分层待办 it read as a tier to-do, walk13
    #61). Returns its id."""
    from qunyun.services import queues  # queues imports audit; kept out of the hot path

    where = platform_name(platform)
    title = str(item.get("title") or "")
    name = title.split("：", 1)[0] or "成员"
    member_id = item.get("member_id")
    item_id, _new = queues.open_item(
        conn, community_id=community_id, queue="removal_todo",
        item_key=f"removal-by-hand:{item.get('id')}",
        title=f"{name}：已批准淘汰，请在 {where} 里亲自移出（{unreachable_text(platform)}）",
        detail={"why": unreachable_text(platform), "candidate": title,
                "approved_by": operator, "platform": platform},
        member_id=int(member_id) if isinstance(member_id, int) else None, at_ms=now_ms)
    return item_id


def botless_platforms(conn: Connection, *, community_id: int, platforms: Iterable[str],
                      serves: Serves | None = None) -> set[str]:
    """Of `platforms` (of the community's groups), those no bot of the community is on:
    a post for a group there has nobody to send it (issue 11 #35: an imported Telegram
    history beside the Matrix room)."""
    bots = bot_platforms(conn, community_id=community_id)
    return {p for p in set(platforms) if not _reachable(p, bots, serves)}
