"""Plan use cases: check a YAML text, store it for a community — audited — and say where
the stored plan came from.

The database holds the plan the bot runs (design.md): a file enters it through
`import_file` (`qunyun up`, `qunyun demo`, `qunyun bot`), only when its text changed since
that file was last imported, so a plan saved in the console is not overwritten at the
next start; the console's editor stores through `save_plan`. Every stored text is a row
in `plan_versions` with its hash, source and origin.

Saving runs the same loader and `plan check` as the CLI, so the console shows exactly
the findings `qunyun plan check` prints. A text that does not load (YAML or schema
errors) is refused: the bot reads the stored plan and must never get one it cannot
parse. A plan that loads is saved even with findings (a draft is work in progress);
the findings come back for the editor to show next to their lines.
"""

from __future__ import annotations

import copy
import hashlib
import time
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection

from qunyun.plan.check import check_loaded, is_ready
from qunyun.plan.findings import Finding
from qunyun.plan.load import LoadedPlan, parse_plan
from qunyun.plan.model import Plan
from qunyun.services import audit
from qunyun.storage.community import communities as community_repo
from qunyun.storage.community import plans as plan_repo
from qunyun.storage.work import audit as audit_repo


@dataclass
class PlanCheck:
    loaded: LoadedPlan
    findings: list[Finding] = field(default_factory=list)
    saved: bool = False

    @property
    def plan(self) -> Plan | None:
        return self.loaded.plan

    @property
    def ready(self) -> bool:
        return is_ready(self.findings)


# Loading and checking a plan costs ~15–45 ms (YAML with line numbers, pydantic, RE2);
# the console's member and plan pages did it on every view. A stored plan changes
# rarely, so the result is kept per text (and day: the quarterly reminder depends on it).
@lru_cache(maxsize=64)
def _checked(text: str, today: date) -> tuple[LoadedPlan, tuple[Finding, ...]]:
    loaded = parse_plan(text, path="plan.yaml")
    return loaded, tuple(check_loaded(loaded, today=today))


@lru_cache(maxsize=64)
def _parsed(text: str) -> Plan | None:
    return parse_plan(text).plan


def check_text(text: str, *, today: date | None = None) -> PlanCheck:
    loaded, findings = _checked(text, today or date.today())
    # Callers may change the result (save_plan drops a plan for another community):
    # they get their own shallow copy, never the cached one.
    return PlanCheck(loaded=copy.copy(loaded), findings=list(findings))


def save_plan(
    conn: Connection, *, community_id: int, text: str, operator: str,
    today: date | None = None, expected_slug: str | None = None,
) -> PlanCheck:
    """Check `text`; store it for the community when it loads. Audited either way.

    With `expected_slug`, a plan naming another community is refused: the slug is how the
    bot and the CLI find a community's plan, so saving it here would orphan it.
    """
    result = check_text(text, today=today)
    plan = result.plan
    if plan is not None and expected_slug is not None and plan.community.slug != expected_slug:
        result.findings.append(Finding(
            "P1", "community.slug",
            f"计划属于社群 “{plan.community.slug}”，这里是 “{expected_slug}”：slug 不能改",
            f"this plan is for community {plan.community.slug!r}, this is {expected_slug!r}: "
            "the slug cannot change", line=result.loaded.line_of("community.slug")))
        result.loaded.plan = None
    errors = sum(1 for f in result.findings if f.severity == "error")
    digest = sha256_of(text)
    if result.plan is not None:
        plan_repo.add_version(conn, community_id=community_id, text=text, sha256=digest,
                              source="console", origin=operator, now_ms=_now_ms())
        result.saved = True
    audit.record_operator_action(
        conn, community_id=community_id, operator=operator,
        action="plan:save" if result.saved else "plan:rejected",
        reason=(f"计划有 {errors} 个问题" if errors else "计划可以上线") if result.saved
        else f"计划无法载入（{errors} 个问题），未保存",
        evidence={"sha256": digest[:16], "errors": errors,
                  "advice": len(result.findings) - errors},
        status="done" if result.saved else "failed",
    )
    return result


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _now_ms() -> int:
    return int(time.time() * 1000)


def import_file(conn: Connection, *, community_id: int, path: str, text: str,
                actor: str = "qunyun") -> bool:
    """Store a plan file's text unless this file's text was already imported (True: stored).

    A file that did not change since it was last imported leaves the stored plan alone,
    whatever the console saved since. A changed file replaces it, audited.
    """
    digest = sha256_of(text)
    last = plan_repo.latest(conn, community_id=community_id, source="file", origin=path)
    current = plan_repo.current_text(conn, community_id=community_id)
    if last is not None and last["sha256"] == digest and current is not None:
        return False
    if current is not None and sha256_of(current) == digest:
        # Same text already running (e.g. saved in the console): remember the file only.
        plan_repo.add_version(conn, community_id=community_id, text=text, sha256=digest,
                              source="file", origin=path, now_ms=_now_ms())
        return False
    plan_repo.add_version(conn, community_id=community_id, text=text, sha256=digest,
                          source="file", origin=path, now_ms=_now_ms())
    audit.record_operator_action(
        conn, community_id=community_id, operator=actor, action="plan:import",
        reason=f"从文件 {path} 导入计划", evidence={"file": path, "sha256": digest[:16]})
    return True


def source_of(conn: Connection, *, community_id: int) -> dict[str, Any] | None:
    """Where the running plan came from: the newest version whose text is the stored one
    (source "file" with the path, or "console" with the operator), or None."""
    current = plan_repo.current_text(conn, community_id=community_id)
    if current is None:
        return None
    last = plan_repo.latest(conn, community_id=community_id)
    if last is None or last["sha256"] != sha256_of(current):
        return {"source": "unknown", "origin": "", "saved_ms": None}
    return last


def stored_text(conn: Connection, *, community_id: int) -> str | None:
    """The community's stored plan YAML (None when it has none)."""
    for row in community_repo.list_communities(conn):
        if row["id"] == community_id:
            text = row["plan_yaml"]
            return text if isinstance(text, str) and text.strip() else None
    return None


def stored_plan(conn: Connection, *, community_id: int) -> tuple[str | None, Plan | None]:
    """The community's stored YAML and, when it loads, the plan (shared: read, never
    change it)."""
    text = stored_text(conn, community_id=community_id)
    return (text, _parsed(text)) if text is not None else (None, None)


def record_bot_plan(conn: Connection, *, community_id: int, action: str, sha256: str,
                    reason: str, status: str = "done") -> int:
    """The bot started with, reloaded or refused a stored plan version (actor `bot`)."""
    return audit_repo.record(conn, entry={
        "at_ms": _now_ms(), "community_id": community_id, "actor": "bot", "action": action,
        "reason": reason, "evidence": {"sha256": sha256[:16]}, "status": status})


def bot_plan_state(conn: Connection, *, community_id: int) -> dict[str, Any] | None:
    """The bot's latest word on the plan (started with / reloaded / refused), or None."""
    found = [row for action in ("plan:running", "plan:reloaded", "plan:refused")
             for row in audit_repo.entries(conn, community_id=community_id, action=action,
                                           actor_prefix="bot", limit=1)]
    return max(found, key=lambda r: int(r["id"])) if found else None
