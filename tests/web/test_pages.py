"""Console pages: overview and report panel, group charts data, member 360, queues,
audit log and plan editor — and member text is always escaped."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.storage.community import communities as community_repo
from qunyun.storage.work import audit as audit_repo
from qunyun.storage.work import queues as queue_repo
from tests.web.conftest import csrf_of
from tests.web.seed import SCRIPT_NICK, Seeded

Make = Callable[..., TestClient]
RAW_KEY = re.compile(r">\s*(queue|status|act|role|step)\.[a-z_]+\s*<")


def _ok(client: TestClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.text[:400])
    assert not RAW_KEY.search(response.text), path  # every UI word has a translation
    return response.text


def test_overview_and_report_panel_show_the_report_numbers(make_client: Make,
                                                           seeded: Seeded) -> None:
    client = make_client("viewer")
    assert "Python 训练营" in _ok(client, "/")
    page = _ok(client, "/c/python-camp")
    assert 'hx-get="/c/python-camp/panel"' in page
    panel = _ok(client, "/c/python-camp/panel")
    report = client.app.state.reports.peek(seeded.community_id)  # type: ignore[attr-defined]
    assert report is not None
    group = report["groups"][0]
    assert f"/c/python-camp/g/{group['id']}" in panel
    assert f'<td class="num" data-k="messages">{group["messages"]}</td>' in panel
    summary = _ok(client, "/c/python-camp/summary")
    assert f'<span class="score">{report["community"]["health"]["score"]}</span>' in summary
    group_panel = _ok(client, f"/c/python-camp/g/{group['id']}/panel")
    blocks = re.findall(r'<script type="application/json" class="chart-data">(.*?)</script>',
                        group_panel, re.S)
    trend = json.loads(blocks[0])
    assert sum(trend["messages"]) == group["messages"]
    assert json.loads(blocks[2]) == group["heatmap"]


def test_a_built_report_is_in_the_page_and_a_report_not_built_yet_follows_it(
        make_client: Make, seeded: Seeded) -> None:
    """Before the first report the page opens at once and fetches its panel after it (a
    build never holds a page up); once one is built the panel is in the page itself, so
    its charts draw as the page shows, and it is fetched again only when the report
    changes."""
    client = make_client("viewer")
    waiting = _ok(client, "/c/python-camp")
    assert 'hx-trigger="load, report-changed from:body"' in waiting
    assert "正在计算报告" in waiting and 'id="health-table"' not in waiting
    _ok(client, "/c/python-camp/panel")  # the report is built
    report = client.app.state.reports.peek(seeded.community_id)  # type: ignore[attr-defined]
    group = report["groups"][0]
    for path in ("/c/python-camp", f"/c/python-camp/g/{group['id']}"):
        page = _ok(client, path)
        assert 'hx-trigger="report-changed from:body"' in page, path
        assert "正在计算报告" not in page, path
        assert 'class="chart-data"' in page and 'id="report-title"' in page, path
    assert f'<td class="num" data-k="messages">{group["messages"]}</td>' in _ok(
        client, "/c/python-camp")


def test_member_page_is_360_and_script_nickname_is_inert(make_client: Make,
                                                         seeded: Seeded) -> None:
    client = make_client("viewer")
    listing = _ok(client, "/c/python-camp/members?q=script")
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;坏人" in listing
    assert SCRIPT_NICK not in listing
    page = _ok(client, f"/c/python-camp/members/{seeded.script_member_id}")
    assert SCRIPT_NICK not in page and "&lt;script&gt;" in page
    for heading in ("平台身份", "昵称历史", "积分", "警告", "新人任务", "处理记录", "邀请人"):
        assert heading in page
    assert "@u4:localhost" in page
    # member 2 was invited by member 1: the upward invite branch is shown
    queues = _ok(client, "/c/python-camp/queues")
    assert SCRIPT_NICK not in queues and "&lt;script&gt;" in queues


def test_member_of_another_community_is_not_found(make_client: Make, seeded: Seeded) -> None:
    client = make_client("owner")
    assert client.get(f"/c/secret/members/{seeded.script_member_id}").status_code == 404


def test_volunteer_resolves_a_queue_item_and_it_is_audited(make_client: Make, seeded: Seeded,
                                                           engine: Engine) -> None:
    client = make_client("vol")
    token = csrf_of(client, "/c/python-camp/queues")
    response = client.post(f"/c/python-camp/queues/{seeded.suspect_item}",
                           data={"csrf": token, "resolution": "exempted", "reason": "老学员"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'data-status="exempted"' in response.text
    with engine.connect() as conn:
        assert queue_repo.get_item(conn, item_id=seeded.suspect_item)["status"] == "exempted"  # type: ignore[index]
        entry = audit_repo.entries(conn, community_id=seeded.community_id)[0]
    assert entry["actor"] == "operator:vol" and entry["action"] == "suspect:exempted"
    audit = _ok(client, "/c/python-camp/audit?action=suspect:")
    assert "operator:vol" in audit and "老学员" in audit
    assert "operator:vol" not in _ok(client, "/c/python-camp/audit?action=plan:")


def test_viewer_cannot_act(make_client: Make, seeded: Seeded, engine: Engine) -> None:
    client = make_client("viewer")
    page = _ok(client, "/c/python-camp/queues")
    assert "只读账号" in page and 'name="resolution"' not in page
    token = csrf_of(client, "/c/python-camp/queues")
    before = _audit_count(engine, seeded)
    refused = client.post(f"/c/python-camp/queues/{seeded.todo_item}",
                          data={"csrf": token, "resolution": "done", "reason": "x"})
    assert refused.status_code == 403
    plan_refused = client.post("/c/python-camp/plan",
                               data={"csrf": token, "plan_yaml": "x: 1", "intent": "save"})
    assert plan_refused.status_code == 403
    with engine.connect() as conn:
        assert queue_repo.get_item(conn, item_id=seeded.todo_item)["status"] == "open"  # type: ignore[index]
        assert community_repo.list_communities(conn)[0]["plan_yaml"] != "x: 1"
    assert _audit_count(engine, seeded) == before


def _audit_count(engine: Engine, seeded: Seeded) -> int:
    """Operators' entries only: a report the console builds in the background meanwhile
    writes its own ("opened N items from the report")."""
    with engine.connect() as conn:
        return len(audit_repo.entries(conn, community_id=seeded.community_id, limit=10_000,
                                      actor_prefix="operator:"))


def test_plan_editor_shows_findings_with_lines_and_previews(make_client: Make, seeded: Seeded,
                                                           engine: Engine) -> None:
    client = make_client("admin")
    page = _ok(client, "/c/python-camp/plan")
    assert 'id="rules-preview"' in page and 'id="welcome-preview"' in page
    token = csrf_of(client, "/c/python-camp/plan")
    text = re.search(r'<textarea[^>]*>(.*?)</textarea>', page, re.S).group(1)  # type: ignore[union-attr]
    import html

    original = html.unescape(text)
    broken = original.replace("size_cap:", "size_cap: 9000\n  old_cap:", 1) \
        if "size_cap:" in original else original + "\ncommunity_typo: 1\n"
    response = client.post("/c/python-camp/plan",
                           data={"csrf": token, "plan_yaml": broken, "intent": "save"})
    assert response.status_code == 422 and "计划无法载入，未保存" in response.text
    assert re.search(r'class="line" data-goto="\d+">第 \d+ 行', response.text)
    # Each finding names the area of the plan in words, not a playbook ID (walk12 #41).
    findings = re.search(r'<ul class="findings".*?</ul>', response.text, re.S).group(0)  # type: ignore[union-attr]
    assert "【" in findings and not re.search(r"\[(?:[A-Z]\d|schema)\]", findings), findings
    with engine.connect() as conn:
        stored = community_repo.list_communities(conn)[0]["plan_yaml"]
    assert stored == original
    draft = original.replace("welcome:", "welcome_unused_section_marker: null\nwelcome:", 1)
    assert draft != original
    saved = client.post("/c/python-camp/plan", data={"csrf": token, "plan_yaml": original,
                                                     "intent": "save"})
    assert saved.status_code == 200 and "已保存" in saved.text
    audit = _ok(client, "/c/python-camp/audit?action=plan:")
    assert "plan:save" in audit and "plan:rejected" in audit


def test_check_only_needs_no_edit_right(make_client: Make, seeded: Seeded) -> None:
    client = make_client("viewer")
    token = csrf_of(client, "/c/python-camp/plan")
    response = client.post("/c/python-camp/plan", data={
        "csrf": token, "plan_yaml": "community:\n  name: 测试\n  slug: t\n  platform: qq\n",
        "intent": "check"})
    assert response.status_code == 200
    assert "第 1 行" in response.text or "第 2 行" in response.text


def test_refresh_queues_from_report_is_idempotent(make_client: Make, seeded: Seeded,
                                                  engine: Engine) -> None:
    client = make_client("admin")
    token = csrf_of(client, "/c/python-camp/queues")
    client.post("/c/python-camp/queues/refresh", data={"csrf": token})
    with engine.connect() as conn:
        first = queue_repo.count_open(conn, community_id=seeded.community_id)
    client.post("/c/python-camp/queues/refresh", data={"csrf": token})
    with engine.connect() as conn:
        assert queue_repo.count_open(conn, community_id=seeded.community_id) == first
    assert sum(first.values()) >= 2


def test_a_failing_report_leaves_the_page_usable(engine: Engine, seeded: Seeded) -> None:
    from qunyun.web.app import create_app
    from qunyun.web.reports import ReportCache
    from tests.web.conftest import sign_in

    def broken(*_a: object, **_k: object) -> dict[str, object]:
        raise RuntimeError("boom")

    app = create_app(engine, secure_cookies=False,
                     reports=ReportCache(engine, builder=broken))
    client = TestClient(app, base_url="http://127.0.0.1")
    sign_in(client, "viewer")
    panel = client.get("/c/python-camp/panel")
    assert panel.status_code == 200 and "报告计算失败" in panel.text and "boom" in panel.text
    assert client.get("/c/python-camp").status_code == 200


def test_every_page_in_english_has_its_words(make_client: Make, seeded: Seeded) -> None:
    client = make_client("owner")
    client.cookies.set("qunyun_lang", "en")
    report = client.app.state.reports.get(seeded.community_id)  # type: ignore[attr-defined]
    gid = report["groups"][0]["id"]
    for path in ("/", "/c/python-camp", "/c/python-camp/panel", f"/c/python-camp/g/{gid}",
                 f"/c/python-camp/g/{gid}/panel", "/c/python-camp/members",
                 f"/c/python-camp/members/{seeded.script_member_id}", "/c/python-camp/queues",
                 "/c/python-camp/audit", "/c/python-camp/plan", "/operators"):
        # The plan's own text (its YAML and Chinese comments, in the editor) is the
        # operator's, not the console's words.
        html = re.sub(r"<textarea\b.*?</textarea>", "", _ok(client, path), flags=re.S)
        assert "成员" not in html and "工作队列" not in html, path


def test_a_plan_for_another_community_is_not_saved(make_client: Make, seeded: Seeded,
                                                   engine: Engine) -> None:
    client = make_client("admin")
    token = csrf_of(client, "/c/python-camp/plan")
    with engine.connect() as conn:
        original = community_repo.list_communities(conn)[0]["plan_yaml"]
    other = str(original).replace("slug: python-camp", "slug: fruit-shop", 1)
    response = client.post("/c/python-camp/plan",
                           data={"csrf": token, "plan_yaml": other, "intent": "save"})
    assert response.status_code == 422 and "slug" in response.text
    with engine.connect() as conn:
        assert community_repo.list_communities(conn)[0]["plan_yaml"] == original


def test_building_the_report_leaves_the_consoles_sqlite_files_alone(
        engine: Engine, seeded: Seeded) -> None:
    """On SQLite the report is built in a child process. Built here, ADBC's own SQLite
    library would, on closing, drop this process's file locks and delete the WAL and its
    index under the console's open connections (later writes through them then fail with
    "database disk image is malformed")."""
    from pathlib import Path

    from sqlalchemy import text

    from qunyun.web.reports import ReportCache

    if engine.dialect.name != "sqlite":
        return
    db = Path(str(engine.url.database))
    held = engine.connect()  # a request's connection, open while the report is built
    held.execute(text("SELECT 1"))
    assert Path(f"{db}-wal").exists() and Path(f"{db}-shm").exists()
    report = ReportCache(engine).get(seeded.community_id)
    assert report is not None and report["groups"]
    assert Path(f"{db}-wal").exists() and Path(f"{db}-shm").exists()
    held.commit()
    with held.begin():
        held.execute(text("UPDATE communities SET name = 'still writable' WHERE slug = 'secret'"))
    held.close()


def test_member_page_shows_the_invite_branch(make_client: Make, seeded: Seeded) -> None:
    client = make_client("viewer")
    html = _ok(client, f"/c/python-camp/members/{seeded.script_member_id}")
    inviter = re.search(r"邀请人</h2>\s*<ul><li><a href=\"/c/python-camp/members/(\d+)\">", html)
    assert inviter, "the inviter of member 4 (member 1) is listed"
    # with the report cached, the same branch comes from its invite edges
    client.app.state.reports.get(seeded.community_id)  # type: ignore[attr-defined]
    again = _ok(client, f"/c/python-camp/members/{seeded.script_member_id}")
    assert f'/c/python-camp/members/{inviter.group(1)}">' in again.split("邀请的人")[0]
    parent = _ok(client, f"/c/python-camp/members/{inviter.group(1)}")
    assert f"/c/python-camp/members/{seeded.script_member_id}" in parent.split("邀请的人")[1]
