"""Deleted accounts in chat exports: what export tools write in their place, and the one
name they are stored and shown under (issue 12).

The importers turn such an author into an unknown one of its own (keyed by the export's id
for it where there is one), never a person named "Deleted Account"; the report counts each
as a placeholder author, shown as `DELETED_NAME`.
"""

from __future__ import annotations

# What export tools write in a deleted account's place (Telegram Desktop's "Deleted
# Account", its Chinese interfaces, QQ's 「已注销」 forms, a "Deleted user" in WhatsApp):
# never a person's name (issue 12). Such an author is an unknown one, keyed by the export's
# id for it where there is one (Telegram `from_id`, the QQ number) or else by the event
# that names it, never merged with another deleted account by that name; stored and shown
# as DELETED_NAME.
DELETED_NAME = "已注销账号"
_DELETED_NAMES = frozenset(
    n.casefold()
    for n in (
        "Deleted Account",
        "Deleted User",
        DELETED_NAME,
        "已注销",
        "已注销账户",
        "已注销用户",
        "账号已注销",
        "帐号已注销",
        "该账号已注销",
        "该帐号已注销",
        "该用户已注销",
        "已删除的账号",
        "已删除账号",
        "已刪除的帳號",
        "已註銷帳號",
    )
)


def is_deleted_name(name: str | None) -> bool:
    """Whether `name` is an exporter's placeholder for a deleted account."""
    return name is not None and name.strip().casefold() in _DELETED_NAMES
