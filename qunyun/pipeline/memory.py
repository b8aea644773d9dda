"""What the live pipeline remembers between events: a working set kept beside the database.

- the recent messages of each group (the flood, repeat and heated-exchange windows, R1/R5),
- who wrote a message (reply and reaction points, T3),
- points already granted today per member and action (daily caps, T3),
- members whose self-introduction is no longer awaited in a group (O2): only a new join
  (a fresh checklist) makes it awaited again, and the pipeline forgets the pair then.

Every entry mirrors rows the same pipeline wrote or read in committed transactions: it
is warmed from the database on first use and written through as events are recorded,
so a restart loses nothing. The pipeline drops the whole memory when a transaction
rolls back. Writes by another process (an import while the bot runs) reach the windows
after a restart; they are minutes long and only judge live traffic.

Why: these reads ran on every message and were a third of the pipeline's time.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Connection

from qunyun.policies.matching import fold
from qunyun.services import lookup
from qunyun.services import onboarding as onboarding_service
from qunyun.services import points as points_service

# (member id, source event id, ts ms, text): the shape `bot_lookup.recent_messages` returns.
Recent = tuple[int | None, str, int, str]
KEEP_MS = 3_600_000  # the longest window any policy may ask for without a database read
MAX_AUTHORS = 200_000  # message authors remembered (then forgotten all at once)


@dataclass(slots=True)
class _Window:
    valid_from: int  # every message of the group with ts >= valid_from is in `rows`
    rows: list[Recent]
    stamps: list[int]
    # How many rows carry each folded text (`matching.fold`), so the repeat check (R1)
    # can skip scanning the window for a text it holds once.
    texts: Counter[str]


def _text_key(text: str) -> str:
    return fold(text.strip())


class RecentMessages:
    """Each group's messages of the last hour, in time order (ties in recording order)."""

    def __init__(self, keep_ms: int = KEEP_MS) -> None:
        self.keep_ms = keep_ms
        self._windows: dict[int, _Window] = {}

    def since(self, conn: Connection, *, group_id: int, since_ms: int) -> list[Recent]:
        window = self._windows.get(group_id)
        if window is None or since_ms < window.valid_from:
            rows = lookup.recent_messages(conn, group_id=group_id, since_ms=since_ms)
            window = _Window(since_ms, rows, [r[2] for r in rows],
                             Counter(_text_key(r[3]) for r in rows))
            self._windows[group_id] = window
            return list(rows)
        return window.rows[bisect_left(window.stamps, since_ms):]

    def add(self, group_id: int, row: Recent) -> None:
        window = self._windows.get(group_id)
        if window is None or row[2] < window.valid_from:
            return  # not loaded yet (the first read finds it in the log), or too old to matter
        at = bisect_right(window.stamps, row[2])
        window.stamps.insert(at, row[2])
        window.rows.insert(at, row)
        window.texts[_text_key(row[3])] += 1
        cut = window.stamps[-1] - self.keep_ms
        if window.stamps[0] < cut - self.keep_ms // 4:  # prune in steps, not on every message
            drop = bisect_left(window.stamps, cut)
            window.texts.subtract(_text_key(r[3]) for r in window.rows[:drop])
            window.texts += Counter()  # drops the zero counts
            del window.stamps[:drop], window.rows[:drop]
            window.valid_from = max(window.valid_from, cut)

    def times_held(self, group_id: int, folded_text: str) -> int | None:
        """How many messages in the group's window fold to `folded_text` (None: no window
        loaded). The window covers at least every span `since` was last asked for."""
        window = self._windows.get(group_id)
        return None if window is None else window.texts[folded_text]


@dataclass
class Memory:
    recent: RecentMessages = field(default_factory=RecentMessages)
    authors: dict[tuple[str, str], int] = field(default_factory=dict)
    points_today: dict[tuple[int, str, str], int] = field(default_factory=dict)
    intro_settled: set[tuple[int, int]] = field(default_factory=set)  # (member, group)

    def note_message(self, *, group_id: int, member_id: int | None, source: str,
                     source_event_id: str, ts_ms: int, text: str) -> None:
        """A message was recorded in this transaction."""
        self.recent.add(group_id, (member_id, source_event_id, ts_ms, text))
        if member_id is not None:
            if len(self.authors) >= MAX_AUTHORS:
                self.authors.clear()
            self.authors[(source, source_event_id)] = member_id

    def author(self, conn: Connection, *, source: str, source_event_id: str,
               community_id: int | None = None) -> int | None:
        found = self.authors.get((source, source_event_id))  # a pipeline's: one community
        if found is None:
            found = lookup.message_author(conn, source=source, source_event_id=source_event_id,
                                          community_id=community_id)
        return found

    def used_today(self, conn: Connection, *, member_id: int, action: str, day: str) -> int:
        key = (member_id, action, day)
        used = self.points_today.get(key)
        if used is None:
            if len(self.points_today) >= MAX_AUTHORS:
                self.points_today.clear()
            used = points_service.used_today(conn, member_id=member_id, action=action, day=day)
            self.points_today[key] = used
        return used

    def granted(self, *, member_id: int, action: str, day: str, points: int) -> None:
        key = (member_id, action, day)
        if key in self.points_today:
            self.points_today[key] += points

    def intro_pending(self, conn: Connection, *, member_id: int, group_id: int) -> bool:
        if (member_id, group_id) in self.intro_settled:
            return False
        pending = onboarding_service.pending_intro(conn, member_id=member_id, group_id=group_id)
        if not pending:
            if len(self.intro_settled) >= MAX_AUTHORS:
                self.intro_settled.clear()
            self.intro_settled.add((member_id, group_id))
        return pending

    def note_join(self, *, member_id: int, group_id: int) -> None:
        """A member (re)joined: their onboarding checklist may start over."""
        self.intro_settled.discard((member_id, group_id))

    def forget_points(self) -> None:
        self.points_today.clear()
