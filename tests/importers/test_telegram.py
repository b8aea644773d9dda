"""Telegram Desktop JSON exports: single chat and full account, every message shape (I2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine

from qunyun.importers.base import ImportFormatError
from qunyun.importers.detect import open_export
from tests.importers.helpers import load

T = 1709280000  # 2024-03-01T08:00:00Z


def msg(i: int, **body: Any) -> dict[str, Any]:
    at = T + i * 60
    return {"id": i, "type": "message", "date": "2024-03-01T16:00:00",
            "date_unixtime": str(at), **body}


def service(i: int, action: str, **body: Any) -> dict[str, Any]:
    return msg(i, type="service", action=action, **body)


MESSAGES = [
    service(1, "create_group", actor="Admin", actor_id="user1", title="摄影俱乐部",
            members=["Admin", "Alice"]),
    service(2, "migrate_from_group", actor="Admin", actor_id="user1"),
    msg(3, **{"from": "Alice", "from_id": "user2", "text": "大家好"}),
    service(4, "invite_members", actor="Alice", actor_id="user2", members=["Bob", None]),
    msg(5, **{"from": "Bob", "from_id": "user3",
              "text": ["看这个 ", {"type": "link", "text": "https://example.com"}, " 不错"],
              "reply_to_message_id": 3}),
    service(6, "join_group_by_link", actor="Carol", actor_id="user4", inviter="Alice"),
    msg(7, **{"from": "Carol", "from_id": "user4", "text": "", "photo": "photos/1.jpg",
              "reactions": [{"type": "emoji", "count": 2, "emoji": "👍", "recent": [
                  {"from": "Alice", "from_id": "user2", "date": "2024-03-01T16:08:00"},
                  {"from": "Bob", "from_id": "user3", "date": "2024-03-01T16:09:00"}]}]}),
    msg(8, **{"from": "Alice", "from_id": "user2", "text": "转发一下",
              "forwarded_from": "某频道", "edited": "2024-03-01T16:20:00"}),
    msg(9, **{"from": "Bob", "from_id": "user3", "text": "",
              "poll": {"question": "周末去哪拍？", "answers": []}}),
    service(10, "pin_message", actor="Admin", actor_id="user1", message_id=3),
    service(11, "remove_members", actor="Carol", actor_id="user4", members=["Carol"]),
    service(12, "remove_members", actor="Admin", actor_id="user1", members=["Bob"]),
    msg(13, **{"from": "<script>alert(1)</script>", "from_id": "user5",
               "text": "<img src=x onerror=alert(1)>"}),
]


def single(path: Path, messages: list[dict[str, Any]] = MESSAGES, chat_id: int = -100123) -> Path:
    path.write_bytes(orjson.dumps({"name": "摄影俱乐部", "type": "private_supergroup",
                                   "id": chat_id, "messages": messages}))
    return path


def test_single_chat_export(engine: Engine, tmp_path: Path) -> None:
    got = load(engine, single(tmp_path / "result.json"))
    assert got.parsed.format == "telegram" and got.parsed.group.name == "摄影俱乐部"
    kinds = got.kinds()
    assert kinds["message"] == 6 and kinds["reaction"] == 2 and kinds["leave"] == 2
    # Admin (created the group), Alice (listed at creation), Bob (invited), Carol (link)
    assert kinds["join"] == 4
    assert got.parsed.stats.skipped == 1  # the invited member with no name, with a reason
    texts = got.texts()
    assert "看这个 https://example.com 不错" in texts
    assert "<img src=x onerror=alert(1)>" in texts
    joins = got.joins_with_inviter()
    assert ("Bob", "Alice") in joins and ("Carol", "Alice") in joins
    assert ("Admin", None) in joins and ("Alice", "Admin") in joins
    leaves = dict(got.rows("SELECT m.display_name, r.display_name FROM events e JOIN members m "
                           "ON m.id = e.member_id LEFT JOIN members r "
                           "ON r.id = e.related_member_id WHERE e.kind = 'leave'"))
    assert leaves == {"Carol": None, "Bob": "Admin"}  # left on her own; removed by Admin
    reply = got.rows("SELECT ref_id FROM events WHERE kind = 'message' AND ref_id IS NOT NULL")
    assert reply == [("3",)]
    first = got.rows("SELECT min(ts_ms) FROM events")[0][0]
    assert first == T * 1000 + 60_000  # date_unixtime, not the offset-less local `date`


def test_account_export_picks_a_chat_and_lists_them_when_asked_wrong(
        engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "account.json"
    path.write_bytes(orjson.dumps({
        "about": "Here is the data you requested.",
        "chats": {"about": "", "list": [
            {"name": "家人", "type": "private_group", "id": 11, "messages": [
                msg(1, **{"from": "Mum", "from_id": "user9", "text": "吃饭了"})]},
            {"name": "摄影俱乐部", "type": "private_supergroup", "id": -100123,
             "messages": MESSAGES},
        ]},
        "left_chats": {"about": "", "list": []},
    }))
    with pytest.raises(ImportFormatError) as wrong:
        open_export(path, chat="不存在的群")
    assert "摄影俱乐部" in str(wrong.value) and "家人" in str(wrong.value)
    got = load(engine, path, chat="摄影俱乐部")
    assert got.kinds()["message"] == 6
    assert "Mum" not in got.names()


def test_reimport_and_a_later_overlapping_export(engine: Engine, tmp_path: Path) -> None:
    load(engine, single(tmp_path / "a.json", MESSAGES[:8]))
    again = load(engine, single(tmp_path / "b.json", MESSAGES))
    assert again.counts.inserted == 4  # two messages and two leaves are new


def test_truncated_json_names_the_byte_and_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    full = single(tmp_path / "full.json").read_bytes()
    cut = tmp_path / "cut.json"
    cut.write_bytes(full[: len(full) * 2 // 3])
    with pytest.raises(ImportFormatError) as err:
        load(engine, cut)
    assert "cut.json" in str(err.value) and "byte" in str(err.value)
    assert load_count(engine) == 0


def load_count(engine: Engine) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())


def test_odd_shapes_are_skipped_with_reasons_not_fatal(engine: Engine, tmp_path: Path) -> None:
    odd = [
        msg(1, **{"from": "Alice", "from_id": "user2", "text": "正常一条",
                  "text_entities": [{"type": "plain", "text": "正常一条"}]}),
        42,  # not a message object at all
        msg(3, **{"from": "Bob", "from_id": "user3", "text": {"unexpected": "shape"}}),
        msg(4, **{"from": None, "from_id": "user4", "text": "已注销账号"}),  # deleted account
        {"id": 5, "type": "message", "from_id": "user2", "text": "没有时间"},
        msg(6, **{"from": "Alice", "from_id": "user2", "text": "x" * 200_000,
                  "reactions": "not a list"}),
        service(7, "invite_members", actor="Alice", actor_id="user2", members="Bob"),
    ]
    got = load(engine, single(tmp_path / "odd.json", odd))
    assert got.kinds()["message"] == 4
    reasons = dict(got.parsed.stats.skipped_examples)
    assert "not a message object" in reasons[2] and "no date" in reasons[5]
    texts = got.texts()
    assert "" in texts and "已注销账号" in texts and len(max(texts, key=len)) == 200_000


def test_the_reaction_fast_path_adds_what_the_event_would() -> None:
    """The Telegram reader adds reactions as columns (`EventBatch.add_reaction`): the same
    row as `EventBatch.add(ReactionAdded(…))`, the live recorder's translation."""
    from datetime import UTC, datetime

    from qunyun.event_batch import EventBatch, Refs, reaction_payload
    from qunyun.events import GroupRef, ReactionAdded, UserRef

    refs = Refs()
    group, who = GroupRef("telegram", "-100", "群"), UserRef("telegram", "user0", "零号")
    at = datetime(2024, 3, 25, 9, 0, 5, 123000, tzinfo=UTC)
    by_event, by_columns = EventBatch(refs), EventBatch(refs)
    by_event.add(ReactionAdded(source="s", source_event_id="7:r:user0:👍", group=group, at=at,
                               actor=who, target_event_id="7", key="👍"))
    by_columns.add_reaction("s", "7:r:user0:👍", int(at.timestamp() * 1000), refs.group(group),
                            refs.user(who), "零号", "7", reaction_payload("👍"))
    columns = ("source", "source_event_id", "kind", "ts_ms", "group", "actor", "name",
               "related", "text", "ref_id", "payload")
    assert [getattr(by_columns, c) for c in columns] == [getattr(by_event, c) for c in columns]


def test_someone_leaving_under_a_shared_name_counts_no_member_of_their_own(
        engine: Engine, tmp_path: Path) -> None:
    """A member who left by themselves is the actor of the service line: with a name two
    accounts use, the import's member count still equals the members it stored, and the
    name is not reported as ambiguous (issue 12 walk16: 2,018 counted, 2,017 stored)."""
    messages = [
        msg(1, **{"from": "小王", "from_id": "user1", "text": "我是第一个小王"}),
        msg(2, **{"from": "小王", "from_id": "user2", "text": "我是另一个小王"}),
        service(3, "remove_members", actor="小王", actor_id="user2", members=["小王"]),
    ]
    got = load(engine, single(tmp_path / "result.json", messages))
    stats = got.parsed.stats
    stored = got.rows("SELECT count(*) FROM members")[0][0]
    assert len(stats.members) == stored == 2 and stats.ambiguous_names == {}
    leaves = got.rows("SELECT m.display_name, i.external_id FROM events e JOIN members m "
                      "ON m.id = e.member_id JOIN identities i ON i.member_id = m.id "
                      "WHERE e.kind = 'leave'")
    assert [external for _, external in leaves] == ["user2"]
