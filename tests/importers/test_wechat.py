"""WeChat CSV exports: WeChatMsg/留痕 and PyWxDump column layouts (I2, R4 red packets)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import Engine

from tests.importers.helpers import load, write

WECHATMSG_HEAD = ["localId", "TalkerId", "Type", "SubType", "IsSender", "CreateTime", "Status",
                  "StrContent", "StrTime", "Remark", "NickName", "Sender"]


def wechatmsg(rows: list[tuple[str, str, str, str, str]]) -> str:
    """(id, type, time, content, sender wxid|'') → a WeChatMsg CSV; names from NAMES."""
    names = {"wxid_boss": "水果店老板", "wxid_wang": "王姐", "wxid_li": "李哥",
             "wxid_bot": "抢包机器人"}
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(WECHATMSG_HEAD)
    for local_id, kind, at, content, sender in rows:
        out.writerow([local_id, "123@chatroom", kind, "0", "0", "", "2", content, at, "",
                      names.get(sender, ""), sender])
    return buf.getvalue()


ROWS = [
    ("1", "10000", "2024-05-01 10:00:00", '"水果店老板"邀请"王姐"、"李哥"加入了群聊', ""),
    ("2", "1", "2024-05-01 10:01:00", "大家好，今天的芒果团购开始啦！\n接龙格式：名字+斤数", "wxid_boss"),
    ("3", "1", "2024-05-01 10:02:00", "王姐 3斤, 要熟一点的", "wxid_wang"),
    ("4", "3", "2024-05-01 10:03:00", "<img src=x>", "wxid_li"),
    ("5", "10000", "2024-05-01 10:04:00", '"抢包机器人"通过扫描"李哥"分享的二维码加入群聊', ""),
    ("6", "49", "2024-05-01 11:00:00", "[红包]恭喜发财，大吉大利", "wxid_boss"),
    ("7", "10000", "2024-05-01 11:00:01", "抢包机器人领取了水果店老板的红包", ""),
    ("8", "10000", "2024-05-01 11:00:05", "王姐领取了水果店老板的红包", ""),
    ("9", "1", "2024-05-01 11:01:00", "抢包机器人 说 谢谢老板", "wxid_bot"),
    ("10", "10000", "2024-05-01 11:02:00", '"王姐" 撤回了一条消息', ""),
]


def test_wechatmsg_layout(engine: Engine, tmp_path: Path) -> None:
    got = load(engine, write(tmp_path / "芒果团购群.csv", wechatmsg(ROWS)))
    assert got.parsed.format == "wechat"
    kinds = got.kinds()
    assert kinds["message"] == 5 and kinds["join"] == 3 and kinds["redpacket"] == 2
    assert kinds["recall"] == 1
    assert "大家好，今天的芒果团购开始啦！\n接龙格式：名字+斤数" in got.texts()
    assert "王姐 3斤, 要熟一点的" in got.texts()
    joins = got.joins_with_inviter()
    assert {("王姐", "水果店老板"), ("李哥", "水果店老板"), ("抢包机器人", "李哥")} <= joins
    # Joins name people who speak later: they are the same members as the wxids.
    wx = got.rows("SELECT count(*) FROM identities WHERE external_id LIKE 'name:%'")[0][0]
    assert wx == 0
    # Grabs are tied to the packet they grabbed (the sender's latest [红包] message).
    packets = got.rows("SELECT DISTINCT ref_id FROM events WHERE kind = 'redpacket'")
    assert packets == [("6",)]


def test_pywxdump_layout(engine: Engine, tmp_path: Path) -> None:
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(["id", "MsgSvrID", "type_name", "is_sender", "talker", "room_name", "msg",
                  "src", "CreateTime"])
    out.writerow(["1", "900001", "文本", "0", "王姐", "芒果团购群", "早上好", "", "1714528800"])
    out.writerow(["2", "900002", "图片", "0", "李哥", "芒果团购群", "", "img/1.jpg",
                  "1714528860"])
    out.writerow(["3", "900003", "系统通知", "0", "", "芒果团购群",
                  '"王姐"邀请"小陈"加入了群聊', "", "1714528900"])
    got = load(engine, write(tmp_path / "export.csv", buf.getvalue(), encoding="utf-8-sig"))
    kinds = got.kinds()
    assert kinds["message"] == 2 and kinds["join"] == 1
    assert ("小陈", "王姐") in got.joins_with_inviter()


def test_a_row_with_the_wrong_column_count_is_skipped_with_its_line(
        engine: Engine, tmp_path: Path) -> None:
    text = wechatmsg(ROWS[:3]) + "99,broken,row\n"
    got = load(engine, write(tmp_path / "x.csv", text))
    assert got.kinds()["message"] == 2
    assert got.parsed.stats.skipped == 1
    line, reason = got.parsed.stats.skipped_examples[0]
    assert line == text.count("\n") and "列数" in reason
