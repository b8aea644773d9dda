"""Every table of every feature area on one `metadata`: what migrations are checked against.

Feature modules that add tables are imported here so Alembic and the schema test see them.
"""

from qunyun.storage.activities import tables as _activities  # noqa: F401  (A5 events)
from qunyun.storage.bot import tables as _bot_tables  # noqa: F401  (registers tables)
from qunyun.storage.community import tables as _community_tables  # noqa: F401  (plan versions)
from qunyun.storage.console import operators as _operators  # noqa: F401  (console accounts)
from qunyun.storage.console import sessions as _sessions  # noqa: F401  (sessions, sign-in limits)
from qunyun.storage.growth import ambassadors as _ambassadors  # noqa: F401  (T2 推广大使)
from qunyun.storage.growth import outreach as _outreach  # noqa: F401  (T2 bot DMs, buddies)
from qunyun.storage.growth import tables as _growth  # noqa: F401  (T1 held tiers)
from qunyun.storage.growth import volunteers as _volunteers  # noqa: F401  (T4)
from qunyun.storage.lifecycle import tables as _lifecycle  # noqa: F401  (E1/E2 cases)
from qunyun.storage.schedule import tables as _schedule  # noqa: F401  (the durable schedule)
from qunyun.storage.tables import metadata

__all__ = ["metadata"]
