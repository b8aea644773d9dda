"""Nothing is lost silently (I2): for every importer and every header variant, a generated
file's messages all land — count in, count out, with their times and senders — and a line
that looks like a header but fits no variant is skipped with its number, never folded
into the previous message's text."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.importers import generators
from tests.importers.generators import Expected
from tests.importers.helpers import Imported, load


def _check(got: Imported, exp: Expected) -> None:
    stats = got.parsed.stats
    assert stats.messages == exp.messages
    assert stats.skipped == exp.skipped, stats.skipped_counts
    assert got.kinds()["message"] == exp.messages
    assert got.kinds().get("recall", 0) == exp.recalls
    times = [r[0] for r in got.rows("SELECT ts_ms FROM events WHERE kind = 'message' "
                                    "ORDER BY ts_ms")]
    assert times == sorted(exp.times_ms)
    senders = Counter(dict(got.rows(
        "SELECT coalesce(m.display_name, ''), count(*) FROM events e "
        "JOIN members m ON m.id = e.member_id WHERE e.kind = 'message' "
        "GROUP BY coalesce(m.display_name, '')")))
    assert senders == Counter(exp.senders)
    texts = set(got.texts())
    for text in exp.texts:  # exactly the text: nothing of a skipped line folded into it
        assert text in texts


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_qq_every_sender_form_and_mixed_line_ends(engine: Engine, tmp_path: Path,
                                                  encoding: str) -> None:
    data, exp = generators.qq(bad_dates=4)
    assert b"\r\n" in data and b"\n\n" in data.replace(b"\r\n", b"")  # really mixed
    if encoding != "utf-8":  # Chinese Windows: GBK, no BOM
        data = data.decode("utf-8").lstrip("\ufeff").encode(encoding)
    path = tmp_path / "qq.txt"
    path.write_bytes(data)
    got = load(engine, path)
    _check(got, exp)
    reasons = got.parsed.stats.skipped_counts
    assert reasons == {"像消息开头但发送者格式不认识 / looks like a message header in no "
                       "known layout": 3,
                       "日期或时间无效 / invalid date or time": 2,
                       "日期或时间不是 QQ 消息记录的格式（应为 2024-03-01 9:00:01）/ date or time "
                       "not in the QQ layout": 2,
                       "属于上面被跳过的那条消息 / a line of the skipped message above": 7}
    ids = {r[0] for r in got.rows("SELECT external_id FROM identities")}
    assert {"someone@example.com", "13800138000", "30003", "20002"} <= ids


@pytest.mark.parametrize("layout", sorted(generators.WA_LAYOUTS))
def test_whatsapp_every_date_layout(engine: Engine, tmp_path: Path, layout: str) -> None:
    data, exp = generators.whatsapp(layout)
    path = tmp_path / "WhatsApp Chat with 生成的群.txt"
    path.write_bytes(data)
    got = load(engine, path)
    _check(got, exp)
    # The broken headers are named and counted, each with the line that came with it.
    assert got.parsed.stats.skipped_counts == {
        "像消息开头但日期/时间格式不认识 / looks like a message header in no known layout": 4,
        "属于上面被跳过的那条消息 / a line of the skipped message above": 2}
    assert not any("坏" in t for t in got.texts())  # nothing of them folded into a message


@pytest.mark.parametrize("layout", ["wechatmsg", "pywxdump"])
@pytest.mark.parametrize("times", sorted(generators.WECHAT_TIMES))
@pytest.mark.parametrize("group", [True, False], ids=["group", "one-to-one"])
def test_wechat_every_layout_time_format_and_chat_kind(
        engine: Engine, tmp_path: Path, layout: str, times: str, group: bool) -> None:
    data, exp = generators.wechat(layout, times, group=group)
    path = tmp_path / "chat.csv"
    path.write_bytes(data)
    got = load(engine, path)
    _check(got, exp)
    # The exporting account's own messages are its own, never the partner's.
    own = got.rows("SELECT count(*) FROM events e JOIN identities i ON i.member_id = "
                   "e.member_id WHERE e.kind = 'message' AND i.external_id = 'self'")[0][0]
    assert own == exp.senders["我"]


@pytest.mark.parametrize("layout", ["wechatmsg", "pywxdump"])
def test_wechat_stray_quotes_skip_only_their_own_rows(engine: Engine, tmp_path: Path,
                                                      layout: str) -> None:
    """A quote that opens and never closes skips its row, with its line; two of them never
    fold the rows between into one message (they did: 20,000 rows read as 10,004, 0
    skipped); a literal quote inside an unquoted field is read."""
    data, exp = generators.wechat(layout, "iso-seconds", group=True, n=400, stray=40)
    path = tmp_path / "chat.csv"
    path.write_bytes(data)
    got = load(engine, path)
    _check(got, exp)
    assert exp.skipped == 20
    assert set(got.parsed.stats.skipped_counts) == {
        "引号不成对，这一行不是完整的 CSV 记录 / unbalanced quote: not a whole CSV record"}


def test_wechat_a_field_longer_than_the_csv_limit_is_read(engine: Engine,
                                                          tmp_path: Path) -> None:
    data, exp = generators.wechat("wechatmsg", "unix", group=True, long_field=True)
    path = tmp_path / "chat.csv"
    path.write_bytes(data)
    got = load(engine, path)
    _check(got, exp)
    assert max(len(t) for t in got.texts()) == 140_000


@pytest.mark.parametrize("variant", ["current", "old-desktop", "odd-ids"])
def test_telegram_variants(engine: Engine, tmp_path: Path, variant: str) -> None:
    data, exp = generators.telegram(variant)
    path = tmp_path / "result.json"
    path.write_bytes(data)
    got = load(engine, path)
    _check(got, exp)
    ids = {r[0] for r in got.rows("SELECT source_event_id FROM events")}
    if variant == "odd-ids":
        assert "0" in ids and "pos:2" in ids  # an id of 0 is an id; missing ids by position
    users = {r[0] for r in got.rows("SELECT external_id FROM identities")}
    assert users == {"user0", "user1", "user2"}  # old numeric from_id: the same accounts
