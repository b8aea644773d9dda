"""Sign-in limits that slow a password-guesser down without locking the owner out.

The policy follows OWASP's "slow down online guessing attacks with device cookies":
- A browser that signed in successfully as an account holds a device cookie for it
  (signed, 180 days). Signing in as that account with that cookie counts failures against
  the device only: `DEVICE_LIMIT` failures in `WINDOW_S` stop that device for the rest of
  the window. Nothing an attacker does elsewhere slows a trusted device down.
- Without a device cookie for the account, two limits apply:
  - per account: after `ACCOUNT_FREE` failures in the window, each further attempt must
    wait `2^(n - ACCOUNT_FREE)` seconds after the previous failure, at most
    `ACCOUNT_MAX_DELAY_S` — a delay, never a lockout: the right password is accepted
    as soon as the delay has passed;
  - per address: `ADDRESS_LIMIT` failures in the window stop that address.
Failures are rows in the database (`storage/console/sessions.py`), so every worker
process sees the same counts. The address is the socket peer unless the operator told
`qunyun serve` which proxies may set X-Forwarded-For.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from sqlalchemy import Connection

from qunyun.storage.console import sessions as repo

WINDOW_S = 15 * 60
ACCOUNT_FREE = 5
ACCOUNT_MAX_DELAY_S = 60
ADDRESS_LIMIT = 20
DEVICE_LIMIT = 10


@dataclass(frozen=True)
class Attempt:
    """Who is trying: the account name, the client address, and the device cookie's id
    when the browser holds one issued for this account."""

    username: str
    address: str
    device: str | None = None

    @property
    def account_key(self) -> str:
        digest = hashlib.sha256(self.username.encode("utf-8", "replace")).hexdigest()[:40]
        return f"u:{digest}"

    @property
    def address_key(self) -> str:
        return f"a:{self.address[:64]}"

    @property
    def device_key(self) -> str:
        return f"d:{(self.device or '')[:64]}"


def _now_ms() -> int:
    return int(time.time() * 1000)


def wait_seconds(conn: Connection, attempt: Attempt, *, now_ms: int | None = None) -> float:
    """Seconds before `attempt` may be checked (0: check the password now)."""
    now = now_ms if now_ms is not None else _now_ms()
    since = now - WINDOW_S * 1000
    if attempt.device is not None:
        n, first, _last = repo.failures_since(conn, key=attempt.device_key, since_ms=since)
        if n >= DEVICE_LIMIT and first is not None:
            return max(0.0, (first + WINDOW_S * 1000 - now) / 1000)
        return 0.0
    waits = [0.0]
    n, first, _last = repo.failures_since(conn, key=attempt.address_key, since_ms=since)
    if n >= ADDRESS_LIMIT and first is not None:
        waits.append((first + WINDOW_S * 1000 - now) / 1000)
    n, _first, last = repo.failures_since(conn, key=attempt.account_key, since_ms=since)
    if n >= ACCOUNT_FREE and last is not None:
        delay = min(ACCOUNT_MAX_DELAY_S, 2 ** (n - ACCOUNT_FREE))
        waits.append((last + delay * 1000 - now) / 1000)
    return max(waits)


def failed(conn: Connection, attempt: Attempt, *, now_ms: int | None = None) -> None:
    now = now_ms if now_ms is not None else _now_ms()
    keys = [attempt.device_key] if attempt.device is not None else [
        attempt.account_key, attempt.address_key]
    repo.add_failure(conn, keys=keys, now_ms=now, prune_before_ms=now - WINDOW_S * 1000)


def succeeded(conn: Connection, attempt: Attempt) -> None:
    # Only the device's own count is forgiven: an attacker's failures against the account
    # keep slowing the attacker down after the owner signs in.
    if attempt.device is not None:
        repo.clear_failures(conn, key=attempt.device_key)
