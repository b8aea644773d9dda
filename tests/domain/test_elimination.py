"""E1 rules as the plan states them: silence, below a tier at the end of a cycle, bottom N%."""

from __future__ import annotations

from qunyun.domain.elimination import DAY_MS, MemberActivity, candidates
from qunyun.plan.model import Elimination, Tiers

NOW = 100 * DAY_MS


def member(n: int, *, joined_days_ago: int = 60, last_days_ago: int | None = 1,
           messages: int = 0, days: int = 0, ext: str | None = None) -> MemberActivity:
    return MemberActivity(member_id=n, external_ids=(ext or f"@u{n}",),
                          joined_ms=NOW - joined_days_ago * DAY_MS,
                          last_message_ms=None if last_days_ago is None
                          else NOW - last_days_ago * DAY_MS,
                          cycle_messages=messages, cycle_days=days)


def run(rule: Elimination, rows: list[MemberActivity], admins: frozenset[str] = frozenset(),
        returned: dict[int, int] | None = None) -> dict[int, str]:
    return {c.member_id: c.reason for c in candidates(
        rows, rule=rule, tiers=Tiers(), now_ms=NOW, cycle_days=30, admins=admins,
        returned_ms=returned)}


def test_silence_counts_from_the_last_message_join_or_return() -> None:
    rows = [member(1, last_days_ago=40), member(2, last_days_ago=None, joined_days_ago=35),
            member(3, last_days_ago=5), member(4, last_days_ago=40)]
    found = run(Elimination(silent_days=30), rows, returned={4: NOW - 10 * DAY_MS})
    assert found == {1: "已连续 40 天未发言", 2: "入群 35 天从未发言"}


def test_admins_are_never_candidates() -> None:
    rows = [member(1, last_days_ago=40, ext="@boss"), member(2, last_days_ago=40)]
    assert set(run(Elimination(silent_days=30), rows, admins=frozenset({"@boss"}))) == {2}


def test_below_a_tier_at_the_end_of_the_cycle_spares_newcomers() -> None:
    rows = [member(1, messages=25, days=5), member(2, messages=25, days=2),
            member(3, messages=3, days=3), member(4, messages=0, joined_days_ago=10)]
    found = run(Elimination(below_tier="active"), rows)
    assert set(found) == {2, 3}
    assert "未达到「活跃者」（20 条、4 天）" in found[2]
    assert set(run(Elimination(below_tier="participant"), rows)) == set()


def test_bottom_percent_names_the_last_of_the_settled_members() -> None:
    rows = [member(n, messages=n * 10, days=n) for n in range(1, 11)]
    rows.append(member(11, messages=0, joined_days_ago=3))  # a newcomer is not "last"
    found = run(Elimination(bottom_percent=20), rows)
    assert set(found) == {1, 2} and "末位淘汰" in found[1]


def test_silent_days_count_the_dates_a_person_reads() -> None:
    """E3 (issue 11): a last message late on 2026-11-10 (Shanghai) is 22 days before
    2026-12-02 morning, as the dates printed beside it say, not the 21 whole 24-hour spans;
    the sweep and the report count it the same way, on the community's clock."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from qunyun.domain.elimination import days_silent

    shanghai = ZoneInfo("Asia/Shanghai")
    last = int(datetime(2026, 11, 10, 22, 30, tzinfo=shanghai).timestamp() * 1000)
    now = int(datetime(2026, 12, 2, 9, 0, tzinfo=shanghai).timestamp() * 1000)
    assert (now - last) // DAY_MS == 21  # what the console used to print
    assert days_silent(last, now, shanghai) == 22
    # 22:30 in Shanghai is 14:30 UTC the same day; in New York it is still the 10th at 09:30
    assert days_silent(last, now, ZoneInfo("America/New_York")) == 21
    row = MemberActivity(member_id=1, external_ids=("@u1",), joined_ms=last - 90 * DAY_MS,
                         last_message_ms=last, cycle_messages=0, cycle_days=0)
    found = candidates([row], rule=Elimination(silent_days=22), tiers=Tiers(), now_ms=now,
                       cycle_days=30, admins=frozenset(), tz=shanghai)
    assert [c.reason for c in found] == ["已连续 22 天未发言"]
