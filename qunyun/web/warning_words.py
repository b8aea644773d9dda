"""Warnings an entry's evidence names by number (`warning`, `warnings`, `revoked`), in
words: when each was given and why (issue 11 walk 25/47). An operator reads 「12-03 19:08
发送未经允许的链接」, never 「警告编号：3」 or 「累计警告：1、2、3」."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, select

from qunyun.storage.bot.tables import bot_warnings
from qunyun.storage.tables import work_items
from qunyun.web import labels, times

KEYS = ("warning", "warnings", "revoked")
ITEM = -1  # the `item` a decision was about: its title under key (ITEM, id)


def _ids(evidence: Mapping[str, Any] | None) -> set[int]:
    out: set[int] = set()
    for key in KEYS:
        value = (evidence or {}).get(key)
        if key == "warning" and isinstance(value, int) and not isinstance(value, bool):
            out.add(value)
        elif isinstance(value, list):
            out.update(v for v in value if isinstance(v, int) and not isinstance(v, bool))
    return out


def described(conn: Connection, docs: Iterable[Mapping[str, Any] | None], *, community_id: int,
              zone: str | None, lang: str) -> dict[Any, str]:
    """Warning id → 「2026-12-03 19:08 UTC+8 发送未经允许的链接」 for the warnings `docs` name,
    and (ITEM, id) → the title of the work item an entry's `item` names (an operator reads
    「事项：王五 的申诉」, not 「事项编号：3」)."""
    ids: set[int] = set()
    items: set[int] = set()
    for doc in docs:
        ids |= _ids(doc)
        item = (doc or {}).get("item")
        if isinstance(item, int) and not isinstance(item, bool):
            items.add(item)
    out: dict[Any, str] = {}
    if items:
        found = conn.execute(select(work_items.c.id, work_items.c.title, work_items.c.queue,
                                    work_items.c.detail).where(
            work_items.c.id.in_(sorted(items)), work_items.c.community_id == community_id))
        # In the page's language (issue 11 walk13 #30: 「item: 李四 的申诉」 in English).
        out.update({(ITEM, int(i)): labels.item_title(
            {"title": t, "queue": q, "detail": d if isinstance(d, dict) else {}}, lang)
            for i, t, q, d in found if t})
    if not ids:
        return out
    rows = conn.execute(select(bot_warnings.c.id, bot_warnings.c.created_ms,
                               bot_warnings.c.reason, bot_warnings.c.rule)
                        .where(bot_warnings.c.id.in_(sorted(ids)),
                               bot_warnings.c.community_id == community_id)).mappings()
    out.update({int(r["id"]): f"{times.when(r['created_ms'], zone)} " + (
        labels.reason_label(r["reason"], lang) if r["reason"]
        else labels.rule_label(r["rule"], lang)) for r in rows})
    return out
