"""Repository: which of a community's groups are only imported history — every event from
an imported export (`import:…` sources), none from a bot — not a group anything runs
(issue 11 walk finding 24: the demo's Telegram history read as a live Telegram group, with
no bot for it). The console's group lists, the report (`analytics.build`) and the groups a
post can go to (`services.lookup`) ask the same question here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, select, text

from qunyun.storage.tables import LIVE_EVENT, events, groups


def imported_only() -> Any:
    """A condition on `groups`: true for a group that is only imported history, as two
    EXISTS, so a query of groups can carry it as a column. No live event first: one look
    into `ix_events_group_live` (the condition spelled as its predicate, a literal, or the
    planner cannot use it), which settles a live group; then any imported event, the
    first entry of an imported group in `ix_events_group_ts`."""
    live = select(events.c.id).where(events.c.group_id == groups.c.id,
                                     text(f"events.{LIVE_EVENT}")).exists()
    imported = select(events.c.id).where(events.c.group_id == groups.c.id,
                                         text("events.source LIKE 'import:%'")).exists()
    return and_(~live, imported)


def imported_groups(conn: Connection, *, community_id: int) -> set[int]:
    """The ids of the community's groups that are only imported history."""
    return {int(r[0]) for r in conn.execute(select(groups.c.id).where(
        groups.c.community_id == community_id, imported_only()))}
