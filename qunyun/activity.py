"""What the running bot just did, one Chinese line each, for the terminal `qunyun up` runs
in (issue 11 walk finding 71: while it ran the terminal said nothing, so a person watching
it could not tell the bot was doing anything).

The notable things only: a newcomer welcomed (or welcomed back), a warning, a removal, an
appeal received or answered, a member invited back, an alert to the admins, a DM that could
not be delivered, a plan saved in the console taken up (or refused). Everything else is in
the console's audit log, where each of these is too.

The lines go to the `qunyun.activity` logger; `qunyun up` prints them (`print_lines`)
unless `--quiet`, at most `BURST` lines a minute — a busy group does not scroll the
console's address and the passwords out of sight; what was left out is counted in the
next line that is printed.

One rule for what a line says (issue 11 walk13 #48, #49):
- **Times** are in the community's zone (the plan's `bot.timezone`, as the bot's messages
  and the console write them), and `qunyun up` says which zone once, above the lines.
- **Names**: a member is written as the bot's texts in the group write them — the name
  part of the plan's nickname pattern (`domain.patterns.name_part`, the helper
  `pipeline/addressing.py` uses), 「王五」 for 「王五-上海-财务」, whether the line comes from
  a warning, a DM or a removal. Each line about a member names them (an appeal: who).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from qunyun.domain.patterns import name_part
from qunyun.domain.zones import zone_words
from qunyun.effects import Alert, DirectMessage, Effect, Invite, Kick, Send, Warn
from qunyun.events import GroupRef, UserRef

LOG = logging.getLogger("qunyun.activity")
BURST = 12  # lines a minute at most
WINDOW_S = 60.0
_CODE = re.compile(r"^[A-Z]\d+\s+")  # a playbook ID before a reason ("E1 淘汰：…")


def _who(member: UserRef | None, pattern: str | None = None) -> str:
    """The member as the bot's group texts write them (the module's rule)."""
    if member is None:
        return "一位成员"
    name = member.display_name
    if not name:
        return member.user_id
    return (name_part(pattern, name) if pattern else None) or name


def _where(group: GroupRef) -> str:
    if group.kind == "direct":
        return "私聊"
    if group.kind == "admin":
        return "管理组"
    return f"「{group.name}」" if group.name else "群里"


def effect_line(effect: Effect, pattern: str | None = None) -> str | None:
    """The line for an effect the bot carried out, None for one that is not notable.
    `pattern`: the plan's nickname pattern, for writing names."""
    where = _where(effect.group)

    def who(member: UserRef | None) -> str:
        return _who(member, pattern)

    if isinstance(effect, Send) and effect.reason == "O1 welcome":
        names = "、".join(who(m) for m in effect.mentions) or "新成员"
        return f"欢迎新人：{names}（{where}）"
    if isinstance(effect, Send) and effect.reason == "O1 welcome back":
        return f"欢迎回来：{'、'.join(who(m) for m in effect.mentions)}（{where}）"
    if isinstance(effect, Warn):
        return f"警告：{who(effect.member)} 第 {effect.count}/{effect.limit} 次（{where}）"
    if isinstance(effect, Kick):
        why = _CODE.sub("", effect.reason).strip()
        return f"移出：{who(effect.member)}（{where}）" + (f"——{why}" if why else "")
    if isinstance(effect, Alert) and effect.reason == "R3 appeal alert":
        # The admins' alert names who appealed (the member's own receipt does not): one line.
        return f"收到申诉：{who(effect.member)}，在控制台「工作队列 → 申诉」处理"
    if isinstance(effect, DirectMessage) and effect.reason.startswith("R3 appeal "):
        result = "通过" if effect.reason == "R3 appeal approved" else "未通过"
        return f"申诉{result}：已私信告诉 {who(effect.member)}"
    if isinstance(effect, Invite):
        return f"已邀请 {who(effect.member)} 回到{where}"
    if isinstance(effect, Alert):
        first = effect.text.strip().splitlines()[0] if effect.text.strip() else ""
        return f"提醒管理员：{first[:80]}"
    return None


def effect_done(effect: Effect, pattern: str | None = None) -> None:
    """Note a delivered effect, if it is a notable one."""
    line = effect_line(effect, pattern)
    if line is not None:
        LOG.info(line)


def dm_undelivered(member: UserRef | None, why: str) -> None:
    LOG.info("私信没送达：%s（%s），已放进控制台「待发私信」", _who(member), why)


def note(line: str) -> None:
    """Anything else notable (a plan reload), in the words a person reads."""
    LOG.info(line)


class LinePrinter(logging.Handler):
    """Prints each activity line with its time in `zone` (the community's; the machine's
    when none is given), at most `burst` a `window_s`."""

    def __init__(self, write: Callable[[str], None], *, burst: int = BURST,
                 window_s: float = WINDOW_S, clock: Callable[[], float] = time.monotonic,
                 zone: str | None = None) -> None:
        super().__init__(logging.INFO)
        self.write, self.burst, self.window_s, self.clock = write, burst, window_s, clock
        self.zone = ZoneInfo(zone) if zone else None
        self.window_start = clock()
        self.printed = 0
        self.skipped = 0

    def emit(self, record: logging.LogRecord) -> None:
        now = self.clock()
        if now - self.window_start >= self.window_s:
            self.window_start, self.printed = now, 0
        if self.printed >= self.burst:
            self.skipped += 1
            return
        self.printed += 1
        line = record.getMessage()
        if self.skipped:
            line += f"（之前另有 {self.skipped} 件事没显示，见控制台审计日志）"
            self.skipped = 0
        stamp = datetime.fromtimestamp(record.created, self.zone).strftime("%H:%M:%S")
        try:
            self.write(f"{stamp} {line}")
        except Exception:  # a closed terminal must not stop the bot
            self.handleError(record)


def zone_heading(zone: str) -> str:
    """What the lines' times are, said once above them: 「时间为北京时间（UTC+8）」."""
    return f"时间为{zone_words(zone, datetime.now(ZoneInfo(zone)))}"


def print_lines(write: Callable[[str], None], zone: str | None = None) -> LinePrinter:
    """Print the activity lines with `write` from now on, times in `zone` (they no longer
    go to the log's other handlers, so a line is not shown twice)."""
    printer = LinePrinter(write, zone=zone)
    LOG.addHandler(printer)
    LOG.setLevel(logging.INFO)
    LOG.propagate = False
    return printer
