"""No bare 500s: a number too large for the database in any route's path or query string
answers the console's 404/422 page, and an unreachable database the 503 page — each with
the security headers; the console recovers when the database is back."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.ports import free_port
from qunyun.storage.engine import make_engine
from qunyun.web.app import create_app
from tests.web.conftest import csrf_of, sign_in
from tests.web.seed import Seeded

Make = Callable[..., TestClient]
HUGE = "99999999999999999999999"


def _headers_ok(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["content-type"].startswith("text/html")


def _app_routes(routes: list[Any]) -> list[APIRoute]:
    """Every APIRoute of the app, through included routers (FastAPI keeps them nested)."""
    out: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            out.append(route)
        elif hasattr(route, "original_router"):
            out += _app_routes(route.original_router.routes)
    return out


_INT_TYPES = (int, int | None, list[int], list[int] | None)


def _ints(params: list[Any]) -> list[str]:
    return [p.alias for p in params if _base(p.field_info.annotation) in _INT_TYPES]


def _base(annotation: Any) -> Any:
    # list[Annotated[int, ...]] | None → list[int] | None: the bound is inside the list.
    text = str(annotation)
    if "list[typing.Annotated[int" in text:
        return list[int] | None if "None" in text else list[int]
    return annotation


def _all_routes(engine: Engine) -> list[APIRoute]:
    return _app_routes(create_app(engine, secure_cookies=False).routes)


HUGES = (HUGE, str(2**63), str(2**31), "-" + HUGE)


class _Walk:
    """Realistic values for every parameter, so that the one huge number is the only
    thing wrong with a request (an unknown slug or a missing field would answer first)."""

    def __init__(self, engine: Engine, seeded: Seeded, client: TestClient) -> None:
        from sqlalchemy import text

        self.client = client
        self.token = csrf_of(client, "/")
        client.post("/c/python-camp/calendar/sync", data={"csrf": self.token})
        with engine.connect() as conn:
            entry, slot = conn.execute(text(
                "SELECT id, next_ms FROM schedule_entries WHERE community_id = :c "
                "ORDER BY id LIMIT 1"), {"c": seeded.community_id}).one()
            group = conn.execute(text("SELECT id FROM groups WHERE community_id = :c"),
                                 {"c": seeded.community_id}).scalar_one()
            viewer = conn.execute(text("SELECT id FROM operators WHERE username = 'viewer'"),
                                  ).scalar_one()
        self.path = {"slug": "python-camp", "member_id": seeded.script_member_id,
                     "group_id": group, "item_id": seeded.todo_item, "entry_id": entry,
                     "operator_id": viewer, "session_id": 1, "code": "zh", "bot": "x"}
        self.form = {"resolution": "done", "role": "viewer", "paused": "1", "slot": str(slot),
                     "undo": "0", "text": "你好", "at": "08:00", "day": "2030-01-07",
                     "view": "week", "points": "1", "direction": "grant", "reason": "好",
                     "username": "someone", "password": "a-long-password-1", "intent": "check",
                     "plan_yaml": "x: 1", "member_id": str(seeded.script_member_id)}

    def send(self, route: APIRoute, where: str, name: str, value: str) -> Any:
        dep = route.dependant
        path = route.path
        for p in dep.path_params:
            path = path.replace("{" + p.name + "}", value if (where, name) == ("path", p.alias)
                                else str(self.path.get(p.name, "1")))
        query = {name: value} if where == "query" else {}
        form = {"csrf": self.token}
        for p in dep.body_params:
            form[p.alias] = value if (where, name) == ("form", p.alias) else \
                self.form.get(p.alias, "")
        method = sorted(route.methods or ["GET"])[0]
        if method == "GET":
            return self.client.get(path, params=query)
        return self.client.post(path, params=query, data=form)


_SKIP = {"/logout", "/login"}  # signing out / failing sign-ins would end the walk early
_EXPECTED = {"path": (404, "找不到"), "query": (422, "请求有误"), "form": (422, "请求有误")}


def test_every_route_with_an_id_or_offset_answers_404_or_422_on_a_huge_integer(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    """Walks the app's own routes (every module, GET and POST): each int parameter in a
    path, query string or form, given a number no column can hold."""
    walk = _Walk(engine, seeded, make_client("owner"))
    routes = [r for r in _all_routes(engine) if r.path not in _SKIP]
    checked: set[tuple[str, str, str]] = set()
    for route in routes:
        dep = route.dependant
        for where, params in (("path", dep.path_params), ("query", dep.query_params),
                              ("form", dep.body_params)):
            for name in _ints(params):
                for huge in HUGES:
                    if name in ("offset",) and huge.startswith("-"):
                        continue  # a negative offset is read as the first page
                    if name in ("before", "slot") and huge == str(2**31):
                        continue  # 64-bit: an audit cursor, a moment in milliseconds
                    response = walk.send(route, where, name, huge)
                    status, words = _EXPECTED[where]
                    assert response.status_code == status, (route.path, where, name, huge,
                                                            response.text[:200])
                    _headers_ok(response)
                    assert words in response.text
                    checked.add((route.path, where, name))
    # Everything the issue named, and the routes added since, are among those walked.
    assert {("/c/{slug}/members/{member_id}", "path", "member_id"),
            ("/c/{slug}/g/{group_id}", "path", "group_id"),
            ("/c/{slug}/members", "query", "offset"), ("/c/{slug}/audit", "query", "before"),
            ("/c/{slug}/queues/{item_id}", "path", "item_id"),
            ("/operators/{operator_id}/sessions/{session_id}/end", "path", "session_id"),
            ("/c/{slug}/calendar/{entry_id}/preview", "query", "slot"),
            ("/c/{slug}/calendar/{entry_id}/skip", "form", "slot"),
            ("/c/{slug}/calendar/add", "form", "entry"),
            ("/c/{slug}/volunteers/invite", "form", "member_id"),
            ("/c/{slug}/core/{member_id}/ask", "path", "member_id"),
            ("/operators", "form", "community")} <= checked
    # The largest id that fits is simply a row that does not exist.
    client = walk.client
    for path in (f"/c/python-camp/members/{2**31 - 1}", f"/c/python-camp/g/{2**31 - 1}",
                 f"/c/python-camp/g/{2**31 - 1}/panel"):
        assert client.get(path).status_code == 404
    assert client.get(f"/c/python-camp/audit?before={2**63 - 1}").status_code == 200
    assert client.get(f"/c/python-camp/audit?member={HUGE}").status_code == 200
    assert client.get("/c/python-camp/members?offset=-5").status_code == 200


def test_no_parameter_of_any_route_is_a_500_on_a_huge_integer(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    """Text fields too (points, a member filter, a tier, a date): a huge number typed
    anywhere — or the largest id that fits, naming no row — is an answer from the console,
    never its error page."""
    walk = _Walk(engine, seeded, make_client("owner"))
    sent = 0
    for route in _all_routes(engine):
        if route.path in _SKIP:
            continue
        dep = route.dependant
        for where, params in (("path", dep.path_params), ("query", dep.query_params),
                              ("form", dep.body_params)):
            for p in params:
                for huge in (*HUGES, str(2**31 - 1)):
                    response = walk.send(route, where, p.alias, huge)
                    assert response.status_code < 500, (route.path, where, p.alias, huge,
                                                         response.text[:200])
                    assert response.headers["x-frame-options"] == "DENY"
                    sent += 1
    assert sent > 300


class _Proxy:
    """A TCP forwarder on 127.0.0.1 that the test can cut and restore (the database
    "going away" without touching the shared PostgreSQL)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._conns: list[socket.socket] = []
        self._server: socket.socket | None = None

    def start(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(16)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target, timeout=5)
            self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self._server is not None:
            # shutdown wakes the accepting thread (close alone leaves the socket listening)
            with contextlib.suppress(OSError):
                self._server.shutdown(socket.SHUT_RDWR)
            self._server.close()
            self._server = None
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        self._conns.clear()


@pytest.mark.skipif(not os.environ.get("QUNYUN_TEST_PG_URL"), reason="needs PostgreSQL")
@pytest.mark.parametrize("db_url", ["pg"], indirect=True)
def test_an_unreachable_database_is_a_clear_503_and_recovers(
        db_url: str, seeded: Seeded, caplog: pytest.LogCaptureFixture) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    proxy = _Proxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    engine: Engine = make_engine(url.set(host="127.0.0.1", port=proxy.port)
                                 .render_as_string(hide_password=False))
    try:
        client = TestClient(create_app(engine, secure_cookies=False),
                            base_url="http://127.0.0.1")
        sign_in(client, "owner")
        assert client.get("/").status_code == 200
        proxy.stop()
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="qunyun.web.app"):
            for path in ("/", "/c/python-camp/members", "/login"):
                down = client.get(path)
                assert down.status_code == 503, (path, down.text[:200])
                assert "数据库暂时无法连接" in down.text
                _headers_ok(down)
        records = [r for r in caplog.records if r.name == "qunyun.web.app"]
        assert len(records) == 3  # one line per failed request, no traceback
        assert all(r.exc_info is None and "\n" not in r.getMessage() for r in records)
        proxy.start()
        deadline = time.monotonic() + 20
        status = 0
        while status != 200 and time.monotonic() < deadline:
            status = client.get("/").status_code
            time.sleep(0.1) if status != 200 else None
        assert status == 200  # back by itself, still signed in
    finally:
        proxy.stop()
        engine.dispose()


def test_a_failing_page_is_the_500_page_with_headers_and_a_logged_traceback(
        make_client: Make, seeded: Seeded, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    from qunyun.web.routes import audit

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("boom")

    client = make_client("owner")
    monkeypatch.setattr(audit.console_audit, "entries", broken)
    with caplog.at_level(logging.ERROR, logger="qunyun.web.app"):
        response = client.get("/c/python-camp/audit")
    assert response.status_code == 500 and "出错了" in response.text
    assert "boom" not in response.text  # the traceback goes to the log, not the page
    _headers_ok(response)
    assert any(r.exc_info for r in caplog.records if r.name == "qunyun.web.app")


def test_unknown_pages_wrong_methods_and_oversized_forms_are_console_pages(
        make_client: Make, seeded: Seeded) -> None:
    client = make_client("owner")
    token = csrf_of(client, "/")
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "找不到" in missing.text
    wrong = client.delete("/login")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET"
    huge = client.post("/c/python-camp/members/1/revival",
                       data={"csrf": token, "text": "长" * 400_000})  # 3.6 MB urlencoded
    assert huge.status_code == 400 and "太大" in huge.text
    for response in (missing, wrong, huge):
        _headers_ok(response)
        assert '"detail"' not in response.text


def test_the_largest_plan_that_passes_saves_in_the_editor_and_the_pages_hold(
        make_client: Make, seeded: Seeded) -> None:
    import json

    import yaml

    from tests.plan.test_limits import largest_plan

    data = json.loads(largest_plan().model_dump_json(exclude_none=True))
    text = yaml.safe_dump(data, allow_unicode=True)
    assert len(text) > 150_000  # over 1 MB once urlencoded: Starlette's default refused it
    client = make_client("owner")
    token = csrf_of(client, "/c/python-camp/plan")
    saved = client.post("/c/python-camp/plan", data={"csrf": token, "plan_yaml": text,
                                                     "intent": "save"}, follow_redirects=False)
    assert saved.status_code in (200, 303), saved.text[:300]
    assert "规则49" in client.get("/c/python-camp/plan").text  # stored as sent
    for path in ("/c/python-camp", "/c/python-camp/panel", "/c/python-camp/queues",
                 f"/c/python-camp/members/{seeded.script_member_id}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "报告计算失败" not in response.text
    refresh = client.post("/c/python-camp/queues/refresh", data={"csrf": token},
                          follow_redirects=False)
    assert refresh.status_code == 303
