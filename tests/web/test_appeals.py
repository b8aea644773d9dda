"""The console's appeal decision acts (R3, issue 11 item 12): approving withdraws the
warnings the appeal is about and queues the bot's message to the member; rejecting queues
the operator's reason. Both go through the services and land in the outbox."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from qunyun.services import queues as queue_service
from qunyun.services import warnings as warning_service
from qunyun.storage.tables import audit_log, groups
from qunyun.storage.work import queues as queue_repo
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded

Make = Callable[..., TestClient]
NOW = 1_900_000_000_000


def _appeal(engine: Engine, seeded: Seeded) -> tuple[int, int]:
    with engine.begin() as conn:
        group_id = int(conn.execute(select(groups.c.id).where(
            groups.c.community_id == seeded.community_id)).scalar_one())
        warned = warning_service.do_warn(
            conn, community_id=seeded.community_id, member_id=seeded.script_member_id,
            group_id=group_id, rule="link", reason="发送未经允许的链接", evidence={},
            at_ms=NOW, expiry_days=30, limit=3)
        item, _ = queue_service.open_item(
            conn, community_id=seeded.community_id, queue="appeal", item_key="appeal:$x",
            title="坏人 的申诉", detail={"text": "我没发广告", "warnings": [warned.warning_id]},
            member_id=seeded.script_member_id, group_id=group_id, at_ms=NOW)
    return item, warned.warning_id


def _pending(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.actor, audit_log.c.action, audit_log.c.effect)
                            .where(audit_log.c.status == "pending")).mappings()
        return [dict(r) for r in rows]


def test_approving_an_appeal_in_the_console_withdraws_the_warning_and_tells_the_member(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    item, warning = _appeal(engine, seeded)
    client = make_client("vol")
    token = csrf_of(client, "/c/python-camp/queues")
    response = client.post(f"/c/python-camp/queues/{item}",
                           data={"csrf": token, "resolution": "approved", "reason": "误判"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'data-status="approved"' in response.text
    with engine.connect() as conn:
        assert warning_service.live_count(conn, member_id=seeded.script_member_id,
                                          now_ms=NOW + 1) == 0
        assert queue_repo.get_item(conn, item_id=item)["status"] == "approved"  # type: ignore[index]
        history = warning_service.warning_history(conn, member_id=seeded.script_member_id)
    assert [w["revoked_by"] for w in history if w["id"] == warning] == ["vol"]
    dm, told = _pending(engine)
    assert dm["actor"] == "operator:vol" and dm["action"] == "dm"
    # Appealed in the group: one line there says where the answer is (walk finding 66),
    # the result itself stays in the DM.
    assert "结果已私信你" in str(told["effect"]) and "误判" not in str(told["effect"])
    assert "申诉已通过" in str(dm["effect"]) and "误判" in str(dm["effect"])
    # The member reads Chinese sentences with no stray space between them (issue 11).
    assert "不再计入。管理员说明：误判" in str(dm["effect"])


def test_rejecting_an_appeal_in_the_console_tells_the_member_why(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    item, _warning = _appeal(engine, seeded)
    client = make_client("admin")
    token = csrf_of(client, "/c/python-camp/queues")
    client.post(f"/c/python-camp/queues/{item}",
                data={"csrf": token, "resolution": "dismissed", "reason": "确实是推广链接"})
    with engine.connect() as conn:
        assert warning_service.live_count(conn, member_id=seeded.script_member_id,
                                          now_ms=NOW + 1) == 1
    dm, told = _pending(engine)
    assert "结果已私信你" in str(told["effect"])
    assert "申诉未通过" in str(dm["effect"]) and "确实是推广链接" in str(dm["effect"])


def test_rejecting_an_appeal_needs_a_reason(make_client: Make, seeded: Seeded,
                                            engine: Engine) -> None:
    """Walk13 finding 44: 驳回 with an empty 理由 told the member 「管理员没有写明原因」. It is
    refused, in the page's language, and nothing changes: the appeal stays open and the
    member is sent nothing."""
    item, _warning = _appeal(engine, seeded)
    client = make_client("admin")
    token = csrf_of(client, "/c/python-camp/queues")
    row = client.post(f"/c/python-camp/queues/{item}",
                      data={"csrf": token, "resolution": "dismissed", "reason": "  "},
                      headers={"HX-Request": "true"})
    assert row.status_code == 200 and 'data-status="open"' in row.text
    assert "驳回申诉要写明理由：机器人会把理由私信告诉成员" in row.text
    page = client.post(f"/c/python-camp/queues/{item}",
                       data={"csrf": token, "resolution": "dismissed", "reason": ""})
    assert 'id="decide-error"' in page.text and "驳回申诉要写明理由" in page.text
    client.cookies.set("qunyun_lang", "en")
    english = client.post(f"/c/python-camp/queues/{item}", headers={"HX-Request": "true"},
                          data={"csrf": token, "resolution": "dismissed", "reason": ""})
    assert "A rejection needs a reason" in english.text
    with engine.connect() as conn:
        assert queue_repo.get_item(conn, item_id=item)["status"] == "open"  # type: ignore[index]
    assert _pending(engine) == []
