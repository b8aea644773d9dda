"""I1/G1 in the console: the home page lists the bot accounts, connected or not and when
each last synced (Chinese and English); a join request waiting in the 入群申请 queue is
decided there, and the decision goes to the outbox for the bot."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.bot import accounts
from qunyun.services import audit, queues
from qunyun.storage.work import queues as queue_repo
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded

Make = Callable[..., TestClient]


def test_home_page_shows_the_accounts(make_client: Make, seeded: Seeded, engine: Engine) -> None:
    with engine.begin() as conn:
        accounts.report(conn, key=accounts.status_key(seeded.community_id, "telegram",
                                                      "bot 123456"),
                        connected=True, synced=True)
        accounts.report(conn, key=accounts.status_key(seeded.community_id, "onebot",
                                                      "ws://127.0.0.1:3001/"),
                        connected=False, synced=False)
        accounts.report(conn, key=accounts.status_key(seeded.community_id, "matrix",
                                                      "http://127.0.0.1:1"),
                        connected=False, synced=False, error="ConnectError: refused")
    client = make_client("viewer")
    page = client.get("/").text
    assert "机器人账号" in page and "bot 123456" in page
    assert "已连接" in page and "未连接" in page and "QQ（OneBot 11）" in page
    assert "上次连接出错" in page and 'title="ConnectError: refused"' in page
    client.cookies.set("qunyun_lang", "en")
    english = client.get("/").text
    assert "Bot accounts" in english and "connected" in english and "Last synced" in english


def test_join_request_decided_in_the_console(make_client: Make, seeded: Seeded,
                                             engine: Engine) -> None:
    with engine.begin() as conn:
        item_id, _ = queues.open_item(
            conn, community_id=seeded.community_id, queue="join_request",
            item_key="join:qq:100:20002", title="入群申请：小赵",
            detail={"answer": "想学 Python", "questions": ["谁介绍你来的？"],
                    "request": {"group": ["qq", "100", "进阶营", "group"],
                                "member": ["qq", "20002", "小赵"], "handle": "req-1"}})
    client = make_client("admin")
    listing = client.get("/c/python-camp/queues?queue=join_request").text
    assert "入群申请：小赵" in listing and "想学 Python" in listing
    assert '"handle"' not in listing.split("<details")[0]  # the bot's part stays in raw data
    resp = client.post(f"/c/python-camp/queues/{item_id}",
                       data={"resolution": "dismissed", "reason": "本期名额已满",
                             "csrf": csrf_of(client, "/c/python-camp/queues")})
    assert resp.status_code in (200, 303)
    with engine.connect() as conn:
        assert queue_repo.get_item(conn, item_id=item_id)["status"] == "dismissed"  # type: ignore[index]
        pending = [e for _i, e in audit.pending_effects(conn, community_id=seeded.community_id)
                   if e.kind == "join_answer"]
    assert len(pending) == 1
    answer = pending[0]
    assert answer.approve is False and answer.message == "本期名额已满"  # type: ignore[attr-defined]
    assert answer.handle == "req-1"  # type: ignore[attr-defined]
