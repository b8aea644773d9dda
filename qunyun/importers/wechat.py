"""WeChat CSV from export tools (I2): WeChatMsg/留痕 and PyWxDump-style column layouts.

WeChatMsg: localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,
Remark,NickName,Sender (Type 1 text, 3 image, 34 voice, 43 video, 47 sticker, 49 link/file,
10000 system). PyWxDump: id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,
CreateTime. System lines carry joins and invites (`"X"邀请"Y"加入了群聊`,
`"Y"通过扫描"X"分享的二维码加入群聊`), recalls, and red packets (`X领取了Y的红包`): the
evidence for red-packet bots (R4). Names in system lines resolve to wxids where one
account has that name.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

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
    ImportFormatError,
    ImportStats,
    Names,
    OccurrenceCounter,
    ParsedExport,
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
_INVITE = re.compile(rf"^{_Q}(?P<a>[^\"“”]+?){_Q}邀请{_Q}(?P<m>.+?){_Q}加入了群聊")
_SCAN = re.compile(
    rf"^{_Q}(?P<m>[^\"“”]+?){_Q}通过扫描{_Q}(?P<a>[^\"“”]+?){_Q}分享的二维码加入群聊")
_RECALL = re.compile(rf"^{_Q}(?P<m>[^\"“”]+?){_Q}\s*撤回了一条消息")
_GRAB = re.compile(r"^(?P<m>.+?)领取了(?P<a>.+?)的红包")
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


def _time(value: str, tz: ZoneInfo) -> datetime:
    value = value.strip()
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    return local_to_utc(datetime.strptime(value, "%Y-%m-%d %H:%M:%S"), tz)


def open_wechat(path: Path, encoding: str, layout: str, *, tz: ZoneInfo = DEFAULT_TZ
                ) -> ParsedExport:
    stats = ImportStats()
    position = [0]
    chat_id = stable_id("wechat", path.stem)
    group = GroupRef(PLATFORM, chat_id, path.stem)
    source = f"import:wechat:{chat_id}"

    def rows(progress: list[int], report: bool = True
             ) -> Iterator[tuple[int, dict[str, str]]]:
        lines = read_lines(path, encoding, progress)
        # csv needs whole records (a message may span lines); feed it line by line.
        buffer = io.StringIO()
        reader_lines: list[tuple[int, str]] = []
        header: list[str] | None = None
        for number, line in lines:
            reader_lines.append((number, line))
            buffer.write(line + "\n")
            text = buffer.getvalue()
            try:
                parsed = list(csv.reader(io.StringIO(text)))
            except csv.Error:
                continue
            if not parsed or (text.count('"') % 2):  # inside a quoted field: keep reading
                continue
            record = parsed[0]
            first = reader_lines[0][0]
            buffer, reader_lines = io.StringIO(), []
            if header is None:
                header = [h.strip().lstrip("\ufeff") for h in record]
                continue
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
                sender, name = row.get("Sender") or row.get("TalkerId"), row.get("NickName")
            else:
                sender, name = row.get("talker"), row.get("talker")
            if sender and name and row.get("Type", row.get("type_name")) not in SYSTEM_TYPES:
                found.setdefault(name.strip(), set()).add(sender)
        return Names(PLATFORM, found, stats)

    def events() -> Iterator[Event]:
        ids = OccurrenceCounter()
        by_name = known_names()
        # WeChat shows no red-packet id: a grab belongs to the sender's latest [红包].
        last_packet: dict[str, str] = {}
        found = False
        for number, row in rows(position):
            try:
                if layout == "wechatmsg":
                    kind, text = row["Type"], row["StrContent"]
                    sender, name = row["Sender"] or row["TalkerId"], row["NickName"]
                    at = _time(row["CreateTime"] or row["StrTime"], tz)
                    msg_id = row["localId"]
                    system = kind == "10000"
                    media = _MEDIA.get(kind)
                else:
                    kind, text = row["type_name"], row["msg"]
                    sender, name = row["talker"], row["talker"]
                    at = _time(row["CreateTime"], tz)
                    msg_id = row["MsgSvrID"] or row["id"]
                    system = kind in ("系统通知", "系统消息")
                    media = _MEDIA_NAMES.get(kind)
            except (KeyError, ValueError) as exc:
                stats.skip(number, f"字段无效 / bad field: {exc}")
                continue
            found = True
            base: dict[str, Any] = {"source": source, "group": group, "at": at}
            event_id = msg_id or ids.id_for(at.isoformat(), sender, text)
            if system:
                yield from _system(text, base, event_id, by_name, stats, number, last_packet)
                continue
            if not sender:
                stats.skip(number, "没有发送者 / no sender")
                continue
            if "[红包]" in text and name:
                last_packet[name.strip()] = event_id
            actor = UserRef(PLATFORM, sender, name or None)
            stats.members.add(sender)
            stats.messages += 1
            yield MessagePosted(**base, source_event_id=event_id, actor=actor,
                                text="" if media and media != "link" else text, media=media)
        if not found:
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
        for n, name in enumerate(re.split(r"[、,，]", m["m"])):
            if name.strip().strip("\"“”"):
                stats.joins += 1
                yield MemberJoined(**base, source_event_id=f"{event_id}:{n}",
                                   member=by_name.ref(name), inviter=inviter, via="invite")
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
