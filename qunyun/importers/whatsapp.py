"""WhatsApp .txt exports (I2): iOS `[dd/mm/yyyy, HH:MM:SS] Name: text` and Android
`dd/mm/yyyy, HH:MM - Name: text`, 12 h or 24 h, multi-line messages, system lines.

WhatsApp has no message ids: each message gets a stable id from its time, author and
text plus an occurrence number, so a later export that overlaps an earlier one yields the
same ids for the same messages. Day/month order is decided per file from the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

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
    ImportFormatError,
    ImportStats,
    OccurrenceCounter,
    ParsedExport,
    local_to_utc,
    stable_id,
)
from qunyun.importers.textfile import read_lines

PLATFORM = "whatsapp"
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202c\ufeff"), None)
_DATE = r"(?P<d1>\d{1,2})[/.](?P<d2>\d{1,2})[/.](?P<y>\d{2,4}),?\s"
_TIME = (r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?"
         r"(?:[\s\u202f]?(?P<ampm>[aApP]\.?\s?[mM]\.?))?")
IOS = re.compile(r"^\[" + _DATE + _TIME + r"\]\s(?P<rest>.*)$")
ANDROID = re.compile(r"^" + _DATE + _TIME + r"\s[-–]\s(?P<rest>.*)$")
_AUTHOR = re.compile(r"^(?P<name>[^:]{1,100}?):\s(?P<text>.*)$", re.S)
_SYSTEM = (
    (re.compile(r"^(?P<m>.+?) joined using this group's invite link$"), "join_link"),
    (re.compile(r"^(?P<a>.+?) added (?P<m>.+)$"), "added"),
    (re.compile(r"^(?P<a>.+?) removed (?P<m>.+)$"), "removed"),
    (re.compile(r"^(?P<m>.+?) left$"), "left"),
    (re.compile(r"^(?P<m>.+?) created (?:this )?group"), "created"),
    (re.compile(r"^(?P<m>.+?) changed (?:their phone number|the subject|this group's icon)"),
     "info"),
    (re.compile(r"^(?:Messages and calls are end-to-end encrypted|消息和通话已进行端到端加密)"),
     "info"),
)
_DELETED = ("This message was deleted", "You deleted this message", "此消息已删除")
_MEDIA = ("<Media omitted>", "<附件：", "image omitted", "video omitted", "sticker omitted")


def matches(line: str) -> bool:
    line = line.translate(_INVISIBLE)
    return bool(IOS.match(line) or ANDROID.match(line))


def _user(name: str) -> UserRef:
    name = name.strip().lstrip("~").strip()
    digits = re.sub(r"[\s\-()]", "", name)
    user_id = digits if re.fullmatch(r"\+?\d{6,}", digits) else f"name:{name}"
    return UserRef(PLATFORM, user_id, name)


class _Lines:
    """Groups physical lines into (first line number, header match, full text)."""

    def __init__(self, path: Path, encoding: str, position: list[int], stats: ImportStats
                 ) -> None:
        self.path, self.encoding, self.position, self.stats = path, encoding, position, stats
        self.day_first: bool | None = None

    def entries(self) -> Iterator[tuple[int, re.Match[str], str, bool]]:
        """(line number, header, text, marked): `marked` is iOS's left-to-right mark right
        after `Name: `, which it puts before system sentences and "omitted" media."""
        current: tuple[int, re.Match[str], list[str], bool] | None = None
        for number, raw in read_lines(self.path, self.encoding, self.position):
            line = raw.translate(_INVISIBLE)
            match = IOS.match(line) or ANDROID.match(line)
            if match:
                if current:
                    yield current[0], current[1], "\n".join(current[2]), current[3]
                current = (number, match, [match["rest"]], ": \u200e" in raw)
            elif current is not None:
                current[2].append(line)  # continuation of a multi-line message
            elif line.strip():
                self.stats.skip(number, "文件开头的行不是消息 / line before the first message")
        if current:
            yield current[0], current[1], "\n".join(current[2]), current[3]


def _decide_day_first(path: Path, encoding: str) -> bool:
    """dd/mm unless some date only makes sense as mm/dd (first number > 12 settles it)."""
    position = [0]
    for _n, raw in read_lines(path, encoding, position):
        line = raw.translate(_INVISIBLE)
        match = IOS.match(line) or ANDROID.match(line)
        if match:
            if int(match["d1"]) > 12:
                return True
            if int(match["d2"]) > 12:
                return False
        if position[0] > 4 << 20:
            break
    return True


def _when(m: re.Match[str], day_first: bool, tz: ZoneInfo) -> datetime:
    d1, d2, year = int(m["d1"]), int(m["d2"]), int(m["y"])
    year += 2000 if year < 100 else 0
    day, month = (d1, d2) if day_first else (d2, d1)
    hour = int(m["h"])
    if m["ampm"]:
        pm = m["ampm"].lower().startswith("p")
        hour = hour % 12 + (12 if pm else 0)
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
    day_first = _decide_day_first(path, encoding)

    def events() -> Iterator[Event]:
        ids = OccurrenceCounter()
        found_any = False
        for number, match, rest, marked in _Lines(path, encoding, position, stats).entries():
            try:
                at = _when(match, day_first, tz)
            except ValueError:
                stats.skip(number, "日期无效 / invalid date")
                continue
            found_any = True
            stamp = at.isoformat()
            author = _AUTHOR.match(rest)
            if author and marked and _is_system(author["text"]):
                # iOS: "Group name: ‎X joined using this group's invite link".
                rest = author["text"]
                author = None
            if author and not _is_system(rest):
                actor = _user(author["name"])
                stats.members.add(actor.user_id)
                text = author["text"]
                event_id = ids.id_for(stamp, actor.user_id, text)
                if text.strip().rstrip(".。") in _DELETED:
                    stats.recalls += 1
                    yield MessageRecalled(source=source, source_event_id=event_id, group=group,
                                          at=at, actor=actor)
                    continue
                media = "media" if any(m in text for m in _MEDIA) else None
                stats.messages += 1
                yield MessagePosted(source=source, source_event_id=event_id, group=group, at=at,
                                    actor=actor, text="" if media else text, media=media)
                continue
            yield from _system(rest, at, ids.id_for(stamp, "system", rest), source, group, stats,
                               number)
        if not found_any:
            raise ImportFormatError(str(path), "没有一行符合 WhatsApp 格式 / no WhatsApp lines")

    return ParsedExport(str(path), "whatsapp", group, batched(events()), stats,
                        size=path.stat().st_size, position=position)


def chat_title(path: Path) -> str:
    """The chat's name from the export's file name, the same for a later export of it:
    "WhatsApp Chat with Book Club (1).txt" → "Book Club"."""
    stem = re.sub(r"\s*\(\d+\)$", "", path.stem)
    stem = re.sub(r"^(?:WhatsApp Chat (?:with |- )|与|和)", "", stem).strip()
    return stem or path.stem


def _is_system(rest: str) -> bool:
    """`Name: text` is a message, unless `Name` is itself a system sentence
    (`X changed the subject to "a: b"`)."""
    head = rest.split(": ", 1)[0]
    return any(p.match(head) for p, _ in _SYSTEM)


def _system(rest: str, at: datetime, event_id: str, source: str, group: GroupRef,
            stats: ImportStats, number: int) -> Iterator[Event]:
    for pattern, kind in _SYSTEM:
        m = pattern.match(rest)
        if not m:
            continue
        base: dict[str, Any] = {"source": source, "group": group, "at": at}
        if kind == "join_link":
            stats.joins += 1
            yield MemberJoined(**base, source_event_id=event_id, member=_user(m["m"]), via="link")
        elif kind == "added":
            for n, name in enumerate(re.split(r",\s*|\s+and\s+", m["m"])):
                stats.joins += 1
                yield MemberJoined(**base, source_event_id=f"{event_id}:{n}", member=_user(name),
                                   inviter=_user(m["a"]), via="invite")
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
