"""Lookups into a cached report, built once per report instead of on every page view.

The members list and member 360 looked a member up by walking the report's member list
and invite edges each time (3–4 ms a view at 5,000 members under load, issue 13). The
report only changes when rebuilt (a new dict from `web/reports.ReportCache`), so the
lookups are kept per community with the report they came from and rebuilt when it is
another one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

INVITEES_SHOWN = 100  # member 360 lists the first 100 people a member invited


@dataclass(frozen=True)
class ReportIndex:
    """A report's members by id, and its invite edges by inviter and by invitee."""

    members: dict[int, dict[str, Any]] = field(default_factory=dict)
    invitees: dict[int, list[int]] = field(default_factory=dict)
    # None: the report's edges are not complete (truncated), ask the event log.
    inviters: dict[int, list[dict[str, Any]]] | None = None

    def inviters_of(self, member_id: int) -> list[dict[str, Any]] | None:
        return None if self.inviters is None else self.inviters.get(member_id, [])


EMPTY = ReportIndex()


def build(report: dict[str, Any]) -> ReportIndex:
    members = {int(m["id"]): m for m in report.get("members") or [] if "id" in m}
    invites = report.get("invites") or {}
    edges = invites.get("edges") or []
    invitees: dict[int, list[int]] = {}
    for e in edges:
        inviter = e.get("inviter")
        if inviter is not None:
            shown = invitees.setdefault(int(inviter), [])
            if len(shown) < INVITEES_SHOWN:
                shown.append(int(e["invitee"]))
    complete = bool(invites) and not invites.get("edges_truncated") and "edges" in invites
    inviters: dict[int, list[dict[str, Any]]] | None = None
    if complete:
        inviters = {}
        for e in edges:
            if e.get("invitee") is not None:
                inviters.setdefault(int(e["invitee"]), []).append(
                    {"related_member_id": int(e["inviter"]), "at": e.get("at")}
                )
    return ReportIndex(members, invitees, inviters)


class ReportIndexes:
    """One `ReportIndex` per community, for the report it was built from."""

    def __init__(self) -> None:
        self._kept: dict[int, tuple[dict[str, Any], ReportIndex]] = {}
        self._lock = threading.Lock()

    def of(self, community_id: int, report: dict[str, Any] | None) -> ReportIndex:
        if not report:
            return EMPTY
        kept = self._kept.get(community_id)
        if kept is not None and kept[0] is report:
            return kept[1]
        index = build(report)
        with self._lock:
            self._kept[community_id] = (report, index)
        return index
