"""The event log's dedupe key is per community: (community_id, source, source_event_id).

One bot (one Telegram token, one QQ account) can serve several communities, and one chat
export can be imported into two; the same platform message id then belongs to each
community's log, and the old key (source, source_event_id) dropped the second as a
duplicate. The unique constraint now includes the community.

SQLite cannot drop a constraint: the table is rebuilt the way SQLite's documentation says
("Making Other Kinds Of Table Schema Changes": new table, copy, drop, rename, indexes
again). The new table's SQL is the old one's with only the constraint changed, and its
indexes are re-created from their stored SQL, so columns and (partial) indexes added by
other migrations survive whichever order the heads are upgraded in.

Revision ID: events_0002_dedupe_per_community
Revises: 0001_foundation
"""

from __future__ import annotations

from alembic import op

revision = 'events_0002_dedupe_per_community'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None

OLD = ('uq_events_source_key', ('source', 'source_event_id'))
NEW = ('uq_events_community_source_key', ('community_id', 'source', 'source_event_id'))


def _sqlite_rebuild(old: tuple[str, tuple[str, ...]], new: tuple[str, tuple[str, ...]]) -> None:
    conn = op.get_bind()
    table_sql = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'").scalar_one()
    index_sql = [r[0] for r in conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' "
        "AND sql IS NOT NULL")]
    before = f"CONSTRAINT {old[0]} UNIQUE ({', '.join(old[1])})"
    after = f"CONSTRAINT {new[0]} UNIQUE ({', '.join(new[1])})"
    if before not in table_sql:
        raise RuntimeError(f"events: constraint {old[0]} not found as expected: {table_sql}")
    create = table_sql.replace(before, after, 1)
    create = create.replace("CREATE TABLE events", "CREATE TABLE events_rebuilt", 1)
    create = create.replace('CREATE TABLE "events"', "CREATE TABLE events_rebuilt", 1)
    columns = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(events)")]
    names = ", ".join(f'"{c}"' for c in columns)
    conn.exec_driver_sql(create)
    conn.exec_driver_sql(f"INSERT INTO events_rebuilt ({names}) SELECT {names} FROM events")
    conn.exec_driver_sql("DROP TABLE events")
    conn.exec_driver_sql("ALTER TABLE events_rebuilt RENAME TO events")
    for sql in index_sql:
        conn.exec_driver_sql(sql)


def _swap(old: tuple[str, tuple[str, ...]], new: tuple[str, tuple[str, ...]]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(old, new)
        return
    op.create_unique_constraint(new[0], 'events', list(new[1]))
    op.drop_constraint(old[0], 'events', type_='unique')


def upgrade() -> None:
    _swap(OLD, NEW)


def downgrade() -> None:
    # Fails if two communities now share a message id: that is the data this key allows.
    _swap(NEW, OLD)
