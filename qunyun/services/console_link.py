"""Where the console is, so the bot's alerts in the admins' room link to the console page
they are about (the queue item, the member page; bot13, issue 11).

One way, documented in the README:
- `QUNYUN_CONSOLE_URL` (the console's public address behind a proxy, e.g.
  `https://qunyun.example.org`) wins wherever it is set: in the console's process or the
  bot's.
- Otherwise the console says where it serves when it starts (`qunyun up`, `qunyun serve`:
  `record`), in the database the bot reads, so a bot in another process (`qunyun bot`)
  links to it too.
- Neither: no link (an alert never carries a guessed address).

A page is a path inside the community (`queues/12`, `members/42`); `page_url` makes it
`<console>/c/<slug>/<page>`.
"""

from __future__ import annotations

import os
import time

from sqlalchemy import Connection

from qunyun.storage.bot import adapter_state
from qunyun.storage.community import communities as community_repo

ENV = "QUNYUN_CONSOLE_URL"
KEY = "console:url"


def _clean(url: str | None) -> str | None:
    url = (url or "").strip().rstrip("/")
    return url if url.startswith(("http://", "https://")) else None


def record(conn: Connection, *, served_at: str) -> str:
    """The console started at `served_at` (`http://127.0.0.1:8080`): remember its address
    for the bot — `QUNYUN_CONSOLE_URL` instead when set. Returns the address recorded."""
    url = _clean(os.environ.get(ENV)) or _clean(served_at) or served_at
    adapter_state.save(conn, key=KEY, value=url, now_ms=int(time.time() * 1000))
    return url


def base_url(conn: Connection) -> str | None:
    """The console's address as the bot should link to it, or None when not known."""
    return _clean(os.environ.get(ENV)) or _clean(adapter_state.load(conn, key=KEY))


def page_url(conn: Connection, *, community_id: int, page: str) -> str | None:
    """The full address of a community's console page, or None (no page, no address)."""
    if not page:
        return None
    base = base_url(conn)
    if base is None:
        return None
    slug = community_repo.slug_of(conn, community_id=community_id)
    if slug is None:
        return None
    return f"{base}/c/{slug}/{page.lstrip('/')}"
