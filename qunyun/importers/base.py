"""What every importer shares: located errors, per-file statistics, the parsed export."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from qunyun.domain.deleted_accounts import DELETED_NAME, is_deleted_name
from qunyun.event_batch import EventBatch
from qunyun.events import Event, GroupRef, UserRef

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
MAX_EXAMPLES = 50


PART_OF_SKIPPED = "属于上面被跳过的那条消息 / a line of the skipped message above"


class ImportFormatError(Exception):
    """The file cannot be read as an export. str() names the file and the line or offset."""

    def __init__(self, file: str, message: str, *, line: int | None = None,
                 offset: int | None = None) -> None:
        where = file
        if line is not None:
            where += f":{line}"
        elif offset is not None:
            where += f" (byte {offset})"
        super().__init__(f"{where}: {message}")
        self.file, self.line, self.offset, self.message = file, line, offset, message


@dataclass
class ImportStats:
    """What was read from one file, and what was passed over and why."""

    messages: int = 0
    joins: int = 0
    leaves: int = 0
    nickname_changes: int = 0
    recalls: int = 0
    reactions: int = 0
    red_packets: int = 0
    service: int = 0  # service/system lines read but not turned into events
    skipped: int = 0
    skipped_examples: list[tuple[int, str]] = field(default_factory=list)
    # reason → how many lines, and the first MAX_EXAMPLES line numbers: what the CLI prints
    skipped_by_reason: dict[str, list[int]] = field(default_factory=dict)
    skipped_counts: dict[str, int] = field(default_factory=dict)
    ambiguous_names: dict[str, list[str]] = field(default_factory=dict)
    # Lines whose author could be read two ways (WhatsApp `A: B: text` from a sender seen
    # once): how many, and the first MAX_EXAMPLES as (line, name read, other reading).
    ambiguous_authors: int = 0
    ambiguous_author_examples: list[tuple[int, str, str]] = field(default_factory=list)
    members: set[str] = field(default_factory=set)
    # Deleted accounts (`is_deleted_name`): their keys, and the placeholders as written.
    deleted_accounts: set[str] = field(default_factory=set)
    deleted_names: set[str] = field(default_factory=set)

    def deleted(self, key: str, written: str) -> None:
        self.deleted_accounts.add(key)
        self.deleted_names.add(written)

    def skip(self, line: int, reason: str) -> None:
        self.skipped += 1
        if len(self.skipped_examples) < MAX_EXAMPLES:
            self.skipped_examples.append((line, reason))
        self.skipped_counts[reason] = self.skipped_counts.get(reason, 0) + 1
        lines = self.skipped_by_reason.setdefault(reason, [])
        if len(lines) < MAX_EXAMPLES:
            lines.append(line)

    def ambiguous_author(self, line: int, read_as: str, other: str) -> None:
        self.ambiguous_authors += 1
        if len(self.ambiguous_author_examples) < MAX_EXAMPLES:
            self.ambiguous_author_examples.append((line, read_as, other))

    def count(self, event: Event) -> None:
        kind = event.kind
        if kind == "message":
            self.messages += 1
        elif kind == "join":
            self.joins += 1
        elif kind == "leave":
            self.leaves += 1
        elif kind == "nickname":
            self.nickname_changes += 1
        elif kind == "recall":
            self.recalls += 1
        elif kind == "reaction":
            self.reactions += 1
        elif kind == "redpacket":
            self.red_packets += 1


@dataclass
class ParsedExport:
    """One export: which chat, which format, and its events as column batches (a one-shot
    generator; `event_batch.batched` makes them from event objects)."""

    path: str
    format: str
    group: GroupRef
    batches: Iterator[EventBatch]
    stats: ImportStats
    size: int = 0  # bytes, for progress
    position: list[int] = field(default_factory=lambda: [0])  # bytes read so far
    # What a skipped item's number counts: lines of a text file, or the messages of a
    # JSON export (its `messages` list, from 1).
    unit: str = "line"


def stable_id(*parts: str) -> str:
    """A short, stable id for formats with no message ids (WhatsApp, QQ, WeChat CSV)."""
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()


class OccurrenceCounter:
    """Numbers identical keys in order, so two identical lines in a row get distinct ids,
    and the same lines get the same ids in a later, overlapping export."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def id_for(self, *parts: str) -> str:
        key = stable_id(*parts)
        n = self._seen.get(key, 0)
        self._seen[key] = n + 1
        return key if n == 0 else f"{key}.{n}"


# Chat exports are of this century: a date outside these years is a broken or hostile
# value (QQ's year 0001, a Unix time of 1e20), skipped with its line, never a traceback.
FIRST_YEAR, LAST_YEAR = 1990, 2099
MIN_MS = int(datetime(FIRST_YEAR, 1, 1, tzinfo=UTC).timestamp() * 1000)
MAX_MS = int(datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC).timestamp() * 1000)
OUT_OF_RANGE = f"日期超出范围（{FIRST_YEAR}–{LAST_YEAR} 年）/ date out of range"


class DateOutOfRange(ValueError):
    """A well-formed date outside FIRST_YEAR..LAST_YEAR (skip the line: OUT_OF_RANGE)."""


def local_to_utc(naive: datetime, tz: ZoneInfo) -> datetime:
    if not FIRST_YEAR <= naive.year <= LAST_YEAR:
        raise DateOutOfRange(naive.isoformat())
    return naive.replace(tzinfo=tz).astimezone(UTC)


def from_unix(seconds: float) -> datetime:
    """A Unix time in seconds as UTC; DateOutOfRange outside FIRST_YEAR..LAST_YEAR."""
    if not MIN_MS <= seconds * 1000 < MAX_MS:
        raise DateOutOfRange(str(seconds))
    return datetime.fromtimestamp(seconds, UTC)


ID_LIMIT = 200  # identities.external_id is VARCHAR(255), and `name:…` ids hold a name
EVENT_ID_LIMIT = 255  # events.source_event_id is VARCHAR(255) (PostgreSQL enforces it)
NAME_TOO_LONG = f"名字过长（超过 {ID_LIMIT} 个字符）/ a name longer than {ID_LIMIT} characters"


class NameTooLong(ValueError):
    """A name (from a system line, or a sender) too long to be anyone's: skip the line."""


def checked_name(name: str) -> str:
    if len(name) > ID_LIMIT:
        raise NameTooLong(name[:40])
    return name


def deleted_account(platform: str, key: str, written: str, stats: ImportStats) -> UserRef:
    """The unknown author of a deleted account keyed `key` (counted in `stats`)."""
    stats.deleted(key, written.strip())
    stats.members.add(key)
    return UserRef(platform, key, DELETED_NAME)


class Names:
    """Resolves a name from a system line ("小明"邀请"阿花"…) to the one account that used
    it (`known`: name → account ids seen in the file); a name several accounts used is
    recorded as ambiguous in `stats` and kept apart as `name:…`, never guessed."""

    def __init__(self, platform: str, known: dict[str, set[str]], stats: ImportStats) -> None:
        self.platform, self.known, self.stats = platform, known, stats

    def ref(self, name: str, where: str = "") -> UserRef:
        """The account `name` names; a deleted account's placeholder is an unknown author
        of its own, keyed by `where` (the event naming it), not by the placeholder."""
        name = checked_name(name.strip().strip("\"“”"))
        if is_deleted_name(name):
            return deleted_account(self.platform, f"deleted:{where}:{name}", name, self.stats)
        ids = self.known.get(name, set())
        if len(ids) == 1:
            return UserRef(self.platform, next(iter(ids)), name)
        if len(ids) > 1:
            self.stats.ambiguous_names[name] = sorted(ids)
        return UserRef(self.platform, f"name:{name}", name)
