"""Session and device cookies, CSRF tokens, and the client address for sign-in limits.

The session cookie is signed with itsdangerous (secret kept in the database, so it
survives restarts and every worker shares it). It holds the CSRF token and, once signed
in, the id of a server-side session (`qunyun.services.sessions`): ending that row ends
the session whatever the browser still holds. Every visitor gets a cookie, signed in or
not, so the login form is CSRF-protected too. Cookies are HttpOnly, SameSite=Lax and
Secure unless the console is served on localhost.

The device cookie (`qunyun_device`) is set by a successful sign-in and names the account
it was issued for; holding it exempts that browser from the limits others' failures put
on the account (see `qunyun.services.signin`).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "qunyun_session"
DEVICE_COOKIE = "qunyun_device"
SESSION_MAX_AGE = 12 * 3600
DEVICE_MAX_AGE = 180 * 86400


@dataclass
class Session:
    csrf: str
    token: str | None = None  # the server-side session's id, once signed in
    changed: bool = False

    def sign_in(self, token: str) -> None:
        # A fresh CSRF token at sign-in: a token planted before login is worthless after it.
        self.csrf = secrets.token_urlsafe(24)
        self.token = token
        self.changed = True

    def sign_out(self) -> None:
        self.csrf = secrets.token_urlsafe(24)
        self.token = None
        self.changed = True

    def to_dict(self) -> dict[str, Any]:
        return {"c": self.csrf, "s": self.token}


class SessionCodec:
    def __init__(self, secret: str) -> None:
        self._s = URLSafeTimedSerializer(secret, salt="qunyun-console-session")
        self._device = URLSafeTimedSerializer(secret, salt="qunyun-console-device")

    def load(self, cookie: str | None) -> Session:
        if cookie:
            try:
                data = self._s.loads(cookie, max_age=SESSION_MAX_AGE)
            except BadSignature:
                data = None
            if isinstance(data, dict) and isinstance(data.get("c"), str):
                token = data.get("s")
                return Session(csrf=data["c"], token=token if isinstance(token, str) else None)
        return Session(csrf=secrets.token_urlsafe(24), changed=True)

    def dump(self, session: Session) -> str:
        return self._s.dumps(session.to_dict())

    def device_for(self, cookie: str | None, username: str) -> str | None:
        """The device id in `cookie` if it was issued for `username`, else None."""
        if not cookie:
            return None
        try:
            data = self._device.loads(cookie, max_age=DEVICE_MAX_AGE)
        except BadSignature:
            return None
        if isinstance(data, dict) and data.get("u") == username and isinstance(data.get("n"), str):
            return str(data["n"])
        return None

    def device_cookie(self, username: str) -> str:
        return self._device.dumps({"u": username, "n": secrets.token_urlsafe(16)})


def csrf_ok(session: Session, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(session.csrf, str(submitted))


def is_local_host(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")
