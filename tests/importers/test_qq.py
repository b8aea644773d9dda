"""QQ message-manager .txt exports: BOM, CRLF, UTF-8 or GBK, headers, system lines (I2)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.importers.helpers import load, write

QQ = """\ufeff消息记录（此消息记录为文本格式，不支持重新导入）

================================================================
消息分组:我的QQ群
================================================================
消息对象:Python学习交流群
================================================================

2024-03-01 9:00:01 群主老张(10001)
欢迎大家！群规见公告。

2024-03-01 9:05:00 系统消息(10000)
小明加入本群。

2024-03-01 9:06:00 系统消息(10000)
群主老张邀请阿花加入了本群。

2024-03-01 9:10:12 小明(20002)
老师好，我是新来的
第二行内容

2024-03-01 10:10:12 小明-北京-学生(20002)
改了群名片再说一句 <script>alert(1)</script>

2024-03-01 10:11:00 系统消息(10000)
小明-北京-学生撤回了一条消息

2024-03-02 21:00:00 阿花<ahua@example.com>
[图片]

2024-03-02 22:00:00 阿花<ahua@example.com>
晚安

2024-03-03 8:00:00 系统消息(10000)
小明-北京-学生退出了本群。
"""


def test_utf8_with_bom_and_crlf(engine: Engine, tmp_path: Path) -> None:
    got = load(engine, write(tmp_path / "Python学习交流群.txt", QQ, newline="\r\n"))
    assert got.parsed.format == "qq"
    assert got.parsed.group.name == "Python学习交流群"
    kinds = got.kinds()
    assert kinds["message"] == 5 and kinds["join"] == 2 and kinds["leave"] == 1
    assert kinds["recall"] == 1 and kinds["nickname"] == 1
    texts = got.texts()
    assert "老师好，我是新来的\n第二行内容" in texts  # multi-line, no \r left
    assert "改了群名片再说一句 <script>alert(1)</script>" in texts
    # One member per QQ number: the join line's name and the later nickname are the same
    # person as the messages under 20002.
    members = got.rows("SELECT count(*) FROM identities WHERE platform = 'qq'")[0][0]
    assert members == 3
    history = {r[0] for r in got.rows(
        "SELECT n.nickname FROM nicknames n JOIN identities i ON i.member_id = n.member_id "
        "WHERE i.external_id = '20002'")}
    assert {"小明", "小明-北京-学生"} <= history
    assert ("阿花", "群主老张") in got.joins_with_inviter()
    # Unpadded hours read as local time (Asia/Shanghai): 9:00:01 → 01:00:01 UTC.
    first = got.rows("SELECT min(ts_ms) FROM events")[0][0]
    assert first == 1709254801000


def test_gbk_without_bom(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "qq.txt", QQ.lstrip("\ufeff"), encoding="gbk", newline="\r\n")
    got = load(engine, path)
    assert got.kinds()["message"] == 5
    assert "群主老张" in got.names()


def test_reimport_adds_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "qq.txt", QQ)
    load(engine, path)
    assert load(engine, path).counts.inserted == 0


@pytest.mark.parametrize(("header", "reason"), [
    ("2024-02-30 9:05:00 小明(20002)", "日期或时间无效"),
    ("2024-03-01 25:05:00 小明(20002)", "日期或时间无效"),
    ("2024/03/01 9:05 小明(20002)", "不是 QQ 消息记录的格式"),
    ("2024-03-01T9:05:00 小明(20002)", "不是 QQ 消息记录的格式"),
    ("2024-03-01 9:05:00.5 小明(20002)", "不是 QQ 消息记录的格式"),  # never `.5 小明`
    ("2024-03-01 9:05:00 没有号码的人", "发送者格式不认识"),
    ("2024-03-01 下午 13:05:00 小明(20002)", "日期或时间无效"),  # no 13 o'clock in 12 hours
    ("2024-03-01 晚上 9:05:00 小明(20002)", "不是 QQ 消息记录的格式"),
    ("2024/03/01  9:05 小明(20002)", "不是 QQ 消息记录的格式"),
    ("  2024-03-01 9:05:00 没有号码的人", "发送者格式不认识"),  # indented: still a header
    ("2024-03-01  9:05:00 没有号码的人", "发送者格式不认识"),  # never "a line of the above"
])
def test_a_bad_header_is_skipped_under_its_own_reason(engine: Engine, tmp_path: Path,
                                                      header: str, reason: str) -> None:
    body = (f"消息对象:群\n\n2024-03-01 9:00:01 老张(10001)\n你好\n\n{header}\n这一条的正文\n\n"
            "2024-03-01 9:06:00 老张(10001)\n再见\n")
    got = load(engine, write(tmp_path / "qq.txt", body))
    skipped = got.parsed.stats.skipped_examples
    assert [line for line, _ in skipped] == [6, 7] and reason in skipped[0][1]
    assert got.texts() == ["你好", "再见"]  # nothing of it folded into a message


def test_12_hour_times_indented_headers_and_space_runs_are_read_as_headers(
        engine: Engine, tmp_path: Path) -> None:
    """Some QQ versions write 上午/下午 with a 12-hour time; a header may be indented or have
    two spaces between its date and time. Each is a message of its own, never a line
    folded into the message above it (issue 12)."""
    body = ("消息对象:群\n\n"
            "2026-01-05 上午 12:30:00 张三(10001)\n半夜\n\n"      # 00:30
            "2026-01-05 上午 9:00:00 张三(10001)\n早上\n\n"       # 09:00
            "2026-01-05 下午 12:15:00 张三(10001)\n中午\n\n"      # 12:15
            "  2026-01-05 13:01:00 李四(20002)\n缩进的开头\n\n"
            "2026-01-05  14:05:00 张三(10001)\n两个空格\n\n"
            "2026-01-05 下午 10:07:00 张三(10001)\n晚上\n"         # 22:07
            "  第二行，缩进的正文\n")
    got = load(engine, write(tmp_path / "qq.txt", body))
    assert got.parsed.stats.skipped_examples == []
    assert got.kinds()["message"] == 6
    assert got.texts() == ["半夜", "早上", "中午", "缩进的开头", "两个空格",
                           "晚上\n  第二行，缩进的正文"]
    # Local times (Asia/Shanghai, UTC+8) → UTC: 上午 12:30 is 00:30, 下午 12:15 is 12:15.
    utc = [datetime.fromtimestamp(r[0] / 1000, UTC).strftime("%d %H:%M")
           for r in got.rows("SELECT ts_ms FROM events WHERE kind = 'message' ORDER BY ts_ms")]
    assert utc == ["04 16:30", "05 01:00", "05 04:15", "05 05:01", "05 06:05", "05 14:07"]
    assert "李四" in got.names()
