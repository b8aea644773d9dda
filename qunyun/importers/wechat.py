"""WeChat CSV from export tools (I2): WeChatMsg/留痕 and PyWxDump-style column layouts.

WeChatMsg: localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,
Remark,NickName,Sender (Type 1 text, 3 image, 34 voice, 43 video, 47 sticker, 49 link/file,
10000 system). PyWxDump: id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,
CreateTime. System lines carry joins and invites (`"X"邀请"Y"加入了群聊`,
`"Y"通过扫描"X"分享的二维码加入群聊`), recalls, and red packets (`X领取了Y的红包`): the
evidence for red-packet bots (R4). Names in system lines resolve to wxids where one
account has that name.

Times: Unix seconds (or ms), `2024-10-04 11:42:05`, and `2024/10/4 11:42` (a spreadsheet's
re-save). A row with `IsSender`/`is_sender` = 1 is the exporting account's (`self`): its
talker column names the chat or the partner, never the author. Records are split where
their quotes balance and each is parsed once (linear; fields of any length); a quote that
never closes — the file ends, or a row-shaped line comes first — skips its one line with
the reason, and the lines after it are read.
"""

from __future__ import annotations

import csv
import io
import re
from collections import deque
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from qunyun.domain.patterns import compile_pattern
from qunyun.event_batch import batched
from qunyun.events import (
    Event,
    GroupRef,
    MemberJoined,
    MessagePosted,
    MessageRecalled,
    RedPacketGrabbed,
    UserRef,
)
from qunyun.importers.base import (
    DEFAULT_TZ,
    ID_LIMIT,
    NAME_TOO_LONG,
    OUT_OF_RANGE,
    DateOutOfRange,
    ImportFormatError,
    ImportStats,
    Names,
    NameTooLong,
    OccurrenceCounter,
    ParsedExport,
    from_unix,
    local_to_utc,
    stable_id,
)
from qunyun.importers.textfile import read_lines

PLATFORM = "wechat"
WECHATMSG = ("localId", "TalkerId", "Type", "SubType", "IsSender", "CreateTime", "Status",
             "StrContent", "StrTime", "Remark", "NickName", "Sender")
PYWXDUMP = ("id", "MsgSvrID", "type_name", "is_sender", "talker", "room_name", "msg", "src",
            "CreateTime")
_Q = r"[\"“”]?"
# Run on member text (system lines quote nicknames), so linear whatever the input (RE2).
_INVITE = compile_pattern(rf"^{_Q}(?P<a>[^\"“”]+?){_Q}邀请{_Q}(?P<m>.+?){_Q}加入了群聊")
_SCAN = compile_pattern(
    rf"^{_Q}(?P<m>[^\"“”]+?){_Q}通过扫描{_Q}(?P<a>[^\"“”]+?){_Q}分享的二维码加入群聊")
_RECALL = compile_pattern(rf"^{_Q}(?P<m>[^\"“”]+?){_Q}\s*撤回了一条消息")
_GRAB = compile_pattern(r"^(?P<m>.+?)领取了(?P<a>.+?)的红包")
_MEDIA = {"3": "photo", "34": "voice", "43": "video", "47": "sticker", "49": "link"}
_MEDIA_NAMES = {"图片": "photo", "语音": "voice", "视频": "video", "动画表情": "sticker",
                "分享链接": "link", "文件": "file", "合并转发的聊天记录": "link"}


def header_kind(first_line: str) -> str | None:
    cols = tuple(c.strip().strip('"') for c in first_line.lstrip("\ufeff").split(","))
    if cols[: len(WECHATMSG)] == WECHATMSG:
        return "wechatmsg"
    if cols[: len(PYWXDUMP)] == PYWXDUMP:
        return "pywxdump"
    return None


# A message may be longer than the csv module's default field limit (131,072 characters);
# such a row must be read, not end the file. (Process-wide, and only ever raised.)
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")
SELF_ID = "self"  # the exporting account: its own rows name no sender (is_sender = 1)
UNBALANCED = "引号不成对，这一行不是完整的 CSV 记录 / unbalanced quote: not a whole CSV record"


class BadField(ValueError):
    """A row's field that cannot be read; str() names the field and its value."""

    def __init__(self, name: str, value: str, why: str) -> None:
        shown = value if len(value) <= 40 else value[:40] + "…"
        super().__init__(f"{name} = {shown!r}：{why}")
        self.reason = f"字段 {name} 无效 / bad field {name}: {why}"  # the same for every row


def _time(name: str, value: str, tz: ZoneInfo) -> datetime:
    """`1700000000` (Unix seconds; 13 digits are ms), `2024-10-04 11:42:05`, `2024/10/4 11:42`
    (what a spreadsheet writes back), local times in `tz`."""
    value = value.strip()
    try:
        if value.isdigit():
            seconds = int(value) / 1000 if len(value) == 13 else int(value)
            return from_unix(seconds)
        for layout in _TIME_FORMATS:
            try:
                return local_to_utc(datetime.strptime(value, layout), tz)
            except DateOutOfRange:
                raise
            except ValueError:
                continue
    except DateOutOfRange:
        raise BadField(name, value, OUT_OF_RANGE) from None
    raise BadField(name, value, "不是时间 / not a time")


def _field(row: dict[str, str], name: str) -> str:
    value = row.get(name)
    if value is None:
        raise BadField(name, "", "缺少这一列 / missing column")
    return value


def _records(lines: Iterator[tuple[int, str]], width: list[int]
             ) -> Iterator[tuple[int, list[str] | None]]:
    """(first line number, fields) per CSV record; fields None for a line whose stray `"`
    opens a record that never closes. A record ends where its quotes balance; each is
    parsed once, so a file is read in linear time. A quote that opened a record is a stray
    when the file ends, or a line shaped like a whole row comes, before it closes (a quoted
    field never holds a row: two strays would otherwise fold the rows between them into one
    message), or when the lines it spans are no one record of the header's width: that
    first line is reported, and the lines after it are read again as records of their own
    (each at most once more, so still linear). A line with an odd number of quotes that is
    a whole row by itself (a literal `"` inside an unquoted field) is read as one.
    `width[0]`: the header's column count once known."""
    again: deque[tuple[int, str]] = deque()
    pending: list[tuple[int, str]] = []
    odd = False
    while True:
        item = again.popleft() if again else next(lines, None)
        if pending and (item is None or _row_shaped(item[1], width[0])):
            yield pending[0][0], None
            if item is not None:
                again.appendleft(item)
            again.extendleft(reversed(pending[1:]))
            pending, odd = [], False
            continue
        if item is None:
            return
        odd_line = item[1].count('"') & 1 == 1
        if odd_line and not pending and width[0]:
            alone = _parse(item[1])
            if alone is not None and len(alone) == width[0]:
                yield item[0], alone
                continue
        pending.append(item)
        odd ^= odd_line
        if odd:
            continue
        fields = _parse("\n".join(line for _, line in pending))
        if len(pending) > 1 and (fields is None or (width[0] and len(fields) != width[0])):
            yield pending[0][0], None
            again.extendleft(reversed(pending[1:]))
        else:
            yield pending[0][0], fields if fields is not None else []
        pending = []


_ROW_START = re.compile(r"\d+,")


def _row_shaped(line: str, width: int) -> bool:
    """Starts like a row (its id, a comma) and has a row's commas: not a message's text."""
    return width > 0 and _ROW_START.match(line) is not None and line.count(",") >= width - 1


def _parse(text: str) -> list[str] | None:
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        return None
    if len(records) > 1:
        return None
    return records[0] if records else []


def open_wechat(path: Path, encoding: str, layout: str, *, tz: ZoneInfo = DEFAULT_TZ
                ) -> ParsedExport:
    stats = ImportStats()
    position = [0]
    chat_id = stable_id("wechat", path.stem)
    group = GroupRef(PLATFORM, chat_id, path.stem)
    source = f"import:wechat:{chat_id}"

    def rows(progress: list[int], report: bool = True
             ) -> Iterator[tuple[int, dict[str, str]]]:
        width = [0]
        header: list[str] | None = None
        for first, record in _records(read_lines(path, encoding, progress), width):
            if record is None:
                if report:
                    stats.skip(first, UNBALANCED)
                continue
            if header is None:
                header = [h.strip().lstrip("\ufeff") for h in record]
                width[0] = len(header)
                continue
            if not record or record == [""]:
                continue  # a blank line
            if len(record) != len(header):
                if report:
                    stats.skip(first,
                               f"列数 {len(record)} ≠ 表头 {len(header)} / wrong column count")
                continue
            yield first, dict(zip(header, record, strict=True))

    def known_names() -> Names:
        """Names in system lines ("小明"邀请"阿花"…) may come before those people speak:
        resolve them against every sender in the file."""
        found: dict[str, set[str]] = {}
        for _number, row in rows([0], report=False):
            if layout == "wechatmsg":
                own = row.get("IsSender", "").strip() == "1"
                sender = SELF_ID if own else (row.get("Sender") or row.get("TalkerId"))
                name = row.get("NickName")
            else:
                own = row.get("is_sender", "").strip() == "1"
                sender = SELF_ID if own else row.get("talker")
                name = row.get("talker")
            if sender and name and row.get("Type", row.get("type_name")) not in SYSTEM_TYPES:
                found.setdefault(name.strip(), set()).add(sender)
        found.setdefault("你", set()).add(SELF_ID)  # system lines call the exporter 你
        return Names(PLATFORM, found, stats)

    def events() -> Iterator[Event]:
        ids = OccurrenceCounter()
        by_name = known_names()
        # WeChat shows no red-packet id: a grab belongs to the sender's latest [红包].
        last_packet: dict[str, str] = {}
        found = False
        first_bad: tuple[int, str] | None = None
        for number, row in rows(position):
            try:
                if layout == "wechatmsg":
                    kind, text = _field(row, "Type"), _field(row, "StrContent")
                    own = _field(row, "IsSender").strip() == "1"
                    sender = _field(row, "Sender") or _field(row, "TalkerId")
                    name = _field(row, "NickName")
                    created = _field(row, "CreateTime")
                    at = _time("CreateTime", created, tz) if created.strip() else _time(
                        "StrTime", _field(row, "StrTime"), tz)
                    msg_id = _field(row, "localId")
                    system = kind == "10000"
                    media = _MEDIA.get(kind)
                else:
                    kind, text = _field(row, "type_name"), _field(row, "msg")
                    own = _field(row, "is_sender").strip() == "1"
                    sender = name = _field(row, "talker")
                    at = _time("CreateTime", _field(row, "CreateTime"), tz)
                    msg_id = _field(row, "MsgSvrID") or _field(row, "id")
                    system = kind in ("系统通知", "系统消息")
                    media = _MEDIA_NAMES.get(kind)
            except BadField as exc:
                stats.skip(number, exc.reason)
                first_bad = first_bad or (number, str(exc))
                continue
            found = True
            base: dict[str, Any] = {"source": source, "group": group, "at": at}
            event_id = msg_id or ids.id_for(at.isoformat(), sender, text)
            if system:
                try:
                    produced = list(_system(text, base, event_id, by_name, stats, number,
                                            last_packet))
                except NameTooLong:
                    stats.skip(number, NAME_TOO_LONG)
                    continue
                yield from produced
                continue
            if len(sender) > ID_LIMIT:
                stats.skip(number, NAME_TOO_LONG)
                continue
            if own:
                # The exporting account's own message: the row's talker/TalkerId is the chat
                # (or its partner), never the author.
                sender, name = SELF_ID, name if layout == "wechatmsg" else ""
            if not sender:
                stats.skip(number, "没有发送者 / no sender")
                continue
            if "[红包]" in text and name:
                last_packet[name.strip()] = event_id
            actor = UserRef(PLATFORM, sender, name or ("我" if own else None))
            stats.members.add(sender)
            stats.messages += 1
            yield MessagePosted(**base, source_event_id=event_id, actor=actor,
                                text="" if media and media != "link" else text, media=media)
        if not found:
            if first_bad is None and stats.skipped_examples:
                first_bad = stats.skipped_examples[0]
            if first_bad is not None:
                raise ImportFormatError(str(path), "没有一行能读取；第一处错误 / no row could be "
                                        f"read; the first: {first_bad[1]}", line=first_bad[0])
            raise ImportFormatError(str(path), "CSV 里没有消息行 / no message rows in the CSV")

    return ParsedExport(str(path), "wechat", group, batched(events()), stats,
                        size=path.stat().st_size, position=position)


SYSTEM_TYPES = ("10000", "系统通知", "系统消息")


def _system(text: str, base: dict[str, Any], event_id: str, by_name: Names,
            stats: ImportStats, number: int, last_packet: dict[str, str]) -> Iterator[Event]:
    text = text.strip()
    if m := _SCAN.match(text):
        stats.joins += 1
        yield MemberJoined(**base, source_event_id=event_id, member=by_name.ref(m["m"]),
                           inviter=by_name.ref(m["a"]), via="qr")
    elif m := _INVITE.match(text):
        inviter = by_name.ref(m["a"])
        invited = [(n, by_name.ref(name)) for n, name in enumerate(re.split(r"[、,，]", m["m"]))
                   if name.strip().strip("\"“”")]
        for n, member in invited:
            stats.joins += 1
            yield MemberJoined(**base, source_event_id=f"{event_id}:{n}", member=member,
                               inviter=inviter, via="invite")
    elif m := _RECALL.match(text):
        stats.recalls += 1
        yield MessageRecalled(**base, source_event_id=event_id, actor=by_name.ref(m["m"]))
    elif m := _GRAB.match(text):
        stats.red_packets += 1
        grabber = "你" if m["m"] == "你" else m["m"]
        yield RedPacketGrabbed(**base, source_event_id=event_id, actor=by_name.ref(grabber),
                               sender=by_name.ref(m["a"]),
                               packet_id=last_packet.get(m["a"].strip().strip("\"“”")))
    else:
        stats.service += 1
