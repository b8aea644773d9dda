"""Plan use cases for the console: check a YAML text, save it for a community — audited.

Saving runs the same loader and `plan check` as the CLI, so the console shows exactly
the findings `qunyun plan check` prints. A text that does not load (YAML or schema
errors) is refused: the bot reads the stored plan and must never get one it cannot
parse. A plan that loads is saved even with findings (a draft is work in progress);
the findings come back for the editor to show next to their lines.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from sqlalchemy import Connection

from qunyun.plan.check import check_loaded, is_ready
from qunyun.plan.findings import Finding
from qunyun.plan.load import LoadedPlan, parse_plan
from qunyun.plan.model import Plan
from qunyun.services import audit
from qunyun.storage.community import communities as community_repo


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
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    if result.plan is not None:
        community_repo.save_plan_yaml(conn, community_id=community_id, plan_yaml=text)
        result.saved = True
    audit.record_operator_action(
        conn, community_id=community_id, operator=operator,
        action="plan:save" if result.saved else "plan:rejected",
        reason=f"{errors} findings" if errors else "ready",
        evidence={"sha256": digest, "errors": errors,
                  "advice": len(result.findings) - errors},
        status="done" if result.saved else "failed",
    )
    return result


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
