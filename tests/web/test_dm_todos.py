"""A DM the platform would not deliver, as the operator meets it in the console (issue 11,
R2/R3/O2): an item in 待发私信 naming the member, saying why in words, with the text to copy;
marking it sent is audited; the English console words it too; an empty queue says why."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.effects import DirectMessage
from qunyun.events import GroupRef, UserRef
from qunyun.services import audit, direct
from qunyun.storage.work import audit as audit_repo
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded

Make = Callable[..., TestClient]
TEXT = "你因累计 3 次违反群规（最近一次：发广告）被移出「答疑群」。如有异议，发送 !申诉 加上理由。"


def _visible(html: str) -> str:
    html = re.sub(r"<details.*?</details>", "", html, flags=re.S)
    html = re.sub(r"<(script|style|datalist|select)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _refused(engine: Engine, seeded: Seeded) -> int:
    """The bot's removal DM to member #2, refused by Telegram: what the adapter core does."""
    effect = DirectMessage(
        group=GroupRef("telegram", "-100", "答疑群"),
        member=UserRef("telegram", "20001", "小王"),
        text=TEXT,
        reason="R2 removal notice",
        policy="moderation",
    )
    with engine.begin() as conn:
        audit_id = audit.record_operator_effect(
            conn,
            effect,
            community_id=seeded.community_id,
            operator="bot",
            member_id=None,
            group_id=None,
        )
        item = direct.undeliverable(
            conn,
            community_id=seeded.community_id,
            effect=effect,
            why="ta 屏蔽了机器人，Telegram 不再让机器人给 ta 发私信",
            audit_id=audit_id,
            platform_said="Forbidden: bot was blocked by the user",
        )
    assert item is not None
    return item


def test_an_undelivered_dm_is_a_todo_with_the_text_to_copy(
    make_client: Make, engine: Engine, seeded: Seeded
) -> None:
    item = _refused(engine, seeded)
    client = make_client("owner")
    page = client.get("/c/python-camp/queues?queue=dm_todo")
    shown = _visible(page.text)
    assert "待发私信" in shown and "私信没能送达 小王" in shown
    assert TEXT in shown  # ready to copy
    assert "ta 屏蔽了机器人" in shown and "移出前私信告知原因和申诉方式" in shown
    assert "Telegram" in shown
    for code in ("R2 removal notice", "dm_text", "undelivered", "Forbidden", "platform_error"):
        assert code not in shown, code
    assert "Forbidden: bot was blocked by the user" in page.text  # the raw record, one click away

    done = client.post(
        f"/c/python-camp/queues/{item}",
        data={
            "csrf": csrf_of(client, "/c/python-camp/queues?queue=dm_todo"),
            "resolution": "done",
            "reason": "已在微信上发给她",
        },
    )
    assert done.status_code in (200, 303)
    with engine.connect() as conn:
        acted = [r for r in audit_repo.entries(conn) if r["action"] == "dm_todo:done"]
    assert len(acted) == 1 and acted[0]["reason"] == "已在微信上发给她"

    english = make_client("owner")
    english.cookies.set("qunyun_lang", "en")
    shown_en = _visible(english.get("/c/python-camp/queues?queue=dm_todo&status=done").text)
    assert "DM not delivered to 小王" in shown_en


def test_an_empty_dm_queue_says_what_would_be_there(make_client: Make) -> None:
    shown = _visible(make_client("owner").get("/c/python-camp/queues?queue=dm_todo").text)
    assert "屏蔽了机器人" in shown and "可直接复制" in shown
