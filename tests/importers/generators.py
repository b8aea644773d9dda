"""Synthetic exports, one per header variant, from small generators with a fixed seed.

Never real chats. Each generator returns the file's bytes and what an exact importer must
read from it (`Expected`): how many messages, their times, who sent them, how many lines
are skipped. The tests compare that with what lands in the database (I2).
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson

START = datetime(2024, 3, 25, 9, 0, 5)  # a day > 12 first: the day/month order is settled
CN_LINE_ENDS = ("\r\n", "\n")
_SHANGHAI = ZoneInfo("Asia/Shanghai")  # the importers' default --tz


@dataclass
class Expected:
    messages: int = 0
    skipped: int = 0
    recalls: int = 0
    times_ms: list[int] = field(default_factory=list)  # every message's time, UTC ms
    senders: dict[str, int] = field(default_factory=dict)  # display name → messages
    texts: list[str] = field(default_factory=list)  # every text message's text

    def message(self, at_utc: datetime, name: str, text: str | None) -> None:
        self.messages += 1
        self.times_ms.append(int(at_utc.timestamp() * 1000))
        self.senders[name] = self.senders.get(name, 0) + 1
        if text is not None:
            self.texts.append(text)


def _times(rng: random.Random, n: int, *, seconds: bool = True) -> list[datetime]:
    at, out = START, []
    for _ in range(n):
        at += timedelta(minutes=rng.randint(1, 600), seconds=rng.randint(0, 59) if seconds else 0)
        out.append(at if seconds else at.replace(second=0))
    return out


def _body(rng: random.Random, i: int) -> str:
    parts = [f"第{i}条：", rng.choice(["你好", "hello, world", "a: b", "价格(元)：12", "[图] 看看"])]
    text = "".join(parts)
    if rng.random() < 0.3:
        text += "\n" + rng.choice(["第二行", "  缩进的第二行", "http://x.y/z?a=1"])
    return text


# --- QQ -----------------------------------------------------------------------------------

QQ_SENDERS = (  # (nickname, id as written, expected display name)
    ("老张", "(10001)", "老张"),
    ("", "(20002)", None),  # empty nickname
    ("30003", "(30003)", "30003"),  # nickname equal to the number
    ("【管理员】小明", "(40004)", "【管理员】小明"),
    ("阿花(北京)", "(50005)", "阿花(北京)"),
    ("时间: 12:00", "(60006)", "时间: 12:00"),
    ("mail用户", "<someone@example.com>", "mail用户"),
    ("手机用户", "<13800138000>", "手机用户"),  # an id in brackets that is no e-mail
    ("a<b>c", "(70007)", "a<b>c"),
)


def qq(seed: int = 12, n: int = 60, broken: int = 3, bad_dates: int = 0
       ) -> tuple[bytes, Expected]:
    """A QQ message-manager export with every sender form, mixed CRLF/LF line ends,
    `broken` header-like lines in no known layout and `bad_dates` headers with a good
    sender but a bad date (half impossible values, half another layout): each must be
    skipped with its message's lines, under its own reason, never folded."""
    rng = random.Random(seed)
    exp = Expected()
    out = ["\ufeff消息记录（此消息记录为文本格式，不支持重新导入）", "", "=" * 64,
           "消息对象:生成的群", "=" * 64, ""]
    picked = rng.sample(range(5, n), broken + bad_dates)
    broken_at, dated_at = set(picked[:broken]), picked[broken:]
    for i, at in enumerate(_times(rng, n)):
        stamp = f"{at:%Y-%m-%d} {at.hour}:{at:%M:%S}"
        if i in broken_at:
            out += [f"{stamp} 没有号码的人", "这一条没有发送者 id", ""]
            exp.skipped += 2  # the header-like line, and its message's line
            continue
        nick, ident, shown = QQ_SENDERS[i % len(QQ_SENDERS)]
        if i in dated_at:
            bad = (f"{at.year}-02-30 {at.hour}:{at:%M:%S}" if dated_at.index(i) % 2 == 0
                   else f"{at:%Y/%m/%d} {at.hour}:{at:%M}")
            out += [f"{bad} {nick}{ident}", "日期坏了的这一条", ""]
            exp.skipped += 2
            continue
        text = _body(rng, i)
        out += [f"{stamp} {nick}{ident}", *text.split("\n"), ""]
        exp.message(at.replace(tzinfo=_SHANGHAI).astimezone(UTC), shown or "", text)
    data = "".join(line + rng.choice(CN_LINE_ENDS) for line in out)
    return data.encode(), exp


# --- WhatsApp -----------------------------------------------------------------------------


def _hm(t: datetime) -> str:
    """The 12-hour clock's `2:05`."""
    return f"{t.hour % 12 or 12}:{t:%M}"


def _ap(t: datetime, am: str = "AM", pm: str = "PM") -> str:
    return am if t.hour < 12 else pm


# What WhatsApp writes before `Name: text`, per platform and phone locale: iOS brackets the
# date and time, Android ends them with ` - `. Each one seen in real exports (other parsers'
# bug reports and fixtures; no real chat is kept here).
WA_LAYOUTS: dict[str, Callable[[datetime], str]] = {
    "ios-dmy-24h-seconds": lambda t: f"[{t:%d/%m/%Y}, {t:%H:%M:%S}] ",
    "ios-dmy-24h-no-seconds": lambda t: f"[{t:%d/%m/%Y}, {t:%H:%M}] ",
    "ios-mdy-12h-seconds": lambda t: f"[{t.month}/{t.day}/{t:%y}, {_hm(t)}:{t:%S} {_ap(t)}] ",
    "ios-mdy-12h-nnbsp-seconds": lambda t: f"[{t.month}/{t.day}/{t:%y}, {_hm(t)}:{t:%S}"
                                           f"\u202f{_ap(t)}] ",  # iOS 17 and later
    "ios-dmy-12h-lowercase-seconds": lambda t: f"[{t.day}/{t.month}/{t:%Y}, {_hm(t)}:{t:%S}"
                                               f"\u202f{_ap(t, 'am', 'pm')}] ",  # en-AU
    "ios-dotted-no-comma-seconds": lambda t: f"[{t:%d.%m.%y} {t:%H:%M:%S}] ",  # de
    "ios-finnish-dotted-time-seconds": lambda t: f"[{t.day}.{t.month}.{t:%Y}, "
                                                 f"{t:%H.%M.%S}] ",  # fi
    "ios-ymd-slashes-seconds": lambda t: f"[{t:%Y/%m/%d} {t:%H:%M:%S}] ",  # ja
    "android-dmy-24h": lambda t: f"{t:%d/%m/%Y}, {t:%H:%M} - ",
    "android-dmy-24h-seconds": lambda t: f"{t:%d/%m/%Y}, {t:%H:%M:%S} - ",
    "android-mdy-12h-nnbsp": lambda t: f"{t.month}/{t.day}/{t:%y}, {_hm(t)}\u202f{_ap(t)} - ",
    "android-dmy-12h-lowercase": lambda t: f"{t:%d/%m/%y}, {_hm(t)} {_ap(t, 'am', 'pm')} - ",
    "android-ymd-no-comma": lambda t: f"{t:%Y-%m-%d} {t:%H:%M} - ",  # sv
    "android-ymd-comma-a.m.": lambda t: f"{t:%Y-%m-%d}, {_hm(t)} "
                                        f"{_ap(t, 'a.m.', 'p.m.')} - ",  # en-CA
    "android-ymd-slashes-lowercase": lambda t: f"{t:%Y/%m/%d}, {_hm(t)} "
                                               f"{_ap(t, 'am', 'pm')} - ",  # en-ZA
    "android-dashed-dmy": lambda t: f"{t:%d-%m-%Y} {t:%H:%M} - ",  # nl
    "android-dotted-dmy": lambda t: f"{t:%d.%m.%y}, {t:%H:%M} - ",  # de, ru
    "android-spanish-p.m.": lambda t: f"{t.day}/{t.month}/{t:%y}, {_hm(t)} "
                                      f"{_ap(t, 'a. m.', 'p. m.')} - ",
    "android-french-a": lambda t: f"{t:%d/%m/%Y} à {t:%H:%M} - ",
    "android-finnish-klo": lambda t: f"{t.day}.{t.month}.{t:%Y} klo {t:%H.%M} - ",
    "android-indonesian-dotted-time": lambda t: f"{t:%d/%m/%y} {t:%H.%M} - ",
    "android-hungarian-spaced-dots": lambda t: f"{t:%Y. %m. %d.} {t:%H:%M} - ",
    "android-korean": lambda t: f"{t.year}. {t.month}. {t.day}. {_ap(t, '오전', '오후')} "
                                f"{_hm(t)} - ",
    "android-chinese": lambda t: f"{t:%Y/%m/%d} {_ap(t, '上午', '下午')}{_hm(t)} - ",
}


def _broken(head: str) -> str:
    """The layout's own header, broken so that it fits no variant: iOS without its `]`,
    Android with `~` for its `-`. It still starts like a header."""
    return head.replace("] ", " ", 1) if head.startswith("[") else head[:-3] + " ~ "


WA_SENDERS = (  # (as written, expected display name)
    ("Ann :)", "Ann :)"),
    ("Team: Alpha", "Team: Alpha"),
    ("~\u202fBob", "Bob"),
    ("+86 138 0013 8000", "+86 138 0013 8000"),
    ("王\u200e姐", "王姐"),  # a mark inside the name
    ("Dr. Who", "Dr. Who"),
)
WA_PLACEHOLDERS = ("\u200eimage omitted", "<Media omitted>", "\u200eThis message was deleted.",
                   "This message was deleted by admin", "You deleted this message",
                   "Waiting for this message. This may take a while.")


def whatsapp(layout: str, seed: int = 12, n: int = 60, broken: int = 4) -> tuple[bytes, Expected]:
    """A WhatsApp export in one date layout, every awkward sender name, U+200E marks,
    media and deleted placeholders, and `broken` header-like lines in no known layout
    (half of them in the file's own layout, each of those with a second line): each is a
    skipped line, with its lines, never folded into the message before it."""
    rng = random.Random(seed)
    exp = Expected()
    head = WA_LAYOUTS[layout]
    seconds = "seconds" in layout and "no-seconds" not in layout
    out = []
    broken_at = sorted(rng.sample(range(5, n), broken))
    for i, at in enumerate(_times(rng, n, seconds=seconds)):
        written, shown = WA_SENDERS[i % len(WA_SENDERS)]
        if i in broken_at:
            if broken_at.index(i) % 2:
                out.append(f"{at:%d/%m/%Y}, {at:%H:%M} ~ malformed: header")  # no " - "
                exp.skipped += 1
            else:
                out += [f"{_broken(head(at))}{written}: 坏了的开头 {i}", f"坏行的第二行 {i}"]
                exp.skipped += 2
            continue
        if i % 7 == 3:
            text = WA_PLACEHOLDERS[(i // 7) % len(WA_PLACEHOLDERS)]
            exp.message(at.replace(tzinfo=_SHANGHAI).astimezone(UTC), shown, None)
            exp.recalls += "deleted" in text
        else:
            text = _body(rng, i)
            exp.message(at.replace(tzinfo=_SHANGHAI).astimezone(UTC), shown, text)
        mark = "\u200e" if rng.random() < 0.3 else ""
        out.append(f"{mark}{head(at)}{written}: {text}")
    return ("\n".join(out) + "\n").encode(), exp


# --- WeChat CSV ---------------------------------------------------------------------------

WECHATMSG_HEAD = ["localId", "TalkerId", "Type", "SubType", "IsSender", "CreateTime", "Status",
                  "StrContent", "StrTime", "Remark", "NickName", "Sender"]
PYWXDUMP_HEAD = ["id", "MsgSvrID", "type_name", "is_sender", "talker", "room_name", "msg",
                 "src", "CreateTime"]
WECHAT_TIMES: dict[str, Callable[[datetime], str]] = {
    "unix": lambda t: str(int(t.replace(tzinfo=_SHANGHAI).timestamp())),
    "iso-seconds": lambda t: f"{t:%Y-%m-%d %H:%M:%S}",
    "slashes-no-seconds": lambda t: f"{t.year}/{t.month}/{t.day} {t:%H:%M}",
}


def wechat(layout: str, times: str, *, group: bool, seed: int = 12, n: int = 40,
           long_field: bool = False, stray: int = 0) -> tuple[bytes, Expected]:
    """A WeChatMsg or PyWxDump CSV: own messages (is_sender = 1) among the partner's or
    members', multi-line and quoted texts, optionally a field longer than csv's limit, and
    `stray` rows with an unescaped `"` (a broken tool, a hand edit): every other one opens
    a quoted field that never closes (that row alone must be skipped, never the rows after
    it folded into it), the rest hold a literal `"` inside an unquoted field (read)."""
    rng = random.Random(seed)
    picked = random.Random(seed + 1).sample(range(1, n), stray)
    raw = {i: f'"没有闭合的引号 {i}' if k % 2 == 0 else f'他说"你好 {i}'
           for k, i in enumerate(picked)}
    exp = Expected()
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(WECHATMSG_HEAD if layout == "wechatmsg" else PYWXDUMP_HEAD)
    members = [("wxid_a", "阿强"), ("wxid_b", "小美")] if group else [("wxid_friend", "朋友")]
    chat = "123@chatroom" if group else "wxid_friend"
    stamp = WECHAT_TIMES[times]
    for i, at in enumerate(_times(rng, n, seconds=times != "slashes-no-seconds")):
        own = i % 3 == 0
        wxid, nick = ("", "我") if own else members[i % len(members)]
        text = _body(rng, i) + (' 他说"好的", 然后' if i % 5 == 0 else "")
        if long_field and i == 7:
            text = "长" * 140_000
        shown = "我" if own else nick if layout == "wechatmsg" else wxid  # PyWxDump: no nicknames
        if i in raw:
            text = f"@@stray{i}@@"  # written as is, after the csv module's quoting
            if raw[i].startswith('"'):
                exp.skipped += 1
            else:
                exp.message(at.replace(tzinfo=_SHANGHAI).astimezone(UTC), shown, raw[i])
        else:
            exp.message(at.replace(tzinfo=_SHANGHAI).astimezone(UTC), shown, text)
        if layout == "wechatmsg":
            out.writerow([i + 1, chat, 1, 0, int(own), stamp(at), 2, text,
                          f"{at:%Y-%m-%d %H:%M:%S}", "", nick, "" if own or not group else wxid])
        else:
            # PyWxDump names the talker; for one's own messages in a one-to-one chat it is
            # the partner, which must not be taken as the author.
            talker = chat if own and not group else (wxid or "wxid_me")
            out.writerow([i + 1, 900000 + i, "文本", int(own), talker, chat if group else "",
                          text, "", stamp(at)])
    data = buf.getvalue()
    for i, text in raw.items():
        data = data.replace(f"@@stray{i}@@", text)
    return data.encode("utf-8-sig"), exp


# --- Telegram -----------------------------------------------------------------------------


def telegram(variant: str, seed: int = 12, n: int = 40) -> tuple[bytes, Expected]:
    """`current` (date_unixtime, text_entities, "user…" ids), `old-desktop` (numeric
    from_id, no date_unixtime, no text_entities), `odd-ids` (an id of 0, missing ids; its
    `date_unixtime` is missing too, and its `date` has an explicit UTC offset)."""
    rng = random.Random(seed)
    exp = Expected()
    messages: list[dict[str, Any]] = []
    senders = [(0, "零号"), (1, "Alice"), (2, "Bob")]
    for i, at in enumerate(_times(rng, n)):
        uid, name = senders[i % len(senders)]
        text = _body(rng, i)
        date = (at.replace(tzinfo=UTC) if variant == "odd-ids" else at).isoformat()
        msg: dict[str, Any] = {"id": i, "type": "message", "date": date,
                               "from": name, "text": text}
        if variant == "current":
            msg |= {"from_id": f"user{uid}", "date_unixtime": str(int(at.replace(tzinfo=UTC).timestamp())),
                    "text_entities": [{"type": "plain", "text": text}]}
        else:
            msg["from_id"] = uid if variant == "old-desktop" else f"user{uid}"
        if variant == "odd-ids" and i % 4 == 1:
            del msg["id"]
        messages.append(msg)
        # Without date_unixtime, `date` is the exporter's local time, read in --tz.
        local = _SHANGHAI if variant == "old-desktop" else UTC
        exp.message(at.replace(tzinfo=local).astimezone(UTC), name, text)
    data = orjson.dumps({"name": "生成的群", "type": "private_supergroup", "id": 0,
                         "messages": messages})
    return data, exp



# Deleted accounts (issue 12): three accounts the exporter names by its placeholder, beside
# two members with names. Telegram and QQ give each deleted account its own id; WhatsApp
# gives none, so each of its placeholder messages is an author of its own.
DELETED_WRITTEN = {"telegram": "Deleted Account", "qq": "已注销", "whatsapp": "Deleted user"}


def deleted_accounts(fmt: str, seed: int = 12) -> tuple[bytes, int]:
    """(file bytes, how many distinct deleted accounts it holds) for `fmt`."""
    rng = random.Random(seed)
    placeholder = DELETED_WRITTEN[fmt]
    # (sender key, name): the deleted ones speak twice each (once in WhatsApp).
    people = [("1", "Alice"), ("2", "Bob")]
    gone = [(str(k), placeholder) for k in (91, 92, 93)]
    said = people + gone + (gone if fmt != "whatsapp" else []) + people
    times = _times(rng, len(said))
    if fmt == "telegram":
        messages: list[dict[str, Any]] = [
            {"id": i, "type": "message", "date": at.isoformat(),
             "date_unixtime": str(int(at.replace(tzinfo=UTC).timestamp())),
             "from": name, "from_id": f"user{key}", "text": _body(rng, i)}
            for i, ((key, name), at) in enumerate(zip(said, times, strict=True), start=1)]
        # Alice adds two deleted accounts (named by the placeholder only): two people.
        messages.append({"id": 100, "type": "service", "date": times[-1].isoformat(),
                         "date_unixtime": str(int(times[-1].replace(tzinfo=UTC).timestamp())),
                         "actor": "Alice", "actor_id": "user1", "action": "invite_members",
                         "members": [placeholder, placeholder]})
        return orjson.dumps({"name": "生成的群", "type": "private_supergroup", "id": 7,
                             "messages": messages}), 3 + 2
    if fmt == "qq":
        lines = ["消息对象:生成的群", ""]
        for i, ((key, name), at) in enumerate(zip(said, times, strict=True)):
            lines += [f"{at:%Y-%m-%d} {at.hour}:{at:%M:%S} {name}({int(key) + 10000})",
                      _body(rng, i), ""]
        return "\n".join(lines).encode(), 3
    lines = [f"[{at:%d/%m/%Y, %H:%M:%S}] {name}: {_body(rng, i)}"
             for i, ((_key, name), at) in enumerate(zip(said, times, strict=True))]
    return ("\n".join(lines) + "\n").encode(), 3
