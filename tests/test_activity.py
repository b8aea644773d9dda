"""What `qunyun up` prints while it runs (issue 11 walk finding 71): one Chinese line per
notable thing, with the time in the community's zone (said once, walk13 #48), at most a
dozen a minute — what was left out is counted in the next line — and nothing for the
bot's everyday chatter; every line names a member as the group texts do (walk13 #49)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from qunyun import activity
from qunyun.effects import Alert, DirectMessage, Kick, Reply, Send, Warn
from qunyun.events import GroupRef, UserRef

GROUP = GroupRef("matrix", "!g:localhost", "Python 数据分析进阶营")
DM = GroupRef("matrix", "!dm:localhost", None, "direct")
LISI = UserRef("matrix", "@lisi:localhost", "李四")


def test_notable_effects_read_as_sentences_and_chatter_is_left_out() -> None:
    assert activity.effect_line(Send(group=GROUP, text="@李四 欢迎加入…", mentions=(LISI,),
                                     reason="O1 welcome")) == "欢迎新人：李四（「Python 数据分析进阶营」）"
    assert activity.effect_line(Kick(group=GROUP, member=LISI, reason="E1 淘汰：30 天未发言")) \
        == "移出：李四（「Python 数据分析进阶营」）——淘汰：30 天未发言"
    assert activity.effect_line(DirectMessage(group=DM, member=LISI, text="你的申诉未通过…",
                                              reason="R3 appeal rejected")) \
        == "申诉未通过：已私信告诉 李四"
    alert = activity.effect_line(Alert(group=GROUP, text="【需要人工】李四 在群里@了管理员：…\n建议回复",
                                       reason="R5 admin mention"))
    assert alert == "提醒管理员：【需要人工】李四 在群里@了管理员：…"
    # A check-in answer, an FAQ reply: the everyday chatter is in the audit log only.
    assert activity.effect_line(Reply(group=GROUP, event_id="$1", text="@李四 打卡成功 ✓",
                                      reason="A3 checkin")) is None


def test_at_most_a_dozen_lines_a_minute_and_the_rest_counted() -> None:
    now = [0.0]
    lines: list[str] = []
    printer = activity.LinePrinter(lines.append, clock=lambda: now[0])
    log = logging.getLogger("qunyun.activity.test")
    log.addHandler(printer)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        for n in range(15):
            log.info("欢迎新人：成员%d", n)
        assert len(lines) == activity.BURST == 12
        now[0] = 61.0
        log.info("移出：李四")
    finally:
        log.removeHandler(printer)
    assert lines[-1].endswith("移出：李四（之前另有 3 件事没显示，见控制台审计日志）")
    assert lines[0][2] == ":" and lines[0][5] == ":"  # HH:MM:SS first


def test_up_can_be_quiet() -> None:
    from typer.testing import CliRunner

    from qunyun.cli import app

    result = CliRunner().invoke(app, ["up", "--help"], env={"COLUMNS": "200"})
    assert "--quiet" in result.output


PATTERN = r"(?P<name>[^-]+)-(?P<city>[^-]+)-(?P<job>[^-]+)"
WANGWU = UserRef("matrix", "@wangwu:localhost", "王五-上海-财务")


def test_a_member_is_named_one_way_and_an_appeal_names_who() -> None:
    # A warning's member comes already shortened by the bot's addressing pass, a DM's whole:
    # the terminal writes both as the group does.
    short = UserRef("matrix", "@wangwu:localhost", "王五")
    assert activity.effect_line(Warn(group=GROUP, member=short, count=1, limit=3, text="…",
                                     reason="刷屏"), PATTERN) \
        == "警告：王五 第 1/3 次（「Python 数据分析进阶营」）"
    assert activity.effect_line(DirectMessage(group=DM, member=WANGWU, text="你的申诉未通过…",
                                              reason="R3 appeal rejected"), PATTERN) \
        == "申诉未通过：已私信告诉 王五"
    # The receipt in the DM names nobody; the admins' alert does, and is the one line.
    assert activity.effect_line(Reply(group=DM, event_id="$2", text="申诉已提交 ✓ …",
                                      reason="R3 appeal"), PATTERN) is None
    assert activity.effect_line(Alert(group=GROUP, member=WANGWU, text="【申诉】王五-上海-财务 …",
                                      reason="R3 appeal alert"), PATTERN) \
        == "收到申诉：王五，在控制台「工作队列 → 申诉」处理"
    # A nickname out of the pattern's format is written as it is.
    assert activity.effect_line(Kick(group=GROUP, member=LISI, reason="R2 送机票"), PATTERN) \
        == "移出：李四（「Python 数据分析进阶营」）——送机票"


def test_times_are_in_the_communitys_zone_said_once() -> None:
    lines: list[str] = []
    printer = activity.LinePrinter(lines.append, zone="Asia/Shanghai")
    record = logging.LogRecord("qunyun.activity", logging.INFO, __file__, 1, "移出：李四", None,
                               None)
    record.created = datetime(2026, 12, 3, 14, 3, 24, tzinfo=UTC).timestamp()
    printer.emit(record)
    assert lines == ["22:03:24 移出：李四"]  # 北京时间, as the bot's DM and the console say
    assert activity.zone_heading("Asia/Shanghai") == "时间为北京时间（UTC+8）"
