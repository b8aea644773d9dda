"""What `qunyun up` prints while it runs (issue 11 walk finding 71): one Chinese line per
notable thing, with the time, at most a dozen a minute — what was left out is counted in
the next line — and nothing for the bot's everyday chatter."""

from __future__ import annotations

import logging

from qunyun import activity
from qunyun.effects import Alert, DirectMessage, Kick, Reply, Send
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
