"""Sessions, CSRF tokens and sign-in limiting for the console.

The session is a cookie signed with itsdangerous (secret kept in the database, so it
survives restarts and every worker shares it). It holds the operator id, the account's
session epoch (a password change ends old sessions) and the CSRF token. Every visitor
gets a session, signed in or not, so the login form is CSRF-protected too. The cookie is
HttpOnly, SameSite=Lax and Secure unless the console is served on localhost.

Sign-in limiting is per process (the console runs as one process): failures are counted
per username and per client address over a sliding window.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "qunyun_session"
SESSION_MAX_AGE = 12 * 3600


@dataclass
class Session:
    csrf: str
    operator_id: int | None = None
    epoch: int = 0
    changed: bool = False

    def sign_in(self, operator_id: int, epoch: int) -> None:
        # A fresh CSRF token at sign-in: a token planted before login is worthless after it.
        self.csrf = secrets.token_urlsafe(24)
        self.operator_id = operator_id
        self.epoch = epoch
        self.changed = True

    def sign_out(self) -> None:
        self.csrf = secrets.token_urlsafe(24)
        self.operator_id = None
        self.changed = True

    def to_dict(self) -> dict[str, Any]:
        return {"c": self.csrf, "o": self.operator_id, "e": self.epoch}


class SessionCodec:
    def __init__(self, secret: str) -> None:
        self._s = URLSafeTimedSerializer(secret, salt="qunyun-console-session")

    def load(self, cookie: str | None) -> Session:
        if cookie:
            try:
                data = self._s.loads(cookie, max_age=SESSION_MAX_AGE)
            except BadSignature:
                data = None
            if isinstance(data, dict) and isinstance(data.get("c"), str):
                op = data.get("o")
                return Session(csrf=data["c"], operator_id=op if isinstance(op, int) else None,
                               epoch=int(data.get("e") or 0))
        return Session(csrf=secrets.token_urlsafe(24), changed=True)

    def dump(self, session: Session) -> str:
        return self._s.dumps(session.to_dict())


def csrf_ok(session: Session, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(session.csrf, str(submitted))


@dataclass
class LoginLimiter:
    """At most `per_user` failures per username and `per_address` per address in `window` s."""

    per_user: int = 5
    per_address: int = 20
    window: float = 15 * 60
    _fails: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._fails.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def blocked_for(self, username: str, address: str) -> float:
        """Seconds until another attempt is allowed (0 when allowed now)."""
        now = time.monotonic()
        with self._lock:
            waits = []
            for key, limit in ((f"u:{username}", self.per_user),
                               (f"a:{address}", self.per_address)):
                times = self._recent(key, now)
                if len(times) >= limit:
                    waits.append(times[0] + self.window - now)
            return max(waits, default=0.0)

    def failed(self, username: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in (f"u:{username}", f"a:{address}"):
                self._recent(key, now).append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._fails.pop(f"u:{username}", None)


def is_local_host(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")
