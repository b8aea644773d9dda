"""A console worker runs at most `threads` requests at once (`qunyun serve --threads`,
default 8), the others waiting their turn in arrival order: under load, anyio's 40
threads interleaved every page with the others under one GIL (issue 13)."""

from __future__ import annotations

import anyio.to_thread
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.cli.serve import DEFAULT_THREADS
from qunyun.web.app import create_app


def test_the_worker_runs_as_many_requests_at_once_as_it_was_given(engine: Engine) -> None:
    def tokens() -> float:
        return float(anyio.to_thread.current_default_thread_limiter().total_tokens)

    with TestClient(create_app(engine, secure_cookies=False, threads=3)) as client:
        assert client.portal is not None
        assert client.portal.call(tokens) == 3
    assert 1 < DEFAULT_THREADS < 40
