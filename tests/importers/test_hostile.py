"""Hostile and broken files (issue 12): each is read, or refused in one clear line that
names the file and the line or byte offset, with nothing written; never a traceback,
never a silent loss, never super-linear time."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, text

from qunyun.importers.base import ImportFormatError
from qunyun.importers.detect import open_export
from tests.importers import generators
from tests.importers.helpers import load
from tests.importers.test_wechat import WECHATMSG_HEAD


def _events(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("maker", ["qq", "whatsapp"])
def test_a_text_file_cut_inside_a_character_names_the_byte_offset(
        engine: Engine, tmp_path: Path, maker: str) -> None:
    data = generators.qq()[0] if maker == "qq" else generators.whatsapp("android-dmy-24h")[0]
    data = data.rstrip() + "结尾".encode()
    cut = data[:-2]  # the last character loses two of its three bytes
    path = _file(tmp_path, "cut.txt", cut)
    with pytest.raises(ImportFormatError) as err:
        load(engine, path)
    assert f"(byte {len(cut) - 1})" in str(err.value) and "\n" not in str(err.value)
    assert _events(engine) == 0


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_whatsapp_exports_with_a_bom_are_read(engine: Engine, tmp_path: Path,
                                                    codec: str) -> None:
    data, exp = generators.whatsapp("android-dmy-24h")
    path = _file(tmp_path, "WhatsApp Chat with X.txt",
                 "\ufeff".encode(codec) + data.decode().encode(codec))
    got = load(engine, path)
    assert got.kinds()["message"] == exp.messages


def test_json_nested_a_thousand_levels_deep_is_one_line(engine: Engine, tmp_path: Path) -> None:
    deep = b"[" * 5000 + b"]" * 5000
    body = b'{"name":"g","id":1,"messages":[{"id":1,"type":"message","text":' + deep + b"}]}"
    with pytest.raises(ImportFormatError) as err:
        load(engine, _file(tmp_path, "deep.json", body))
    assert "(byte " in str(err.value) and "nested" in str(err.value)
    assert _events(engine) == 0


def test_odd_telegram_values_are_skipped_lines(engine: Engine, tmp_path: Path) -> None:
    def msg(i: int, **kw: object) -> dict[str, object]:
        return {"id": i, "type": "message", "date_unixtime": str(1709280000 + i),
                "from": "A", "from_id": "user1", "text": f"m{i}", **kw}
    messages = [msg(1, date_unixtime=1e20), msg(2, date_unixtime="9" * 30),
                msg(3, reactions=[{"emoji": "👍", "recent": 5}]),
                msg(4, reactions=[{"emoji": "👍", "recent": [{"from_id": 0,
                                                              "date_unixtime": 1e20}]}]),
                msg(5, date_unixtime=None, date="0001-01-01T00:00:00"), msg(6)]
    got = load(engine, _file(tmp_path, "odd.json", orjson.dumps(
        {"name": "g", "id": 1, "messages": messages})))
    assert got.kinds()["message"] == 3 and got.kinds()["reaction"] == 1
    assert [line for line, _ in got.parsed.stats.skipped_examples] == [1, 2, 5]


def test_a_qq_date_in_year_0001_is_a_skipped_line(engine: Engine, tmp_path: Path) -> None:
    body = ("消息对象:群\n\n0001-01-01 0:00:00 小明(20002)\n古老的消息\n\n"
            "2024-03-01 9:00:00 小明(20002)\n正常\n")
    got = load(engine, _file(tmp_path, "qq.txt", body.encode()))
    assert got.texts() == ["正常"]
    assert got.parsed.stats.skipped_examples[0][0] == 3
    assert "out of range" in got.parsed.stats.skipped_examples[0][1]


def _wechat(rows: list[list[object]]) -> bytes:
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(WECHATMSG_HEAD)
    out.writerows(rows)
    return buf.getvalue().encode()


def _row(i: int, content: str = "", created: object = None) -> list[object]:
    return [i, "1@chatroom", 1, 0, 0, created if created is not None else 1709280000 + i, 2,
            content or f"消息 {i}", "", "", "王姐", "wxid_w"]


def test_wechat_create_time_1e20_is_a_skipped_row(engine: Engine, tmp_path: Path) -> None:
    rows = [_row(1, created="100000000000000000000"), _row(2, created="1e20"), _row(3)]
    got = load(engine, _file(tmp_path, "c.csv", _wechat(rows)))
    assert got.kinds()["message"] == 1 and got.parsed.stats.skipped == 2
    assert all("CreateTime" in reason for _, reason in got.parsed.stats.skipped_examples)


def test_wechat_every_row_bad_names_the_first_row_and_field(engine: Engine,
                                                            tmp_path: Path) -> None:
    rows = [_row(1, created="昨天"), _row(2, created="前天")]
    with pytest.raises(ImportFormatError) as err:
        load(engine, _file(tmp_path, "c.csv", _wechat(rows)))
    assert ":2:" in str(err.value) and "CreateTime" in str(err.value) and "昨天" in str(err.value)
    assert _events(engine) == 0


def test_wechat_a_long_field_loses_no_row_and_stays_linear(engine: Engine,
                                                           tmp_path: Path) -> None:
    rows = [_row(i, "长" * 200_000 if i == 3 else "") for i in range(1, 20_001)]
    started = time.monotonic()
    got = load(engine, _file(tmp_path, "c.csv", _wechat(rows)))
    assert got.kinds()["message"] == 20_000 and got.parsed.stats.skipped == 0
    assert time.monotonic() - started < 30  # was 56 s, quadratic


def test_wechat_an_unbalanced_quote_skips_only_its_line(engine: Engine, tmp_path: Path) -> None:
    lines = _wechat([_row(i) for i in range(1, 2001)]).decode().splitlines()
    lines[10] = '10,1@chatroom,1,0,0,1709280010,2,"他说你好,,,王姐,wxid_w'  # never closed
    got = load(engine, _file(tmp_path, "c.csv", ("\n".join(lines) + "\n").encode()))
    assert got.kinds()["message"] == 1999
    assert got.parsed.stats.skipped_examples == [(11, got.parsed.stats.skipped_examples[0][1])]
    assert "quote" in got.parsed.stats.skipped_examples[0][1]


@pytest.mark.parametrize("fmt", ["qq-invite", "whatsapp-added", "whatsapp-added-spaces",
                                 "wechat-invite"])
def test_system_patterns_are_linear_on_a_megabyte_line(engine: Engine, tmp_path: Path,
                                                       fmt: str) -> None:
    if fmt == "qq-invite":
        body = f"消息对象:群\n\n2024-03-01 9:00:00 系统消息(10000)\n{'邀请' * 500_000}\n尾\n"
        path = _file(tmp_path, "qq.txt", body.encode())
    elif fmt == "whatsapp-added":
        body = (f"12/03/2024, 14:25 - Alice: hi\n12/03/2024, 14:26 - {'a added ' * 125_000}x\n"
                "next line\n")
        path = _file(tmp_path, "WhatsApp Chat with X.txt", body.encode())
    elif fmt == "whatsapp-added-spaces":  # splitting the added names: `\s+and` backtracked
        body = (f"12/03/2024, 14:25 - Alice: hi\n12/03/2024, 14:26 - a added {' ' * 200_000}x\n"
                f"12/03/2024, 14:27 - a added b{chr(9) * 200_000}c\n")
        path = _file(tmp_path, "WhatsApp Chat with X.txt", body.encode())
    else:
        path = _file(tmp_path, "c.csv", _wechat([
            [1, "1@chatroom", 10000, 0, 0, 1709280000, 2, "邀请" * 500_000, "", "", "", ""],
            _row(2)]))
    started = time.monotonic()
    got = load(engine, path)
    assert time.monotonic() - started < 10  # was > 60 s
    if fmt == "whatsapp-added":  # no one's name is a megabyte long: skipped, and said so
        assert "name longer than" in got.parsed.stats.skipped_examples[0][1]
    if fmt == "whatsapp-added-spaces":  # `x` joined; `b…c` is no one's name: skipped
        assert got.kinds()["join"] == 1 and got.parsed.stats.skipped == 1


def test_a_header_like_line_is_never_folded_into_the_previous_message(
        engine: Engine, tmp_path: Path) -> None:
    body = ("12/03/2024, 14:25 - Alice: first\n"
            "12/03/2024, 14:26 — Bob: an em dash, no known layout\n"
            "still Bob's\n"
            "12/03/2024, 14:27 - Alice: third\n")
    got = load(engine, _file(tmp_path, "WhatsApp Chat with X.txt", body.encode()))
    assert got.texts() == ["first", "third"]
    assert [line for line, _ in got.parsed.stats.skipped_examples] == [2, 3]


def test_every_parse_error_is_an_import_format_error(tmp_path: Path) -> None:
    """Whatever the bytes, the parser either reads them or says why in one line."""
    import random

    rng = random.Random(12)
    seeds = [generators.qq()[0], generators.whatsapp("ios-dmy-24h-seconds")[0],
             generators.wechat("wechatmsg", "unix", group=True)[0],
             generators.telegram("current")[0]]
    for n in range(60):
        data = bytearray(seeds[n % len(seeds)])
        for _ in range(rng.randint(1, 8)):  # flip, cut or duplicate a few bytes
            at = rng.randrange(len(data))
            choice = rng.random()
            if choice < 0.4:
                data[at] = rng.randrange(256)
            elif choice < 0.7:
                del data[at: at + rng.randint(1, 50)]
            else:
                data[at:at] = data[at: at + rng.randint(1, 50)]
        path = _file(tmp_path, f"f{n}.txt", bytes(data))
        try:
            parsed = open_export(path)
            for _batch in parsed.batches:
                pass
        except ImportFormatError as exc:
            assert "\n" not in str(exc)


def test_wechat_rows_all_of_the_wrong_width_name_the_first(engine: Engine,
                                                          tmp_path: Path) -> None:
    data = _wechat([]) + b"1,2,3\n4,5,6\n"
    with pytest.raises(ImportFormatError) as err:
        load(engine, _file(tmp_path, "c.csv", data))
    assert ":2:" in str(err.value) and "column" in str(err.value)


def test_telegram_ids_of_the_wrong_type_or_too_long_are_skipped_lines(
        engine: Engine, tmp_path: Path) -> None:
    """Read, or skipped with a reason, on both backends: PostgreSQL refused the whole file
    over one 300-character id ("value too long"), and a `from` that is an object ended
    in a TypeError."""
    def msg(i: object, **kw: object) -> dict[str, object]:
        return {"id": i, "type": "message", "date_unixtime": "1709280000", "from": "A",
                "from_id": "user1", "text": f"m{i}", **kw}
    messages = [msg("x" * 300), msg(True), msg(1.5), msg({"a": 1}),
                msg(5, **{"from": {"x": 1}}), msg(6, reply_to_message_id="y" * 300),
                msg(7, reactions=[{"emoji": "e" * 300, "recent": [{"from_id": "user2"}]}]),
                {"id": 8, "type": "service", "date_unixtime": "1709280000", "actor": "A",
                 "actor_id": {"a": 1}, "action": "invite_members", "members": ["B"]},
                msg(9)]
    got = load(engine, _file(tmp_path, "odd.json", orjson.dumps(
        {"name": "群" * 300, "id": 1, "messages": messages})))
    assert got.kinds() == {"message": 4}
    stats = got.parsed.stats
    assert [line for line, _ in stats.skipped_examples] == [1, 2, 3, 4, 7, 8]
    assert {r[0] for r in got.rows("SELECT length(name) FROM groups")} == {255}
    with pytest.raises(ImportFormatError) as err:
        load(engine, _file(tmp_path, "long.json", orjson.dumps(
            {"name": "g", "id": "z" * 300, "messages": [msg(1)]})))
    assert "chat id longer than" in str(err.value)


def test_a_qq_chat_name_longer_than_a_column_is_cut_not_refused(engine: Engine,
                                                              tmp_path: Path) -> None:
    body = "消息对象:" + "群" * 300 + "\n\n2024-03-01 9:00:00 小明(20002)\n你好\n"
    got = load(engine, _file(tmp_path, "qq.txt", body.encode()))
    assert got.texts() == ["你好"]
    assert {r[0] for r in got.rows("SELECT length(name) FROM groups")} == {255}
