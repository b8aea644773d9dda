"""Console fixtures: the app over a seeded database, and signed-in test clients."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.web.app import create_app
from tests.web.seed import PASSWORD, Seeded, seed


@pytest.fixture
def seeded(engine: Engine) -> Seeded:
    return seed(engine)


def csrf_of(client: TestClient, path: str = "/login") -> str:
    html = client.get(path).text
    found = re.search(r'name="csrf" value="([^"]+)"', html) or re.search(
        r'data-csrf="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    token = csrf_of(client)
    response = client.post("/login", data={"csrf": token, "username": username,
                                           "password": password}, follow_redirects=False)
    assert response.status_code == 303, response.text[:300]


@pytest.fixture
def make_client(engine: Engine, seeded: Seeded) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(username: str | None = None, **app_kwargs: object) -> TestClient:
        app = create_app(engine, secure_cookies=False, **app_kwargs)  # type: ignore[arg-type]
        client = TestClient(app, base_url="http://127.0.0.1")
        clients.append(client)
        if username:
            sign_in(client, username)
        return client

    yield make
    for c in clients:
        c.close()
