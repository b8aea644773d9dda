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

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine

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


def _int_routes() -> list[tuple[str, str, list[str], list[str]]]:
    """(method, path template, int path params, int query params) of every route."""
    from qunyun.web.routes import audit, auth, members, operators, overview, plan, queues

    out = []
    routes = [r for m in (auth, overview, members, queues, audit, plan, operators)
              for r in m.router.routes]
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        ints_path = [p.name for p in route.dependant.path_params
                     if p.field_info.annotation in (int,)]
        ints_query = [p.name for p in route.dependant.query_params
                      if p.field_info.annotation in (int, int | None)]
        for method in sorted(route.methods or []):
            if ints_path or ints_query:
                out.append((method, route.path, ints_path, ints_query))
    return out


def test_every_route_with_an_id_or_offset_answers_404_or_422_on_a_huge_integer(
        make_client: Make, seeded: Seeded) -> None:
    client = make_client("owner")
    token = csrf_of(client, "/")
    routes = _int_routes()
    seen = {path for _m, path, _p, _q in routes}
    assert {"/c/{slug}/members/{member_id}", "/c/{slug}/g/{group_id}", "/c/{slug}/members",
            "/c/{slug}/audit", "/c/{slug}/queues/{item_id}",
            "/operators/{operator_id}/sessions/{session_id}/end"} <= seen
    checked = 0
    for method, template, path_ints, query_ints in routes:
        for huge in (HUGE, str(2**63), str(2**31), "-" + HUGE):
            filled = template.replace("{slug}", "python-camp")
            for name in path_ints:
                filled = filled.replace("{" + name + "}", huge)
            targets = [(filled, 404)] if path_ints else []
            if not path_ints:
                targets += [(f"{filled}?{name}={huge}", 422) for name in query_ints
                            if (not huge.startswith("-") or name != "offset")
                            and (huge == HUGE or name != "before")]  # audit ids are 64-bit
            for url, expected in targets:
                if method == "GET":
                    response = client.get(url)
                else:
                    response = client.post(url, data={"csrf": token, "role": "viewer",
                                                      "resolution": "done"})
                assert response.status_code == expected, (method, url, response.text[:200])
                _headers_ok(response)
                assert ("找不到" if expected == 404 else "请求有误") in response.text
                checked += 1
    assert checked >= 30
    # The largest id that fits is simply a row that does not exist.
    for path in (f"/c/python-camp/members/{2**31 - 1}", f"/c/python-camp/g/{2**31 - 1}",
                 f"/c/python-camp/g/{2**31 - 1}/panel"):
        assert client.get(path).status_code == 404
    assert client.get(f"/c/python-camp/audit?before={2**63 - 1}").status_code == 200
    assert client.get(f"/c/python-camp/audit?member={HUGE}").status_code == 200
    assert client.get("/c/python-camp/members?offset=-5").status_code == 200


class _Proxy:
    """A TCP forwarder on 127.0.0.1 that the test can cut and restore (the database
    "going away" without touching the shared PostgreSQL)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
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
