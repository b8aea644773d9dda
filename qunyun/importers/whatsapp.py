"""WhatsApp .txt exports (I2): iOS `[dd/mm/yyyy, HH:MM:SS] Name: text` and Android
`dd/mm/yyyy, HH:MM - Name: text`, multi-line messages, system lines.

Date layouts of the phone's locale: d/m/y and m/d/y (the order is decided per file from
the data), y-m-d, with `/`, `.` or `-` (and `2024. 03. 25.` with spaces, Hungarian or
Korean), two- or four-digit years, with or without the comma, `klo` (Finnish) or `à`
(French) before the time, `:` or `.` in the time, 12 h (`PM`, `pm`, `p. m.`, `a.m.`,
上午/下午/中午/晚上/凌晨, 오전/오후) or 24 h, with or without seconds. U+200E/U+200F/U+202A…
marks are dropped wherever they are; U+202F and U+00A0 are spaces. A line that starts like
a header (a date and a time) but fits none of these is skipped with its number, never
folded into the previous message.

Sender names may contain `:` (`Ann :)`) and even `: ` (`Team: Alpha`): a first pass
collects, per first segment, the `: `-separated prefix all its lines share, and a name
with `: ` is recognised once it has two or more messages. A sender with a single message
(`Team: Alpha: hi`) cannot be told apart from `Team` saying `Alpha: hi` by the line alone;
if a system line of the file names `Team: Alpha` (joined, added, left, removed…), that
name is taken; otherwise the line is read as `Team` and counted in
`stats.ambiguous_authors` with its line number, which `qunyun import` prints.

Deleted-message placeholders ("This message was deleted", "… deleted by admin", "You
deleted this message") are a message (no text, media `deleted`) followed by a recall of
it: it was posted, so its author spoke; "Waiting for this message" is a message whose
text never arrived (media `pending`). See docs/report-schema.md.

WhatsApp has no message ids: each message gets a stable id from its time, author and
text plus an occurrence number, so a later export that overlaps an earlier one yields the
same ids for the same messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from qunyun.domain.deleted_accounts import is_deleted_name
from qunyun.domain.patterns import compile_pattern
from qunyun.event_batch import batched
from qunyun.events import (
    Event,
    GroupRef,
    MemberJoined,
    MemberLeft,
    MessagePosted,
    MessageRecalled,
    UserRef,
)
from qunyun.importers.base import (
    DEFAULT_TZ,
    ID_LIMIT,
    NAME_TOO_LONG,
    OUT_OF_RANGE,
    PART_OF_SKIPPED,
    DateOutOfRange,
    ImportFormatError,
    ImportStats,
    NameTooLong,
    OccurrenceCounter,
    ParsedExport,
    checked_name,
    deleted_account,
    local_to_utc,
    stable_id,
)
from qunyun.importers.textfile import read_lines

PLATFORM = "whatsapp"
_CLEAN = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068"
                               "\u2069\ufeff"), None) | {0x202F: " ", 0x00A0: " "}
# The date in the phone's order (d/m/y, m/d/y or y-m-d) with `/`, `.` or `-`; Hungarian,
# Czech, Croatian and Korean phones put a space after each dot and one at the end
# (`2024. 03. 25.`); then a comma or not.
_DATE = r"(?P<a>\d{1,4})(?P<sep>[/.\-]) ?(?P<b>\d{1,2})(?P=sep) ?(?P<c>\d{1,4})\.?,?\s"
# What some locales write between the date and the time: Finnish `klo`, French `à`.
_AT = r"(?:(?:klo|à)\s)?"
# A 12-hour clock's half of the day, written before the time (Chinese, Korean).
_MARKER = r"上午|下午|中午|晚上|凌晨|오전|오후"
_TIME = (r"(?P<cn>" + _MARKER + r")?\s?(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2}))?"
         r"(?:\s?(?P<ampm>[aApP]\.?\s?[mM]\.?))?")
IOS = re.compile(r"^\[" + _DATE + _AT + _TIME + r"\]\s(?P<rest>.*)$", re.S)
ANDROID = re.compile(r"^" + _DATE + _AT + _TIME + r"\s[-–]\s(?P<rest>.*)$", re.S)
# Starts like a header (a date, then a time, in any of the layouts above), whatever follows:
# never a continuation of the message before it.
# Also what no phone writes but a hand or another tool might: spaces before it, a
# full-width comma, a month by name (`5 Jan 2026, 10:08`, `Jan 5, 2026, 10:08`) — a line that
# starts so is skipped with its number, never taken for a line of the message before it
# (issue 12 walk14).
_MONTH_WORD = r"[^\W\d_]{3,12}\.?"
_HEADERISH = re.compile(
    r"^\s*\[?(?:\d{1,4}[/.\-] ?\d{1,2}[/.\-] ?\d{1,4}\.?"
    r"|\d{1,2}\.? " + _MONTH_WORD + r" \d{2,4}|" + _MONTH_WORD + r" \d{1,2},? \d{2,4})"
    r"[,，]?\s*" + _AT + r"(?:" + _MARKER + r")?\s?\d{1,2}[:.]\d{2}")
NAME_LIMIT = 100
AFTER_SYSTEM_LINE = "系统消息后面多出的行 / a line after a system line"
# "A added B, C and D": the names. RE2: `\s+and` on a long run of spaces backtracks in `re`
# (a 200 KB line of spaces took 80 s).
_NAME_LIST = compile_pattern(r",\s*|\s+and\s+")
# Run on member text, so linear whatever the input (RE2); only lines without an author.
_SYSTEM = tuple((compile_pattern(p), kind) for p, kind in (
    (r"^(?P<m>.+?) joined using this group's invite link", "join_link"),
    (r"^(?P<m>.+?) joined from the community", "join_link"),
    (r"^(?P<a>.+?) added (?P<m>.+)$", "added"),
    (r"^(?P<a>.+?) removed (?P<m>.+)$", "removed"),
    (r"^(?P<m>.+?) left$", "left"),
    (r"^(?P<m>.+?) created (?:this )?group", "created"),
    (r"^(?P<m>.+?) changed (?:their phone number|the subject|this group's (?:icon|settings)|"
     r"the group description)", "info"),
    (r"^(?P<m>.+?) (?:deleted|removed) this group's icon", "info"),
    (r"^(?:Messages and calls are end-to-end encrypted|消息和通话已进行端到端加密|"
     r"Messages to this group are now secured|This group was created)", "info"),
))
# The same sentences, for a short `Name` in `Name: text` (a bounded input: names are short).
_SYSTEM_HEAD = re.compile(
    r"^.{1,200}? (?:joined using this group's invite link|joined from the community|added .+|"
    r"removed .+|left|created (?:this )?group.*|changed (?:their phone number|the subject|"
    r"this group's (?:icon|settings)|the group description).*)$", re.S)
_DELETED = ("This message was deleted", "This message was deleted by admin",
            "You deleted this message", "此消息已删除", "你删除了此消息", "该消息已被删除")
_WAITING = ("Waiting for this message", "正在等待此消息")
_MEDIA = re.compile(
    r"^(?:<Media omitted>|<附件：.{0,300}>|<attached: .{0,300}>|媒体文件已省略|<媒体文件已忽略>|"
    r"(?:image|video|audio|sticker|GIF|document|Contact card|contact card) omitted|"
    r".{0,300} \(file attached\)|.{0,300} document omitted)$")


_MARKED = re.compile("[" + "".join(map(chr, _CLEAN)) + "]")


def _clean(line: str) -> str:
    # translate() walks every character through a dict: only lines with a mark pay for it
    return line.translate(_CLEAN) if _MARKED.search(line) else line


def _header(line: str) -> re.Match[str] | None:
    return IOS.match(line) or ANDROID.match(line)


def matches(line: str) -> bool:
    return _header(_clean(line)) is not None


_PHONE_PUNCTUATION = re.compile(r"[\s\-()]")
_PHONE = re.compile(r"\+?\d{6,}")


@lru_cache(maxsize=4096)  # a chat has a few hundred senders, each named on every message
def _user(name: str) -> UserRef:
    name = checked_name(name.strip().lstrip("~").strip())
    digits = _PHONE_PUNCTUATION.sub("", name)
    user_id = digits if _PHONE.fullmatch(digits) else f"name:{name}"
    return UserRef(PLATFORM, user_id, name)


def _segments(rest: str) -> list[str]:
    """`A: B: text` → ["A", "B", "text"], looking for `: ` only where a name can be: in the
    header's own line (a system line's next lines are not its author: "Carol left", then
    "some text: more" is no member called "Carol left⏎some text"; issue 12 walk14)."""
    line_end = rest.find("\n")
    limit = NAME_LIMIT + 2 if line_end < 0 else min(NAME_LIMIT + 2, line_end)
    head, sep, tail = rest[:limit].rpartition(": ")
    if not sep:
        return [rest]
    parts = head.split(": ")
    return [*parts, tail + rest[limit:]]


class _Scan:
    """The first pass: the day/month order, and sender names that contain `: `."""

    def __init__(self, path: Path, encoding: str) -> None:
        self.day_first: bool | None = None
        self._prefix: dict[str, list[str]] = {}  # first segment → shared name segments
        self._count: dict[str, int] = {}
        # Names that system lines give whole ("Team: Alpha joined…", "X added Team: Alpha"):
        # what tells a one-message `Team: Alpha: hi` from `Team` saying `Alpha: hi`.
        self.system_names: set[str] = set()
        self.system_lines: set[int] = set()  # Android system lines that look authored
        candidates: list[tuple[int, str, set[str]]] = []
        for _n, raw in read_lines(path, encoding, [0]):
            match = _header(_clean(raw))
            if match is None:
                continue
            if self.day_first is None and len(match["a"]) < 3:
                if int(match["a"]) > 12:
                    self.day_first = True
                elif int(match["b"]) > 12:
                    self.day_first = False
            rest = match["rest"]
            if ": \u200e" in raw:  # iOS: "Group name: ‎Team: Alpha joined…", certain
                if _system_names(rest.split(": ", 1)[1], self.system_names):
                    continue
            elif ": " in rest[: NAME_LIMIT + 2]:
                names: set[str] = set()
                if _system_names(rest, names) and any(": " in name for name in names):
                    candidates.append((_n, rest, names))
                    continue
            self._add(_segments(rest))
        for number, rest, names in candidates:
            # Android "Team: Alpha joined…" (no author) or `Team` saying "Alpha joined…":
            # a system line unless `Team` posts under a name that is not one of these.
            shared = ": ".join(self._prefix.get(rest.split(": ", 1)[0], ()))
            if not shared or any(shared == n or shared.startswith(n + ": ") for n in names):
                self.system_names |= names
                self.system_lines.add(number)
            else:
                self._add(_segments(rest))

    def _add(self, parts: list[str]) -> None:
        if len(parts) < 2:
            return
        key, named = parts[0], parts[:-1]
        shared = self._prefix.get(key)
        if shared is None:
            self._prefix[key] = named
        else:
            n = 0
            while n < min(len(shared), len(named)) and shared[n] == named[n]:
                n += 1
            del shared[n:]
        self._count[key] = self._count.get(key, 0) + 1

    def author(self, rest: str) -> tuple[str, str] | None:
        """(name, text) of `Name: text`, or None when the line has no `: ` author;
        `ambiguous` is then the other reading of the name, if the line has one."""
        self.ambiguous: str | None = None
        parts = _segments(rest)
        if len(parts) < 2:
            return None
        shared = self._prefix.get(parts[0], parts[:1])
        if self._count.get(parts[0], 0) < 2 or len(shared) < 2:
            shared = parts[:1]
            if len(parts) > 2:  # `A: B: text`: the name may be `A` or `A: B`
                for n in range(len(parts) - 1, 1, -1):
                    if ": ".join(parts[:n]) in self.system_names:
                        shared = parts[:n]
                        break
                else:
                    if self._count.get(parts[0], 0) < 2:
                        self.ambiguous = ": ".join(parts[:2])
        name = ": ".join(shared)
        return name, rest[len(name) + 2:]


class _Lines:
    """Groups physical lines into (first line number, header match, full text)."""

    def __init__(self, path: Path, encoding: str, position: list[int], stats: ImportStats
                 ) -> None:
        self.path, self.encoding, self.position, self.stats = path, encoding, position, stats

    def entries(self) -> Iterator[tuple[int, re.Match[str], str, bool]]:
        """(line number, header, text, marked): `marked` is iOS's left-to-right mark right
        after `Name: `, which it puts before system sentences and "omitted" media."""
        current: tuple[int, re.Match[str], list[str], bool] | None = None
        skipping = False  # inside the lines of a header-like line that was skipped
        for number, raw in read_lines(self.path, self.encoding, self.position):
            line = _clean(raw)
            match = _header(line)
            if match:
                if current:
                    yield current[0], current[1], "\n".join(current[2]), current[3]
                current, skipping = (number, match, [match["rest"]], ": \u200e" in raw), False
            elif _HEADERISH.match(line):
                if current:
                    yield current[0], current[1], "\n".join(current[2]), current[3]
                current, skipping = None, True
                self.stats.skip(number, "像消息开头但日期/时间格式不认识 / looks like a message "
                                "header in no known layout")
            elif current is not None:
                current[2].append(line)  # continuation of a multi-line message
            elif skipping:
                if line.strip():
                    self.stats.skip(number, PART_OF_SKIPPED)
            elif line.strip():
                self.stats.skip(number, "文件开头的行不是消息 / line before the first message")
        if current:
            yield current[0], current[1], "\n".join(current[2]), current[3]


def _when(m: re.Match[str], day_first: bool, tz: ZoneInfo) -> datetime:
    a, b, c = int(m["a"]), int(m["b"]), int(m["c"])
    if len(m["a"]) >= 3:  # y-m-d
        year, month, day = a, b, c
    else:
        year = c
        day, month = (a, b) if day_first else (b, a)
    year += 2000 if year < 100 else 0
    hour = int(m["h"])
    if m["ampm"]:
        pm = m["ampm"].lower().startswith("p")
        hour = hour % 12 + (12 if pm else 0)
    elif m["cn"] == "中午":  # around noon: 11:xx, 12:xx, then 1:xx is 13:xx
        hour = hour if hour >= 11 else hour + 12
    elif m["cn"]:
        hour = hour % 12 + (12 if m["cn"] in ("下午", "晚上", "오후") else 0)
    naive = datetime(year, month, day, hour, int(m["mi"]), int(m["s"] or 0))
    return local_to_utc(naive, tz)


def open_whatsapp(path: Path, encoding: str = "utf-8-sig", *, tz: ZoneInfo = DEFAULT_TZ
                  ) -> ParsedExport:
    stats = ImportStats()
    position = [0]
    title = chat_title(path)
    chat_id = stable_id("whatsapp", title)
    group = GroupRef(PLATFORM, chat_id, title)
    source = f"import:whatsapp:{chat_id}"

    def events() -> Iterator[Event]:
        scan = _Scan(path, encoding)
        day_first = True if scan.day_first is None else scan.day_first
        ids = OccurrenceCounter()
        found_any = False
        for number, match, rest, marked in _Lines(path, encoding, position, stats).entries():
            try:
                at = _when(match, day_first, tz)
            except DateOutOfRange:
                stats.skip(number, OUT_OF_RANGE)
                continue
            except ValueError:
                stats.skip(number, "日期无效 / invalid date")
                continue
            found_any = True
            stamp = at.isoformat()
            author = None if number in scan.system_lines else scan.author(rest)
            if author and marked and _is_system(author[1]):
                # iOS: "Group name: ‎X joined using this group's invite link".
                rest = author[1]
                author = None
            if author and not _SYSTEM_HEAD.match(author[0]):
                if len(author[0]) > ID_LIMIT:
                    stats.skip(number, NAME_TOO_LONG)
                    continue
                if scan.ambiguous is not None:
                    stats.ambiguous_author(number, author[0], scan.ambiguous)
                yield from _message(author[0], author[1], at, ids.id_for(
                    stamp, _user(author[0]).user_id, author[1]), source, group, stats)
                continue
            try:  # whole, or not at all: a long name may come after a first join
                produced = list(_system(rest, at, ids.id_for(stamp, "system", rest), source,
                                        group, stats, number))
            except NameTooLong:
                stats.skip(number, NAME_TOO_LONG)
                continue
            yield from produced
            # A system sentence is one line: what follows it (no phone writes any) is
            # counted as skipped, line by line, never dropped unsaid (issue 12 walk14).
            for offset, extra in enumerate(rest.split("\n")[1:], start=1):
                if extra.strip():
                    stats.skip(number + offset, AFTER_SYSTEM_LINE)
        if not found_any:
            raise ImportFormatError(str(path), "没有一行符合 WhatsApp 格式 / no WhatsApp lines")

    return ParsedExport(str(path), "whatsapp", group, batched(events()), stats,
                        size=path.stat().st_size, position=position)


def _message(name: str, text: str, at: datetime, event_id: str, source: str, group: GroupRef,
             stats: ImportStats) -> Iterator[Event]:
    # A deleted account's placeholder names no one: an unknown author per message (the
    # export has no id to tell two deleted accounts apart, and no reason to merge them).
    actor = (deleted_account(PLATFORM, f"deleted:{event_id}", name, stats)
             if is_deleted_name(name.strip().lstrip("~")) else _user(name))
    stats.members.add(actor.user_id)
    base: dict[str, Any] = {"source": source, "group": group, "at": at, "actor": actor}
    placeholder = text.strip().rstrip(".。")
    stats.messages += 1
    if placeholder in _DELETED or placeholder.startswith("This message was deleted by "):
        yield MessagePosted(**base, source_event_id=event_id, text="", media="deleted")
        stats.recalls += 1
        yield MessageRecalled(**base, source_event_id=f"{event_id}:deleted",
                              target_event_id=event_id)
        return
    if placeholder.startswith(_WAITING):
        yield MessagePosted(**base, source_event_id=event_id, text="", media="pending")
        return
    media = "media" if _MEDIA.match(text.strip()) else None
    yield MessagePosted(**base, source_event_id=event_id, text="" if media else text,
                        media=media)


def chat_title(path: Path) -> str:
    """The chat's name from the export's file name, the same for a later export of it:
    "WhatsApp Chat with Book Club (1).txt" → "Book Club"."""
    stem = re.sub(r"\s*\(\d+\)$", "", path.stem)
    stem = re.sub(r"^(?:WhatsApp Chat (?:with |- )|与|和)", "", stem).strip()
    return stem or path.stem


def _is_system(text: str) -> bool:
    return any(p.match(text) for p, _ in _SYSTEM)


def _system_names(rest: str, into: set[str]) -> bool:
    """Add the member names a system line gives (its whole first line read as one); False
    when it is not a system sentence."""
    first = rest.split("\n", 1)[0]
    for pattern, kind in _SYSTEM:
        m = pattern.match(first)
        if not m:
            continue
        found = {k: v for k, v in m.groupdict().items() if v}
        if kind == "added":
            into.update(n.strip() for n in _NAME_LIST.split(found.pop("m")))
        into.update(v.strip() for v in found.values())
        return True
    return False


def _system(rest: str, at: datetime, event_id: str, source: str, group: GroupRef,
            stats: ImportStats, number: int) -> Iterator[Event]:
    first = rest.split("\n", 1)[0]  # a system sentence is one line
    for pattern, kind in _SYSTEM:
        m = pattern.match(first)
        if not m:
            continue
        base: dict[str, Any] = {"source": source, "group": group, "at": at}
        if kind == "join_link":
            stats.joins += 1
            yield MemberJoined(**base, source_event_id=event_id, member=_user(m["m"]), via="link")
        elif kind == "added":
            inviter = _user(m["a"])
            added = [_user(name) for name in _NAME_LIST.split(m["m"])]
            for n, member in enumerate(added):
                stats.joins += 1
                yield MemberJoined(**base, source_event_id=f"{event_id}:{n}", member=member,
                                   inviter=inviter, via="invite")
        elif kind == "removed":
            stats.leaves += 1
            yield MemberLeft(**base, source_event_id=event_id, member=_user(m["m"]),
                             removed_by=_user(m["a"]))
        elif kind == "left":
            stats.leaves += 1
            yield MemberLeft(**base, source_event_id=event_id, member=_user(m["m"]))
        else:
            stats.service += 1
        return
    stats.skip(number, "无法识别的系统消息 / unknown system line")
