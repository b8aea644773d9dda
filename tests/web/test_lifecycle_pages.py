"""E1/E2 in the console: the member 360 page shows removed / revived, the revival queue."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.services import queues as queue_service
from qunyun.storage.lifecycle import cases as case_repo
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded
from tests.web.test_pages import _ok

Make = Callable[..., TestClient]
DAY = 86_400_000


def test_member_page_shows_removal_and_revival_and_the_queue_takes_applications(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    mid = seeded.script_member_id
    with engine.begin() as conn:
        gid = int(conn.exec_driver_sql("SELECT id FROM groups ORDER BY id").scalar_one())
        case = case_repo.open_case(conn, community_id=seeded.community_id, member_id=mid,
                                   group_id=gid, sweep="2026-03-02T10:00", rule="silent",
                                   reason="已连续 30 天未发言", now_ms=10 * DAY,
                                   remove_after_ms=13 * DAY)
        assert case is not None
        case_repo.close(conn, case_id=case, status="removed", now_ms=13 * DAY)
        item, _ = queue_service.open_item(
            conn, community_id=seeded.community_id, queue="revival",
            item_key=f"revival:{case}", title="坏人 申请回群",
            detail={"text": "我补交了作业", "case": case}, member_id=mid, group_id=gid)
    client = make_client("vol")
    page = _ok(client, f"/c/python-camp/members/{mid}")
    assert "淘汰与复活" in page and "已移出" in page and "已连续 30 天未发言" in page
    queue = _ok(client, "/c/python-camp/queues?queue=revival")
    assert "复活申请" in queue and "坏人 申请回群" in queue
    token = csrf_of(client, "/c/python-camp/queues")
    response = client.post(f"/c/python-camp/queues/{item}",
                           data={"csrf": token, "resolution": "approved", "reason": "已补交"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'data-status="approved"' in response.text
    with engine.begin() as conn:
        assert case_repo.revive(conn, case_id=case, how="task", now_ms=20 * DAY)
    page = _ok(client, f"/c/python-camp/members/{mid}")
    assert "已复活（邀请回群）" in page and "邀请回群" in page
    assert "完成复活任务" in page  # E2: how they came back (here: the plan's revival task)
    english = _ok(client, f"/c/python-camp/members/{mid}?lang=en")
    assert "Removal and revival" in english or "淘汰与复活" in english


def test_events_page_shows_attendance_and_feedback(make_client: Make, seeded: Seeded,
                                                   engine: Engine) -> None:
    from qunyun.storage.activities import repo as activity_repo

    mid = seeded.script_member_id
    with engine.begin() as conn:
        aid = activity_repo.upsert(conn, community_id=seeded.community_id, key="night",
                                   name="<b>Pandas</b> 实战夜", starts_ms=10 * DAY,
                                   ends_ms=10 * DAY + 5_400_000, capacity=20, expected=15,
                                   detail={}, now_ms=0)
        activity_repo.save_signup(conn, activity_id=aid, member_id=mid, status="registered",
                                  now_ms=DAY)
        activity_repo.check_in(conn, activity_id=aid, member_id=mid, now_ms=10 * DAY)
        activity_repo.feedback(conn, activity_id=aid, member_id=mid, rating=4,
                               text="很实用<script>", now_ms=11 * DAY)
    client = make_client("viewer")
    page = _ok(client, "/c/python-camp/activities")
    assert "&lt;b&gt;Pandas&lt;/b&gt; 实战夜" in page and "很实用&lt;script&gt;" in page
    row = page.split('id="activities-past"')[1].split("</tbody>")[0]  # 1970: past
    assert ">15<" in row and ">1<" in row and ">4.0<" in row
    assert "近 7 天最带动活跃的内容" in page
    _ok(client, "/c/python-camp/activities?lang=en")


def test_an_operator_files_a_removed_members_revival_from_the_member_page(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    """E2 "or the form": the member paid or asked outside the bot; the operator files the
    application on member 360, it waits in 复活申请 like a `!复活`, and once approved it is
    what the bot's revival probe invites back."""
    from qunyun.services import elimination as elimination_service
    from qunyun.storage.work import queues as queue_repo

    mid = seeded.script_member_id
    with engine.begin() as conn:
        gid = int(conn.exec_driver_sql("SELECT id FROM groups ORDER BY id").scalar_one())
        case = case_repo.open_case(conn, community_id=seeded.community_id, member_id=mid,
                                   group_id=gid, sweep="2026-03-02T10:00", rule="silent",
                                   reason="已连续 30 天未发言", now_ms=10 * DAY,
                                   remove_after_ms=13 * DAY)
        assert case is not None
        case_repo.close(conn, case_id=case, status="removed", now_ms=13 * DAY)
    client = make_client("admin")
    page = _ok(client, f"/c/python-camp/members/{mid}")
    assert 'id="revival-form"' in page and "代为提交复活申请" in page
    token = csrf_of(client, f"/c/python-camp/members/{mid}")
    response = client.post(f"/c/python-camp/members/{mid}/revival",
                           data={"csrf": token, "text": "已补交学费"}, follow_redirects=False)
    assert response.status_code == 303
    assert "已提交" in _ok(client, response.headers["location"])
    with engine.begin() as conn:
        items = queue_repo.list_items(conn, community_id=seeded.community_id, queue="revival",
                                      member_id=mid)
        assert [(i["item_key"], i["detail"]["text"]) for i in items] == [
            (f"revival:{case}", "已补交学费")]
    queue = _ok(client, "/c/python-camp/queues?queue=revival")
    assert "申请回群" in queue and "移出原因：已连续 30 天未发言" in queue
    assert "代为提交：admin" in queue and "内容：已补交学费" in queue
    shown = queue.split("<details", 1)[0] + queue.split("</details>")[-1]
    assert "removed_for" not in shown and "case：" not in shown
    audit = _ok(client, "/c/python-camp/audit")
    assert "代为提交复活申请" in audit
    response = client.post(f"/c/python-camp/queues/{items[0]['id']}",
                           data={"csrf": token, "resolution": "approved", "reason": "已到账"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    with engine.begin() as conn:
        due = elimination_service.revivals_due(conn, community_id=seeded.community_id)
        assert [int(d["case"]["id"]) for d in due] == [case]
    with engine.connect() as conn:
        other = int(conn.exec_driver_sql(
            f"SELECT id FROM members WHERE community_id = {seeded.community_id} "
            f"AND id <> {mid} ORDER BY id LIMIT 1").scalar_one())
    refused = client.post(f"/c/python-camp/members/{other}/revival",
                          data={"csrf": token, "text": "想回来"})
    assert refused.status_code == 422 and "该成员没有被移出" in refused.text
    assert 'value="想回来"' in refused.text  # what was typed is kept


def test_member_page_shows_a_removal_at_the_warning_limit_and_the_upheld_appeal(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    """R2 送机票 is a removal on record (issue 11, finding 70): member 360 shows it, and an
    upheld appeal shows as how the member came back (申诉通过 / appeal upheld)."""
    from qunyun.services import elimination as elimination_service

    mid = seeded.script_member_id
    with engine.begin() as conn:
        gid = int(conn.exec_driver_sql("SELECT id FROM groups ORDER BY id").scalar_one())
        case = elimination_service.record_removal(
            conn, community_id=seeded.community_id, member_id=mid, group_id=gid,
            key="warnings:m9", reason="累计 3 次警告：发广告（送机票）", now_ms=13 * DAY)
        assert case is not None
    client = make_client("vol")
    page = _ok(client, f"/c/python-camp/members/{mid}")
    assert "已移出" in page and "累计 3 次警告：发广告（送机票）" in page
    with engine.begin() as conn:
        assert case_repo.revive(conn, case_id=case, how="appeal", now_ms=20 * DAY)
    upheld = _ok(client, f"/c/python-camp/members/{mid}")
    lifecycle = upheld.split('id="member-lifecycle"', 1)[1].split("</ul>", 1)[0]
    # Issue 11 walk13 #24: an upheld appeal is not called a revival; the time is the invitation.
    assert "申诉通过，已邀请回群" in lifecycle and "复活" not in lifecycle
    assert "邀请回群" in lifecycle
    heading = upheld.split('<h1 id="member-name">', 1)[1].split("</h1>", 1)[0]
    assert f"#{mid}" not in heading  # walk13 #25: the name, not an internal number
    english = _ok(client, f"/c/python-camp/members/{mid}?lang=en")
    assert "appeal upheld" in english and "3 warnings, the last for advertising: removed" in english
    lifecycle_en = english.split('id="member-lifecycle"', 1)[1].split("</ul>", 1)[0]
    assert "revived" not in lifecycle_en and "（" not in lifecycle_en
    assert "appeal upheld: invited back" in lifecycle_en and "why: 3 warnings" in lifecycle_en
