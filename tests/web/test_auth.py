"""Console security: sign-in, sessions, CSRF, attempt limiting, setup token, roles, scope."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.services import operators as operator_service
from qunyun.storage.console import operators as operator_repo
from tests.web.conftest import csrf_of, sign_in
from tests.web.seed import PASSWORD, Seeded

Make = Callable[..., TestClient]


def test_pages_need_sign_in(make_client: Make) -> None:
    client = make_client()
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    for path in ("/c/python-camp", "/c/python-camp/members", "/c/python-camp/queues",
                 "/c/python-camp/audit", "/c/python-camp/plan"):
        response = client.get(path, follow_redirects=False)
        # Back to the page asked for once signed in (bot13: a link in an alert).
        assert response.status_code == 303, path
        assert response.headers["location"] == f"/login?next={quote(path, safe='')}", path


def test_sign_in_sets_a_signed_http_only_cookie_and_passwords_are_argon2(
        make_client: Make, engine: Engine) -> None:
    client = make_client()
    token = csrf_of(client)
    response = client.post("/login", data={"csrf": token, "username": "owner",
                                           "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Python 训练营" in client.get("/").text
    with engine.connect() as conn:
        stored = operator_repo.by_username(conn, username="owner")
    assert stored is not None and stored["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in stored["password_hash"]


def test_secure_cookie_when_not_on_localhost(engine: Engine, seeded: Seeded) -> None:
    from qunyun.web.app import create_app

    client = TestClient(create_app(engine, secure_cookies=True), base_url="https://console.example")
    assert "Secure" in client.get("/login").headers["set-cookie"]


def test_wrong_password_and_attempt_limit(make_client: Make) -> None:
    client = make_client()
    token = csrf_of(client)
    for _ in range(5):
        bad = client.post("/login", data={"csrf": token, "username": "owner", "password": "nope"})
        assert bad.status_code == 401 and "用户名或密码不对" in bad.text
    # From a browser the account never signed in on, the next try waits (seconds, not a
    # lockout); the sign-in limits are tested in tests/web/test_signin_limits.py.
    slowed = client.post("/login", data={"csrf": token, "username": "owner",
                                         "password": PASSWORD})
    assert slowed.status_code == 429 and "尝试次数过多" in slowed.text and "秒" in slowed.text


def test_post_without_csrf_is_refused(make_client: Make, seeded: Seeded) -> None:
    client = make_client()
    response = client.post("/login", data={"username": "owner", "password": PASSWORD})
    assert response.status_code == 403
    signed = make_client("owner")
    refused = signed.post(f"/c/python-camp/queues/{seeded.todo_item}",
                          data={"resolution": "done", "csrf": "forged"})
    assert refused.status_code == 403
    assert "open" in signed.get("/c/python-camp/queues").text


def test_logout_ends_the_session(make_client: Make) -> None:
    client = make_client("owner")
    token = csrf_of(client, "/")
    assert client.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_password_change_ends_old_sessions(make_client: Make, engine: Engine) -> None:
    client = make_client("vol")
    assert client.get("/").status_code == 200
    with engine.begin() as conn:
        operator_service.set_password(conn, username="vol", password="another long password")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_one_time_setup_token_creates_the_first_owner(engine: Engine) -> None:
    from qunyun.web.app import create_app

    app = create_app(engine, secure_cookies=False, setup_token="tok-123")
    client = TestClient(app, base_url="http://127.0.0.1")
    assert client.get("/setup?token=wrong").status_code == 404
    page = client.get("/setup?token=tok-123")
    assert page.status_code == 200
    token = csrf_of(client, "/setup?token=tok-123")
    done = client.post("/setup", data={"csrf": token, "token": "tok-123", "username": "first",
                                       "password": "a long secret 1", "password2": "a long secret 1"},
                       follow_redirects=False)
    assert done.status_code == 303
    assert client.get("/setup?token=tok-123").status_code == 404  # used up
    sign_in(client, "first", "a long secret 1")
    assert client.get("/").status_code == 200


def test_scope_hides_other_communities(make_client: Make) -> None:
    outsider = make_client("outsider")
    assert "Python 训练营" not in outsider.get("/").text
    assert outsider.get("/c/python-camp").status_code == 403
    assert outsider.get("/c/python-camp/members").status_code == 403


def test_english_ui(make_client: Make) -> None:
    client = make_client("owner")
    client.cookies.set("qunyun_lang", "en")
    html = client.get("/c/python-camp/queues").text
    assert "Work queues" in html and "工作队列" not in html


def test_security_headers(make_client: Make) -> None:
    response = make_client().get("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_owner_manages_operators_and_others_cannot(make_client: Make, seeded: Seeded,
                                                   engine: Engine) -> None:
    owner = make_client("owner")
    token = csrf_of(owner, "/operators")
    created = owner.post("/operators", data={"csrf": token, "username": "newvol",
                                             "password": "a long password", "role": "volunteer",
                                             "community": str(seeded.community_id)},
                         follow_redirects=False)
    assert created.status_code == 303
    with engine.connect() as conn:
        op = operator_service.authenticate(conn, username="newvol", password="a long password")
    assert op is not None and op.role == "volunteer" and op.communities == {seeded.community_id}
    admin = make_client("admin")
    assert admin.get("/operators").status_code == 403
    token = csrf_of(admin, "/")
    assert admin.post("/operators", data={"csrf": token, "username": "evil",
                                          "password": "a long password",
                                          "role": "owner"}).status_code == 403
