"""The integers a request may carry: ids in paths and forms, offsets, cursors and
timestamps in query strings and forms.

Row ids are 32-bit INTEGER columns on PostgreSQL (the event log and the audit log are
64-bit); a larger number in a URL cannot name a row, and the drivers refuse to bind it
(PostgreSQL: "integer out of range", SQLite: past 64 bits) — a bare 500 before these
bounds. A path
id out of range is answered like any missing row (404), a query number out of range
(or a form field) with the 422 page; both are the console's own pages with its security headers
(`app.py` turns FastAPI's validation errors into them).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Path, Query
from pydantic import Field

MAX_ID = 2**31 - 1  # INTEGER primary keys (members, groups, work items, operators …)
MAX_BIG_ID = 2**63 - 1  # BIGINT primary keys (events, audit log)
MAX_OFFSET = 10**9  # far beyond any page a person clicks to
# A moment in epoch milliseconds (a calendar slot): up to the last one datetime can hold
# (9999-12-31), so a slot turns into a date without overflowing.
MAX_MS = 253_402_300_799_999

DbId = Annotated[int, Path(ge=0, le=MAX_ID)]
Offset = Annotated[int, Query(le=MAX_OFFSET)]  # negative offsets are read as 0
Count = Annotated[int | None, Query(ge=0, le=MAX_OFFSET)]
AuditCursor = Annotated[int | None, Query(ge=0, le=MAX_BIG_ID)]
QueryId = Annotated[int | None, Query(ge=0, le=MAX_ID)]  # a row id as a filter (?group=)
FormId = Annotated[int, Form(ge=0, le=MAX_ID)]  # a row id posted in a form
OptionalFormId = Annotated[int | None, Form(ge=0, le=MAX_ID)]
FormIds = Annotated[list[Annotated[int, Field(ge=0, le=MAX_ID)]] | None, Form()]  # checkboxes
SlotQuery = Annotated[int, Query(ge=0, le=MAX_MS)]
SlotForm = Annotated[int, Form(ge=0, le=MAX_MS)]
FormFlag = Annotated[int, Form(ge=0, le=1)]  # a checkbox-like 0/1 field


def id_or_none(text: str) -> int | None:
    """A member id typed into a filter box: digits within range, else None (no filter)."""
    text = text.strip()
    if not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if value <= MAX_ID else None
