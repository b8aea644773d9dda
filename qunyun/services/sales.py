"""T5 "brings revenue": sales an operator attributes to a member from the console.

There is no payment or order integration yet, so revenue is what an operator records by
hand: an amount (in the plan's currency) and a note, attributed to one member. Each sale
is a `SaleRecorded` event in the log (in the member's group), a row of `growth_sales` for
the core users page and member 360, and an audited operator action, in one transaction.
Bad input is refused whole with a Chinese message that says what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection

from qunyun.events import SaleRecorded
from qunyun.plan.model import Plan
from qunyun.services import audit, lookup
from qunyun.services.ingest import EventRecorder
from qunyun.storage.growth import sales as repo

MAX_AMOUNT = Decimal("10000000")  # one sale; anything bigger is a typo
NOTE_LIMIT = 500


class SaleError(ValueError):
    """A sale that cannot be recorded as given (the message says why, in Chinese)."""


@dataclass(frozen=True, slots=True)
class Revenue:
    cents: int
    sales: int

    @property
    def amount(self) -> str:
        return money(self.cents)


def money(cents: int) -> str:
    """199.00 → "199", 99.5 → "99.50": what a person writes."""
    whole, part = divmod(cents, 100)
    return f"{whole:,}" if part == 0 else f"{whole:,}.{part:02d}"


def parse_amount(text: str) -> int:
    """An amount as typed ("199", "99.5", "1,280") → cents; SaleError if it is not one."""
    cleaned = text.strip().replace(",", "").replace("，", "").removeprefix("¥")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise SaleError(f"金额「{text.strip()}」不是数字：请填写如 199 或 99.50") from None
    if not value.is_finite() or value <= 0:
        raise SaleError("金额要大于 0")
    if value > MAX_AMOUNT:
        raise SaleError(f"金额 {text.strip()} 太大了：一笔最多 {MAX_AMOUNT:,} 元")
    if value != value.quantize(Decimal("0.01")):
        raise SaleError("金额最多两位小数（到分）")
    return int(value * 100)


def currency_of(plan: Plan | None) -> str:
    return plan.threshold.currency if plan is not None and plan.threshold else "CNY"


def record(conn: Connection, *, community_id: int, member_id: int, amount: str, note: str,
           operator: str, plan: Plan | None, now_ms: int) -> int:
    """Record one sale attributed to the member; returns its cents. SaleError: nothing
    written."""
    cents = parse_amount(amount)
    note = note.strip()
    if len(note) > NOTE_LIMIT:
        raise SaleError(f"备注最多 {NOTE_LIMIT} 个字（现在 {len(note)} 个）")
    groups = lookup.community_groups(conn, community_id=community_id)
    if not groups:
        raise SaleError("这个社群还没有群，无法记录成交")
    group = next((g for gid, g in groups if lookup.membership_active(
        conn, group_id=gid, member_id=member_id)), groups[0][1])
    currency = currency_of(plan)
    sale_id = repo.add(conn, community_id=community_id, member_id=member_id,
                       amount_cents=cents, currency=currency, note=note, operator=operator,
                       at_ms=now_ms)
    EventRecorder(community_id=community_id).record(conn, SaleRecorded(
        source="qunyun:console", source_event_id=f"sale:{sale_id}", group=group,
        at=datetime.fromtimestamp(now_ms / 1000, UTC), member_id=member_id,
        amount_cents=cents, currency=currency, note=note, operator=operator))
    audit.record_operator_action(
        conn, community_id=community_id, operator=operator, action="sale.record",
        reason=f"记录成交 {money(cents)} {currency}" + (f"：{note}" if note else ""),
        evidence={"amount": money(cents), "currency": currency, "note": note},
        member_id=member_id)
    return cents


def revenue(conn: Connection, *, community_id: int) -> dict[int, Revenue]:
    """Per member: the revenue attributed to them and in how many sales."""
    return {m: Revenue(c, n) for m, (c, n) in repo.totals(conn, community_id=community_id)
            .items()}


def of_member(conn: Connection, *, community_id: int, member_id: int) -> list[dict[str, Any]]:
    return [{**r, "amount": money(int(r["amount_cents"]))}
            for r in repo.of_member(conn, community_id=community_id, member_id=member_id)]
