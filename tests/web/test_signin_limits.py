"""Sign-in limits nobody can turn against the owner: a brute-force run from one address
slows that address and untrusted tries at the account, never the owner's own browser."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.services import signin
from qunyun.web.app import create_app
from qunyun.web.security import DEVICE_COOKIE
from tests.web.conftest import csrf_of
from tests.web.seed import PASSWORD, Seeded


def _browser(engine: Engine, address: str) -> TestClient:
    return TestClient(create_app(engine, secure_cookies=False), base_url="http://127.0.0.1",
                      client=(address, 40000))


def _try(client: TestClient, username: str, password: str) -> int:
    response = client.post("/login", data={"csrf": csrf_of(client), "username": username,
                                           "password": password}, follow_redirects=False)
    return response.status_code


def test_the_owner_signs_in_during_a_brute_force_run_from_another_address(
        engine: Engine, seeded: Seeded) -> None:
    owner = _browser(engine, "192.0.2.10")
    assert _try(owner, "owner", PASSWORD) == 303
    assert DEVICE_COOKIE in owner.cookies  # this browser is now a known device for "owner"
    owner.post("/logout", data={"csrf": csrf_of(owner, "/")})

    attacker = _browser(engine, "198.51.100.7")
    codes = [_try(attacker, name, "guess-123456")
             for name in ("owner", "admin", "vol", "viewer") for _ in range(5)]
    assert codes == [401] * 20  # five free tries per account, then …
    assert _try(attacker, "outsider", "guess-123456") == 429  # … the address is stopped
    assert _try(attacker, "outsider", PASSWORD) == 429  # even with the right password
    assert _try(attacker, "owner", PASSWORD) == 429

    # The owner's known browser is not slowed by any of it …
    assert _try(owner, "owner", PASSWORD) == 303
    assert owner.get("/").status_code == 200
    # … and from a new browser elsewhere the account is at most delayed by seconds (five
    # failures cost one second, long gone by now): the right password is accepted.
    elsewhere = _browser(engine, "203.0.113.5")
    assert _try(elsewhere, "owner", PASSWORD) == 303


def test_a_device_cookie_exempts_only_the_account_it_was_issued_for(
        engine: Engine, seeded: Seeded) -> None:
    browser = _browser(engine, "192.0.2.20")
    assert _try(browser, "vol", PASSWORD) == 303
    for _ in range(5):
        assert _try(browser, "admin", "guess-123456") == 401
    assert _try(browser, "admin", PASSWORD) == 429  # vol's device cookie does not cover admin
    for _ in range(signin.DEVICE_LIMIT):
        assert _try(browser, "vol", "guess-123456") == 401
    assert _try(browser, "vol", PASSWORD) == 429  # a device that keeps failing stops too


def test_the_account_delay_grows_but_is_capped(engine: Engine) -> None:
    attempt = signin.Attempt(username="owner", address="198.51.100.9")
    now = 1_000_000_000_000
    with engine.begin() as conn:
        for i in range(signin.ACCOUNT_FREE):
            assert signin.wait_seconds(conn, attempt, now_ms=now + i) == 0
            signin.failed(conn, attempt, now_ms=now + i)
        last = now + signin.ACCOUNT_FREE
        assert 0 < signin.wait_seconds(conn, attempt, now_ms=last) <= 1
        assert signin.wait_seconds(conn, attempt, now_ms=last + 1000) == 0
        spread = [signin.Attempt(username="owner", address=f"198.51.100.{i}")
                  for i in range(100)]
        for i, other in enumerate(spread):
            signin.failed(conn, other, now_ms=last + i)
        wait = signin.wait_seconds(conn, attempt, now_ms=last + 100)
    assert 59 < wait <= signin.ACCOUNT_MAX_DELAY_S  # a minute at most, however many tries
    with engine.begin() as conn:
        later = signin.wait_seconds(conn, attempt, now_ms=now + signin.WINDOW_S * 1000 + 200)
    assert later == 0  # the window passes and the account is as before


def test_signing_in_while_the_bot_writes_never_fails(engine: Engine, seeded: Seeded) -> None:
    """Several console workers and the bot write one SQLite file: a sign-in (which checks
    the password, then records the failure or the session) must wait its turn, not answer
    "数据库暂时无法连接" because someone else wrote while the password was being checked."""
    import threading
    import time
    from datetime import timedelta

    from qunyun.events import GroupRef, MessagePosted
    from qunyun.pipeline.runner import Pipeline
    from tests.factories import T0, user

    group = GroupRef("matrix", "!qa:localhost", "Python 训练营 · 答疑群")
    stop = threading.Event()
    written = [0]

    def bot() -> None:  # the bot's pipeline: a message every few milliseconds, each committed
        pipeline = Pipeline(engine, community_id=seeded.community_id, policies=[])
        deadline = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < deadline:
            n = written[0]
            pipeline.process(MessagePosted(
                source="busy-bot", source_event_id=f"b{n}", group=group,
                at=T0 + timedelta(seconds=n), actor=user(1 + n % 3), text="在写"))
            written[0] += 1
            time.sleep(0.002)

    writer = threading.Thread(target=bot, daemon=True)
    writer.start()
    try:
        browser = _browser(engine, "192.0.2.30")
        codes = [_try(browser, "admin", "guess-123456") for _ in range(3)]
        codes.append(_try(browser, "admin", PASSWORD))
        pages = [browser.get("/").status_code for _ in range(5)]
    finally:
        stop.set()
        writer.join(timeout=30)
    assert written[0] > 10  # the bot really was writing meanwhile
    assert codes == [401, 401, 401, 303]
    assert pages == [200] * 5
