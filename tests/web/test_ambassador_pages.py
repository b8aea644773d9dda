"""T2 推广大使 in the console: the volunteers page lists ambassadors and pending invitations
with their codes and the members each brought this month and in total, in Chinese words
(no state codes); member 360 says 推广大使 with the code; the English page has the same;
an operator invites a candidate (the report's 传播者) by hand, the DM through the outbox."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from qunyun.plan.load import load_plan
from qunyun.services import ambassadors as service
from tests.web.conftest import csrf_of
from tests.web.seed import EXAMPLES, Seeded
from tests.web.test_pages import _ok
from tests.web.test_volunteer_pages import member_id

Make = Callable[..., TestClient]
VOL = "/c/python-camp/volunteers"


def test_the_page_lists_ambassadors_invitations_and_members_brought(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    plan = load_plan(EXAMPLES / "python-camp.yaml").plan
    assert plan is not None and plan.ambassadors is not None
    cid = seeded.community_id
    star, pending = member_id(engine, "@u1:localhost"), member_id(engine, "@u2:localhost")
    brought = member_id(engine, "@u3:localhost")
    now = datetime.now(UTC)
    now_ms = int(now.timestamp() * 1000)
    with engine.begin() as conn:
        service.invite(conn, community_id=cid, member_id=star, plan=plan, by="bot",
                       why="成为「传播者」：邀请了 3 人入群（≥2）；近30天没有发言", now_ms=now_ms - 60_000)
        service.answer(conn, community_id=cid, member_id=star, accept=True, plan=plan,
                       now_ms=now_ms - 30_000, links=False)
        service.invite(conn, community_id=cid, member_id=pending, plan=plan, by="lin",
                       why="运营手动邀请", now_ms=now_ms - 20_000)
        assert service.credit_join(conn, community_id=cid, member_id=brought, inviter_id=star,
                                   via="invite", plan=plan, at=now, tz=plan.bot.timezone,
                                   group_id=None, ref="t1") == 30
        code = service.code_of(conn, community_id=cid, member_id=star)
    assert code is not None

    client = make_client("vol")
    page = _ok(client, VOL)
    section = page[page.index('id="amb"'):]
    assert "推广大使" in section and "名额 20 人，已接受 1 人，邀请中 1 人" in section
    assert "每带来一位新成员 +30 分" in section
    rows = section[section.index('id="amb-roster"'):]
    star_row = rows[rows.index(f'/members/{star}"'):].split("</tr>")[0]
    assert code in star_row and "邀请中" not in star_row
    assert re.search(r'<td class="num">1</td><td class="num">1</td>', star_row)  # month, total
    assert "传播者" in star_row  # why they were invited, in words
    pending_row = rows[rows.index(f'/members/{pending}"'):].split("</tr>")[0]
    assert "邀请中" in pending_row and "lin" in pending_row
    assert not re.search(r">(invited|accepted|declined)<", rows), "a state code on the page"

    member = _ok(client, f"/c/python-camp/members/{star}")
    part = member[member.index('id="member-ambassador"'):][:1200]
    assert "推广大使" in part and code in part and "累计带来 1" in part
    assert "未被邀请过做推广大使" in _ok(client, f"/c/python-camp/members/{brought}")

    audit = _ok(client, "/c/python-camp/audit")
    assert "推广大使带来新成员" in audit and "接受推广大使邀请" in audit

    client.cookies.set("qunyun_lang", "en")
    english = _ok(client, VOL)
    part = english[english.index('id="amb"'):]
    assert "Ambassadors" in part and "Brought this month" in part and "ambassador" in part
    assert "entered Spreader: brought 3 members" in part  # why, in English
    assert not re.search(r"[\u4e00-\u9fff]{2,}", part.split('id="amb-roster"')[0]), \
        "Chinese words in the English ambassadors header"


def test_an_operator_invites_a_spreader_by_hand(make_client: Make, seeded: Seeded,
                                                engine: Engine) -> None:
    client = make_client("vol")
    client.app.state.reports.get(seeded.community_id)  # type: ignore[attr-defined]
    page = _ok(client, VOL)
    candidates = page[page.index('id="amb-candidates"'):].split("</table>")[0]
    star = member_id(engine, "@u1:localhost")  # brought 3 members: a 传播者
    assert f'/members/{star}"' in candidates and "传播者" in candidates
    token = csrf_of(client, VOL)
    assert client.post(f"{VOL}/ambassadors/invite",
                       data={"member_id": star}).status_code == 403  # no CSRF token
    done = client.post(f"{VOL}/ambassadors/invite", data={"csrf": token, "member_id": star},
                       follow_redirects=False)
    assert done.status_code == 303
    page = _ok(client, done.headers["location"])
    assert "已邀请做推广大使，私信由机器人发出" in page
    rows = page[page.index('id="amb-roster"'):].split("</table>")[0]
    assert f'/members/{star}"' in rows and "邀请中" in rows and "vol" in rows
    assert f'/members/{star}"' not in page[page.index('id="amb-candidates"'):]
    with engine.connect() as conn:
        dm = conn.execute(text("SELECT actor, status, reason FROM audit_log WHERE action = 'dm' "
                               "AND member_id = :m"), {"m": star}).one()
    assert dm == ("operator:vol", "pending", "T2 ambassador invitation")  # via the outbox
    again = client.post(f"{VOL}/ambassadors/invite", data={"csrf": token, "member_id": star})
    assert "已经是推广大使或已在邀请中" in again.text

    viewer = make_client("viewer")
    refused = viewer.post(f"{VOL}/ambassadors/invite",
                          data={"csrf": csrf_of(viewer, VOL),
                                "member_id": member_id(engine, "@u2:localhost")})
    assert refused.status_code == 403
