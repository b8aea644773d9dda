"""A bot message as Matrix content: real mentions and real replies (issue 11, item 8).

A plain "@李四" in `body` notifies nobody. A mention is the user id in `m.mentions` plus a
matrix.to pill in `formatted_body` where the text names them; an answer to a member's
message carries `m.relates_to.m.in_reply_to`, so clients show it as a reply and notify.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any


def pill(user_id: str, name: str) -> str:
    return f'<a href="https://matrix.to/#/{escape(user_id, quote=True)}">{escape(name)}</a>'


def message_content(body: str, mentions: Sequence[str] = (),
                    names: Mapping[str, str] | None = None,
                    reply_to: str | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"msgtype": "m.text", "body": body,
                               "m.mentions": {"user_ids": list(dict.fromkeys(mentions))}}
    names = names or {}
    html = escape(body)
    pilled = False
    # Longest names first, so "@李四五" is not turned into a pill for "@李四" plus "五".
    for user_id in sorted(dict.fromkeys(mentions), key=lambda u: -len(names.get(u, u))):
        name = names.get(user_id) or user_id
        for label in (f"@{name}", f"@{user_id}"):
            if escape(label) in html:
                html = html.replace(escape(label), pill(user_id, name))
                pilled = True
                break
    if pilled:
        content["format"] = "org.matrix.custom.html"
        content["formatted_body"] = html.replace("\n", "<br>")
    if reply_to:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
    return content
