"""Operator accounts (console): create, authenticate, scope, roles — audited.

Passwords are hashed with argon2id (argon2-cffi defaults); a hash made with older
parameters is upgraded on the next successful sign-in. There is no default account:
the first owner comes from `qunyun operator add` or the one-time setup token that
`qunyun serve` prints while no operator exists.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection

from qunyun.services import audit
from qunyun.storage.community import communities as community_repo
from qunyun.storage.console import operators as repo
from qunyun.storage.console import sessions as session_repo

ROLES = repo.ROLES
# What each role may do; pages check these, never role names.
_CAN: dict[str, frozenset[str]] = {
    "owner": frozenset({"read", "act", "edit_plan", "manage_operators"}),
    "admin": frozenset({"read", "act", "edit_plan"}),
    "volunteer": frozenset({"read", "act"}),
    "viewer": frozenset({"read"}),
}
MIN_PASSWORD = 10

_hasher = PasswordHasher()
# Verifying against this when the username is unknown keeps the timing of a failed
# sign-in the same whether or not the account exists.
_DUMMY_HASH = _hasher.hash("qunyun-no-such-operator")


class OperatorError(ValueError):
    """Bad username, role, password or scope; the message is shown to the operator."""


@dataclass(frozen=True)
class Operator:
    id: int
    username: str
    role: str
    all_communities: bool
    communities: frozenset[int] = field(default_factory=frozenset)
    session_epoch: int = 0

    def can(self, permission: str) -> bool:
        return permission in _CAN.get(self.role, frozenset())

    def sees(self, community_id: int) -> bool:
        return self.all_communities or community_id in self.communities


def _now_ms() -> int:
    return int(time.time() * 1000)


def _validate(username: str, password: str, role: str) -> None:
    if role not in ROLES:
        raise OperatorError(f"角色只能是 {'/'.join(ROLES)} / role must be one of {ROLES}")
    if not username or len(username) > 80 or not username.isprintable() or " " in username:
        raise OperatorError(
            "用户名需为 1–80 个可见字符且不含空格 / username: 1–80 printable characters, no spaces")
    if len(password) < MIN_PASSWORD:
        raise OperatorError(
            f"密码至少 {MIN_PASSWORD} 个字符 / password needs at least {MIN_PASSWORD} characters")


def create_operator(
    conn: Connection, *, username: str, password: str, role: str,
    communities: frozenset[int] | set[int] = frozenset(), all_communities: bool = False,
    by: str = "cli",
) -> Operator:
    _validate(username, password, role)
    if repo.by_username(conn, username=username) is not None:
        raise OperatorError(f"用户名已存在 / username taken: {username}")
    known = {int(str(c["id"])) for c in community_repo.list_communities(conn)}
    if unknown := sorted(set(communities) - known):
        # A form posted by hand, or a community deleted meanwhile: say so, create nothing.
        raise OperatorError(f"没有这个社群 / no such community: {unknown[0]}")
    op_id = repo.create(conn, username=username, password_hash=_hasher.hash(password),
                        role=role, all_communities=all_communities, now_ms=_now_ms())
    for cid in communities:
        repo.grant(conn, operator_id=op_id, community_id=cid)
    audit.record_operator_action(
        conn, community_id=None, operator=by, action="operator:create",
        reason=f"{username} ({role})",
        evidence={"operator": username, "role": role, "communities": sorted(communities),
                  "all_communities": all_communities or role == "owner"},
    )
    found = load(conn, operator_id=op_id)
    assert found is not None
    return found


def load(conn: Connection, *, operator_id: int) -> Operator | None:
    row = repo.by_id(conn, operator_id=operator_id)
    if row is None or row["disabled"]:
        return None
    return Operator(
        id=int(row["id"]), username=str(row["username"]), role=str(row["role"]),
        all_communities=bool(row["all_communities"]),
        communities=frozenset(repo.scope(conn, operator_id=operator_id)),
        session_epoch=int(row["session_epoch"]),
    )


@dataclass(frozen=True)
class CheckedPassword:
    """A password that matched an enabled account, before the sign-in is recorded."""

    operator_id: int
    stored_hash: str


def check_password(conn: Connection, *, username: str, password: str) -> CheckedPassword | None:
    """Only reads: the slow hash check runs outside any write transaction, so a sign-in
    never holds SQLite's write lock while the password is hashed."""
    row = repo.by_username(conn, username=username)
    stored = str(row["password_hash"]) if row is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None or row["disabled"]:
        return None
    return CheckedPassword(int(row["id"]), stored)


def record_sign_in(conn: Connection, *, checked: CheckedPassword,
                   password: str) -> Operator | None:
    """The checked account, signed in now (last login, a rehash if the parameters
    changed); None if its password changed or it was disabled since the check."""
    row = repo.by_id(conn, operator_id=checked.operator_id)
    if row is None or row["disabled"] or str(row["password_hash"]) != checked.stored_hash:
        return None
    values: dict[str, object] = {"last_login_ms": _now_ms()}
    if _hasher.check_needs_rehash(checked.stored_hash):
        values["password_hash"] = _hasher.hash(password)
    repo.update(conn, operator_id=checked.operator_id, values=values)
    return load(conn, operator_id=checked.operator_id)


def authenticate(conn: Connection, *, username: str, password: str) -> Operator | None:
    checked = check_password(conn, username=username, password=password)
    return None if checked is None else record_sign_in(conn, checked=checked,
                                                       password=password)


def set_password(conn: Connection, *, username: str, password: str, by: str = "cli") -> None:
    row = repo.by_username(conn, username=username)
    if row is None:
        raise OperatorError(f"没有这个操作员 / no operator {username}")
    _validate(username, password, str(row["role"]))
    # Every session signed in with the old password ends now.
    repo.update(conn, operator_id=int(row["id"]), values={
        "password_hash": _hasher.hash(password), "session_epoch": int(row["session_epoch"]) + 1})
    session_repo.delete_for_operator(conn, operator_id=int(row["id"]))
    audit.record_operator_action(conn, community_id=None, operator=by,
                                 action="operator:password", reason=username)


def _existing(conn: Connection, username: str) -> dict[str, object]:
    row = repo.by_username(conn, username=username)
    if row is None or row["disabled"]:
        raise OperatorError(f"没有这个操作员 / no operator {username}")
    return row


def _last_owner(conn: Connection, row: dict[str, object]) -> bool:
    owners = [r for r in repo.list_all(conn) if r["role"] == "owner" and not r["disabled"]]
    return row["role"] == "owner" and len(owners) <= 1


def set_role(conn: Connection, *, username: str, role: str, by: str = "cli") -> None:
    """Change an operator's role; their sessions end, so the new role applies at once."""
    row = _existing(conn, username)
    if role not in ROLES:
        raise OperatorError(f"角色只能是 {'/'.join(ROLES)} / role must be one of {ROLES}")
    if role != "owner" and _last_owner(conn, row):
        raise OperatorError("不能去掉最后一个所有者 / the last owner must stay an owner")
    op_id = int(str(row["id"]))
    values: dict[str, object] = {"role": role, "session_epoch": int(str(row["session_epoch"])) + 1}
    if role == "owner":
        values["all_communities"] = True
    repo.update(conn, operator_id=op_id, values=values)
    session_repo.delete_for_operator(conn, operator_id=op_id)
    audit.record_operator_action(conn, community_id=None, operator=by, action="operator:role",
                                 reason=f"{username}: {row['role']} → {role}",
                                 evidence={"operator": username, "from": row["role"], "to": role})


def remove_operator(conn: Connection, *, username: str, by: str = "cli") -> None:
    """Disable an account (its audit trail keeps the name) and end all its sessions."""
    row = _existing(conn, username)
    if _last_owner(conn, row):
        raise OperatorError("不能删除最后一个所有者 / the last owner cannot be removed")
    op_id = int(str(row["id"]))
    repo.update(conn, operator_id=op_id, values={
        "disabled": True, "session_epoch": int(str(row["session_epoch"])) + 1})
    session_repo.delete_for_operator(conn, operator_id=op_id)
    audit.record_operator_action(conn, community_id=None, operator=by, action="operator:remove",
                                 reason=username, evidence={"operator": username})


def needs_first_owner(conn: Connection) -> bool:
    return repo.count_operators(conn) == 0


def list_operators(conn: Connection) -> list[dict[str, object]]:
    return [{k: v for k, v in row.items() if k != "password_hash"} for row in repo.list_all(conn)]


def session_secret(conn: Connection) -> str:
    """The console's cookie-signing secret: made once, kept in the database."""
    existing = repo.get_setting(conn, key="session_secret")
    if existing is not None:
        return existing
    return repo.put_setting_once(conn, key="session_secret", value=secrets.token_urlsafe(48))
