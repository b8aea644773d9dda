"""The console pages the bot's alerts link to (bot13): a queue item has an address of its
own, and a signed-out admin who follows the link lands on it after signing in."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from qunyun.web.routes.auth import local_page
from tests.web.seed import PASSWORD, Seeded

Make = Callable[..., TestClient]


def test_a_queue_item_has_an_address(make_client: Make, seeded: Seeded) -> None:
    client = make_client("admin")
    path = f"/c/{seeded.slug}/queues/{seeded.suspect_item}"
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == (
        f"/c/{seeded.slug}/queues?queue=suspect&status=open#item-{seeded.suspect_item}")
    shown = client.get(path)
    assert f'id="item-{seeded.suspect_item}"' in shown.text
    # Not another community's item, not one that does not exist.
    assert client.get(f"/c/{seeded.slug}/queues/999999", follow_redirects=False
                      ).status_code == 404
    outsider = make_client("outsider")
    assert outsider.get(path, follow_redirects=False).status_code in (403, 404)


def test_signing_in_from_a_link_lands_on_the_linked_page(make_client: Make,
                                                         seeded: Seeded) -> None:
    client = make_client()
    page = f"/c/{seeded.slug}/members/{seeded.script_member_id}"
    to_login = client.get(page, follow_redirects=False).headers["location"]
    form = client.get(to_login).text
    assert f'name="next" value="{page}"' in form
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf is not None
    signed = client.post("/login", data={"csrf": csrf.group(1), "username": "admin",
                                         "password": PASSWORD, "next": page},
                         follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == page


def test_only_pages_of_this_console_are_followed_after_sign_in() -> None:
    assert local_page("/c/camp/queues/3") == "/c/camp/queues/3"
    assert local_page("/c/camp/queues?queue=appeal") == "/c/camp/queues?queue=appeal"
    for elsewhere in ("https://evil.example/", "//evil.example/x", "/\\\\evil.example",
                      "evil", ""):
        assert local_page(elsewhere) == "/", elsewhere
