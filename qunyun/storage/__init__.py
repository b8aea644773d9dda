"""Storage: the only place with SQL. SQLAlchemy 2.0 Core tables, repositories of
keyword-only functions over a Connection, Alembic migrations and the engine factory.

One folder per area that owns its tables; a new area (calendar, campaigns, ledger …) gets
its own folder with a `tables.py`, its repositories and a migration branching from the
foundation revision:

- `tables.py`    the foundation tables (communities, groups, members, events, audit, work items)
- `events/`      the event log: append (live), staging (bulk imports), frames (Arrow reads)
- `community/`   communities, groups, members, identities, nicknames, memberships
- `work/`        the audit log (the effects outbox) and work queues, shared by bot and console
- `bot/`         bot state: warnings, points, onboarding, check-ins, polls, adapter cursors
- `console/`     operator accounts and the console's read-only page queries
- `engine.py`, `migrate.py`, `schema.py`, `sql.py`, `prepared.py`, `savepoints.py`: plumbing
"""
