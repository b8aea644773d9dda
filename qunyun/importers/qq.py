"""QQ message-manager .txt exports (I2): BOM, CRLF or LF (mixed too), UTF-8 or GBK, header
lines, then `YYYY-MM-DD H:MM:SS 昵称(QQ号)`, `昵称<email>` or `昵称<digits>` headers followed
by the message lines; the time may be 12-hour after 上午/下午 (some client versions write
it), the header indented or with several spaces between date and time. A header-like line
is skipped with its number and its message lines, never folded into the previous message,
under the reason that is its cause: a date that does not exist (`2024-02-30`) or is outside
1990–2099, a date or time in a layout the QQ client never writes (`2024/03/01 9:00
小明(20002)`, `晚上 9:00:00`), or a sender in no known form.

`系统消息(10000)` lines carry joins (`X加入本群`, `X邀请Y加入了本群`) and recalls. The QQ
number is the stable id; the same number with a new nickname is a nickname change.
Times are local (the tz parameter, default Asia/Shanghai).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from qunyun.domain.deleted_accounts import DELETED_NAME, is_deleted_name
from qunyun.domain.patterns import compile_pattern
from qunyun.event_batch import NAME_LIMIT, batched
from qunyun.events import (
    Event,
    GroupRef,
    MemberJoined,
    MemberLeft,
    MessagePosted,
    MessageRecalled,
    NicknameChanged,
    UserRef,
)
from qunyun.importers.base import (
    DEFAULT_TZ,
    NAME_TOO_LONG,
    OUT_OF_RANGE,
    PART_OF_SKIPPED,
    DateOutOfRange,
    ImportFormatError,
    ImportStats,
    Names,
    NameTooLong,
    OccurrenceCounter,
    ParsedExport,
    deleted_account,
    local_to_utc,
    stable_id,
)
from qunyun.importers.textfile import read_lines

PLATFORM = "qq"
# The sender as the QQ client writes it: a QQ number in parentheses, or an id in angle
# brackets (an e-mail address, or digits for accounts shown by phone-number-like ids).
# The nickname may be empty, equal to the number, or hold brackets, parentheses, colons.
# Some client versions write a 12-hour time after 上午/下午 (`2024-03-01 下午 9:05:00`);
# a header may stand indented or with a run of spaces between its date and time. Every
# space run is followed by something no space can be (上/下 or a digit), so the matching
# stays linear on a line of a megabyte of spaces.
_SPACE = r"[ \t\u3000]"
_CLOCK = (rf"(?P<date>\d{{4}}-\d{{1,2}}-\d{{1,2}}){_SPACE}+(?:(?P<half>上午|下午){_SPACE}*)?"
          r"(?P<time>\d{1,2}:\d{2}:\d{2})")
HEADER = re.compile(
    rf"^{_CLOCK}(?![.:\d]) ?"
    r"(?P<name>.*?)(?:\((?P<qq>\d{5,12})\)|<(?P<mail>[^<>\s]{1,200})>)$"
)
# Starts like a header (a date and a time), whatever follows: never a message's text.
_HEADERISH = re.compile(rf"^{_CLOCK}(?:\s|$)")
# Ends like a header (a sender id) and starts with a date and time in another layout
# (`2024/03/01 9:00 小明(20002)`, `2024-03-01 晚上 9:00:00 …`): a header whose date the
# QQ client never writes.
_OTHER_DATE = re.compile(
    r"^\d[\d\-/.年月日]{4,11}[\sT]*(?:(?:上午|下午|中午|早上|晚上|凌晨|AM|PM|am|pm)\s*)?"
    r"\d{1,2}[:.]\d{1,2}\S*\s.{0,200}?(?:\(\d{5,12}\)|<[^<>\s]{1,200}>)$")
SENDER_FORMAT = "像消息开头但发送者格式不认识 / looks like a message header in no known layout"
BAD_DATE = "日期或时间无效 / invalid date or time"
OTHER_DATE = ("日期或时间不是 QQ 消息记录的格式（应为 2024-03-01 9:00:01）/ date or time not in "
              "the QQ layout")
_OBJECT = re.compile(r"^消息对象[:：](?P<name>.+)$")
# Run on member text (system lines quote nicknames), so linear whatever the input (RE2).
_JOIN = compile_pattern(r"^(?P<m>.+?)加入本群")
_INVITE = compile_pattern(r"^(?P<a>.+?)邀请(?P<m>.+?)加入了?本群")
_LEAVE = compile_pattern(r"^(?P<m>.+?)(?:退出了?本群|已退出群聊)")
_KICK = compile_pattern(r"^(?P<m>.+?)被(?:管理员)?(?P<a>.*?)移出了?本群")
_RECALL = compile_pattern(r"^(?P<m>.+?)撤回了一条(?:成员)?消息")
SYSTEM_ID = "10000"


def matches(line: str) -> bool:
    return bool(HEADER.match(line.strip().lstrip("\ufeff")))


def open_qq(path: Path, encoding: str, *, tz: ZoneInfo = DEFAULT_TZ) -> ParsedExport:
    stats = ImportStats()
    position = [0]
    title = _title(path, encoding) or path.stem
    chat_id = stable_id("qq", title)
    group = GroupRef(PLATFORM, chat_id, title[:NAME_LIMIT])  # groups.name is VARCHAR(255)
    source = f"import:qq:{chat_id}"

    def blocks() -> Iterator[tuple[int, re.Match[str], datetime, str]]:
        current: tuple[int, re.Match[str], datetime, list[str]] | None = None
        skipping = False  # inside a header-like line that was skipped
        for number, raw in read_lines(path, encoding, position):
            line = raw.lstrip("\ufeff").rstrip()
            head = line.lstrip()  # an indented header is still a header, never text
            match = HEADER.match(head)
            reason = None
            if match:
                at = _time(match, tz)
                if isinstance(at, datetime):
                    if current:
                        yield current[0], current[1], current[2], "\n".join(current[3]).strip()
                    current, skipping = (number, match, at, []), False
                    continue
                reason = at
            elif dated := _HEADERISH.match(head):
                # The sender is in no known form; a bad date is said first, as the cause.
                at = _time(dated, tz)
                reason = at if isinstance(at, str) else SENDER_FORMAT
            elif _OTHER_DATE.match(head):
                reason = OTHER_DATE
            if reason is not None:
                if current:
                    yield current[0], current[1], current[2], "\n".join(current[3]).strip()
                current, skipping = None, True
                stats.skip(number, reason)
                continue
            if skipping:
                if line:
                    stats.skip(number, PART_OF_SKIPPED)
                continue
            if current is None:
                if line and not _OBJECT.match(line) and not line.startswith(
                        ("消息记录", "====", "消息分组", "----")):
                    stats.skip(number, "表头之后、第一条消息之前的未知行 / unknown header line")
                continue
            current[3].append(line)
        if current:
            yield current[0], current[1], current[2], "\n".join(current[3]).strip()

    def events() -> Iterator[Event]:
        ids = OccurrenceCounter()
        names: dict[str, str] = {}
        # System lines name people ("小明加入本群") before or after they speak: resolve the
        # names against every header of the file, not just the ones read so far.
        by_name = Names(PLATFORM, _known_names(path, encoding), stats)
        found = False
        for number, m, at, text in blocks():
            found = True
            user_id = _sender(m)
            name = m["name"].strip()
            event_id = ids.id_for(at.isoformat(), user_id, text)
            base: dict[str, Any] = {"source": source, "group": group, "at": at}
            if user_id == SYSTEM_ID:
                try:
                    produced = list(_system(text, base, event_id, by_name, stats, number))
                except NameTooLong:
                    stats.skip(number, NAME_TOO_LONG)
                    continue
                yield from produced
                continue
            if is_deleted_name(name):  # an unknown author, keyed by its number
                actor = deleted_account(PLATFORM, user_id, name, stats)
                name = DELETED_NAME
            else:
                actor = UserRef(PLATFORM, user_id, name or None)
            stats.members.add(user_id)
            previous = names.get(user_id)
            if previous is not None and previous != name and name != DELETED_NAME:
                stats.nickname_changes += 1
                yield NicknameChanged(**base, source_event_id=f"{event_id}:nick",
                                      member=actor, old=previous, new=name)
            names[user_id] = name
            media = "photo" if text in ("[图片]", "[表情]") else None
            stats.messages += 1
            yield MessagePosted(**base, source_event_id=event_id, actor=actor,
                                text="" if media else text, media=media)
        if not found:
            raise ImportFormatError(str(path), "没有一行符合 QQ 消息记录格式 / no QQ message lines")

    parsed = ParsedExport(str(path), "qq", group, batched(events()), stats,
                          size=path.stat().st_size, position=position)
    return parsed


def _time(m: re.Match[str], tz: ZoneInfo) -> datetime | str:
    """The header's time in UTC, or the reason it cannot be read."""
    try:
        # The regex fixed the shape; datetime() checks the values (strptime was a quarter
        # of the import's time).
        year, month, day = m["date"].split("-")
        hour, minute, second = (int(part) for part in m["time"].split(":"))
        if m["half"] is not None:  # 12-hour: 上午 12:xx is 00:xx, 下午 12:xx is 12:xx
            if hour > 12:
                return BAD_DATE
            hour = hour % 12 + (12 if m["half"] == "下午" else 0)
        naive = datetime(int(year), int(month), int(day), hour, minute, second)
        return local_to_utc(naive, tz)
    except DateOutOfRange:
        return OUT_OF_RANGE
    except ValueError:
        return BAD_DATE


def _title(path: Path, encoding: str) -> str | None:
    """The chat's name from the `消息对象:` header line, if the export has one."""
    for number, raw in read_lines(path, encoding, [0]):
        if number > 12:
            return None
        obj = _OBJECT.match(raw.lstrip("\ufeff").strip())
        if obj:
            return obj["name"].strip()
    return None


def _known_names(path: Path, encoding: str) -> dict[str, set[str]]:
    """Every (nickname → QQ numbers) pair in the file's message headers."""
    found: dict[str, set[str]] = {}
    for _number, raw in read_lines(path, encoding, [0]):
        m = HEADER.match(raw.lstrip("\ufeff").strip())
        if m and _sender(m) != SYSTEM_ID:
            found.setdefault(m["name"].strip(), set()).add(_sender(m))
    return found


def _sender(m: re.Match[str]) -> str:
    qq = m["qq"]
    return qq if qq is not None else str(m["mail"])


def _system(text: str, base: dict[str, Any], event_id: str, names: Names,
            stats: ImportStats, number: int) -> Iterator[Event]:
    text = text.split("\n", 1)[0]  # a system sentence is one line

    def ref(name: str, role: str) -> UserRef:
        return names.ref(name, f"{event_id}:{role}")

    if m := _INVITE.match(text):
        stats.joins += 1
        yield MemberJoined(**base, source_event_id=event_id, member=ref(m["m"], "m"),
                           inviter=ref(m["a"], "a"), via="invite")
    elif m := _JOIN.match(text):
        stats.joins += 1
        yield MemberJoined(**base, source_event_id=event_id, member=ref(m["m"], "m"))
    elif m := _KICK.match(text):
        stats.leaves += 1
        remover = ref(m["a"], "a") if m["a"] else None
        yield MemberLeft(**base, source_event_id=event_id, member=ref(m["m"], "m"),
                         removed_by=remover)
    elif m := _LEAVE.match(text):
        stats.leaves += 1
        yield MemberLeft(**base, source_event_id=event_id, member=ref(m["m"], "m"))
    elif m := _RECALL.match(text):
        stats.recalls += 1
        yield MessageRecalled(**base, source_event_id=event_id, actor=ref(m["m"], "m"))
    else:
        stats.service += 1
        stats.skip(number, "无法识别的系统消息 / unknown system message")
