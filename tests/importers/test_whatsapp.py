"""WhatsApp .txt exports, iOS and Android, 12 h and 24 h (I2)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from tests.importers.helpers import load, write

IOS = """[12/03/2024, 14:22:01] 读书会: \u200eMessages and calls are end-to-end encrypted. No one outside of this chat can read them.
[12/03/2024, 14:22:01] 读书会: \u200e阿林 created group "读书会"
[12/03/2024, 14:25:13] ~ 小红: 大家好！
第二行也是这条消息
[12/03/2024, 14:26:00] 阿林: \u200eimage omitted
[12/03/2024, 14:27:00] 读书会: \u200e老王 joined using this group's invite link
[12/03/2024, 14:28:00] 读书会: \u200e阿林 added 小李
[12/03/2024, 14:29:00] 小李: 谢谢拉我 <b>进群</b>
[13/03/2024, 09:00:00] 小李: \u200eThis message was deleted.
[13/03/2024, 09:05:00] 读书会: \u200e老王 left
"""

ANDROID_12H = """3/12/24, 2:22\u202fPM - Messages and calls are end-to-end encrypted. Tap to learn more.
3/12/24, 2:22\u202fPM - Alice created group "Book Club"
3/12/24, 2:25\u202fPM - Alice: Hello everyone
3/12/24, 2:26\u202fPM - Bob joined using this group's invite link
3/12/24, 2:27\u202fPM - Alice added Carol
3/13/24, 9:05\u202fAM - Carol: Morning!
it's a two-line message
3/13/24, 10:00\u202fAM - Alice removed Bob
3/25/24, 11:59\u202fPM - Carol left
"""


def test_ios_export(engine: Engine, tmp_path: Path) -> None:
    got = load(engine, write(tmp_path / "WhatsApp Chat - 读书会.txt", IOS))
    assert got.parsed.format == "whatsapp"
    kinds = got.kinds()
    # The deleted message was posted (its author spoke), then recalled.
    assert kinds["message"] == 4 and kinds["join"] >= 2 and kinds["leave"] == 1
    assert kinds["recall"] == 1
    texts = got.texts()
    assert texts[0] == "大家好！\n第二行也是这条消息"  # multi-line kept, "~ " dropped
    assert "谢谢拉我 <b>进群</b>" in texts  # HTML stays inert text
    assert {"小红", "阿林", "小李", "老王"} <= got.names()
    joins = got.joins_with_inviter()
    assert ("小李", "阿林") in joins and ("老王", None) in joins


def test_android_12h_with_narrow_no_break_space(engine: Engine, tmp_path: Path) -> None:
    got = load(engine, write(tmp_path / "chat.txt", ANDROID_12H), tz="UTC")
    kinds = got.kinds()
    assert kinds["message"] == 2 and kinds["leave"] == 2
    assert ("Carol", "Alice") in got.joins_with_inviter()
    # 3/25 cannot be day/month: the file is month-first; 11:59 PM is 23:59.
    last = got.rows("SELECT max(ts_ms) FROM events")[0][0]
    assert last == 1711411140000  # 2024-03-25T23:59:00Z
    removed = got.rows("SELECT r.display_name FROM events e JOIN members r "
                       "ON r.id = e.related_member_id WHERE e.kind = 'leave'")
    assert ("Alice",) in removed  # Bob was removed by Alice; Carol left on her own


def test_reimport_and_overlapping_later_export(engine: Engine, tmp_path: Path) -> None:
    name = "WhatsApp Chat with Book Club"
    first = load(engine, write(tmp_path / f"{name}.txt", ANDROID_12H), tz="UTC")
    again = load(engine, write(tmp_path / f"{name}.txt", ANDROID_12H), tz="UTC")
    assert again.counts.inserted == 0
    later = ANDROID_12H + "3/26/24, 8:00\u202fAM - Alice: New week!\n"
    # Downloaded again a week later: the browser adds " (1)" to the name.
    more = load(engine, write(tmp_path / f"{name} (1).txt", later), tz="UTC")
    assert more.counts.inserted == 1
    assert first.kinds()["message"] == 3


def test_chinese_twelve_hour_markers(engine: Engine, tmp_path: Path) -> None:
    body = ("2024/03/25 凌晨12:10 - 甲: 半夜\n2024/03/25 上午11:10 - 甲: 上午\n"
            "2024/03/25 中午12:30 - 甲: 中午\n2024/03/25 中午1:05 - 甲: 午后\n"
            "2024/03/25 下午12:40 - 甲: 下午\n2024/03/25 晚上9:10 - 甲: 晚上\n"
            "2024/03/25 凌晨1:15 ~ 甲: 坏了的开头\n")  # header-like: skipped, never folded
    got = load(engine, write(tmp_path / "chat.txt", body), tz="UTC")
    assert got.parsed.stats.skipped_examples == [(7, "像消息开头但日期/时间格式不认识 / "
                                                     "looks like a message header in no known layout")]
    assert got.texts()[-1] == "晚上"
    hours = [r[0] for r in got.rows("SELECT ts_ms FROM events ORDER BY ts_ms")]
    day = 1711324800000  # 2024-03-25T00:00Z
    minutes = sorted([10, 11 * 60 + 10, 12 * 60 + 30, 13 * 60 + 5, 12 * 60 + 40, 21 * 60 + 10])
    assert [(t - day) // 60000 for t in hours] == minutes


# A sender whose name contains ": " and who posts once: "Team: Alpha: hi" reads either
# as Team: Alpha saying "hi" or as Team saying "Alpha: hi".
ONCE = """3/12/24, 2:22\u202fPM - Alice created group "Club"
3/12/24, 2:26\u202fPM - Team: Alpha joined using this group's invite link
3/12/24, 2:27\u202fPM - Alice added Ops: Night, Carol
3/12/24, 2:30\u202fPM - Team: Alpha: hi all
3/12/24, 2:31\u202fPM - Ops: Night: on duty: till 6
3/12/24, 2:32\u202fPM - Alice: Note: meeting at 5
3/12/24, 2:33\u202fPM - Alice: see you
3/12/24, 2:34\u202fPM - Dana: Re: the meeting
"""


def test_single_message_sender_with_colon_named_by_a_system_line(
        engine: Engine, tmp_path: Path) -> None:
    got = load(engine, write(tmp_path / "chat.txt", ONCE), tz="UTC")
    by_name = dict(got.rows("SELECT m.display_name, e.text FROM events e JOIN members m "
                            "ON m.id = e.member_id WHERE e.kind = 'message'"))
    # Named whole by the join and the "added" lines: one message each, read whole.
    assert by_name["Team: Alpha"] == "hi all"
    assert by_name["Ops: Night"] == "on duty: till 6"
    assert "Team" not in by_name and "Ops" not in by_name
    # Alice posts twice: her name is the shared prefix, the rest is text.
    assert "Note: meeting at 5" in got.texts()
    # Dana posts once and no system line names "Dana: Re": read as Dana, and counted.
    assert by_name["Dana"] == "Re: the meeting"
    stats = got.parsed.stats
    assert stats.ambiguous_authors == 1
    assert stats.ambiguous_author_examples == [(8, "Dana", "Dana: Re")]
    assert stats.messages == 5 and stats.skipped == 0
    # The join line is a join of "Team: Alpha", not a message from "Team".
    assert ("Team: Alpha", None) in got.joins_with_inviter()


def test_ios_system_line_names_a_colon_sender(engine: Engine, tmp_path: Path) -> None:
    text = ("[12/03/2024, 14:27:00] Club: \u200eTeam: Alpha joined using this group's invite link\n"
            "[12/03/2024, 14:29:00] Team: Alpha: 谢谢\n")
    got = load(engine, write(tmp_path / "chat.txt", text), tz="UTC")
    assert got.rows("SELECT m.display_name, e.text FROM events e JOIN members m "
                    "ON m.id = e.member_id WHERE e.kind = 'message'") == [("Team: Alpha", "谢谢")]
    assert got.parsed.stats.ambiguous_authors == 0


# What a fresh-eyes tester wrote into exports (issue 12 walk14): a system line followed by a
# line with `: `, lines shaped like headers that no phone writes.
FOLDS = """1/5/26, 10:00 - Alice: w1
1/5/26, 10:01 - Alice: w2
 1/5/26, 10:03 - Alice: w3
1/5/26, 10:04 - Carol left
some text: with colon
1/5/26, 10:07 - Alice w7 no colon
5 Jan 2026, 10:08 - Alice: w8
1/5/26，10:11 - Dave: w11
Jan 5, 2026, 10:12 - Bob: w12
1/13/26, 10:13 - Bob: w13
"""


def test_no_header_shaped_line_is_folded_and_no_name_crosses_a_line(
        engine: Engine, tmp_path: Path) -> None:
    got = load(engine, write(tmp_path / "chat.txt", FOLDS), tz="UTC")
    texts = got.texts()
    assert texts == ["w1", "w2", "w13"]  # w3, w8, w11, w12: skipped, each with its line
    assert got.names() == {"Alice", "Carol", "Bob"}  # "Carol left⏎some text" is nobody
    assert got.kinds()["leave"] == 1
    header_like = "像消息开头但日期/时间格式不认识 / looks like a message header in no known layout"
    skipped = got.parsed.stats.skipped_by_reason
    assert skipped[header_like] == [3, 7, 8, 9]
    # The line after Carol's leave is no message and no name: counted, with its number;
    # the unknown system line at 6 is skipped under its own reason.
    assert skipped["系统消息后面多出的行 / a line after a system line"] == [5]
    assert 6 in [line for lines in skipped.values() for line in lines]
