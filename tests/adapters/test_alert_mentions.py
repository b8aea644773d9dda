"""Whom an alert @-mentions in the admins' room (`AdapterCore.alert_admins`, shared by the
three adapters; issue 11 walk finding 12): the admins who can act, not everyone, and not
again for every alert of a burst. The behaviour on each platform's wire is
`tests/adapters/behaviour.py::admins_hear_of_alerts_removals_and_appeals`."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine

from qunyun.adapters import contract
from qunyun.adapters.contract import AdapterCore
from qunyun.effects import Alert
from qunyun.events import GroupRef
from qunyun.services import console_link
from qunyun.storage.community import communities as community_repo
from tests.policies.test_bot_policies import camp_plan

GROUP = GroupRef("qq", "100", "进阶营")
DM = GroupRef("qq", "private:7", None, "direct")


class Core(AdapterCore):
    platform = "qq"

    def __init__(self, plan: Any, mods: dict[str, set[str]]) -> None:
        super().__init__(SimpleNamespace(engine=None, plan=plan),  # type: ignore[arg-type]
                         cursor_key="k")
        self.mods = mods

    def moderators(self, group_id: str) -> frozenset[str]:
        return frozenset(self.mods.get(group_id, set()))

    def every_moderator(self) -> frozenset[str]:
        return frozenset().union(*self.mods.values())

    def is_user_id(self, user_id: str) -> bool:
        return user_id.isdigit()


def alert(group: GroupRef = GROUP, *, ping: bool = True) -> Alert:
    return Alert(group=group, text="【需要人工】…", reason="R5 unanswered", ping=ping)


def ids(core: Core, effect: Alert) -> list[str]:
    return [a.user_id for a in core.alert_admins(effect, bot_id="1", names={"30": "小林"})]


def test_the_plans_admins_on_this_platform_then_the_groups_moderators() -> None:
    core = Core(camp_plan(bot__admins=["@lin:matrix.org", "30"]), {"100": {"1", "40"},
                                                                   "200": {"50"}})
    mentioned = core.alert_admins(alert(), bot_id="1", names={"30": "小林"})
    # not the Matrix id, not the bot itself, not another group's moderator
    assert [(a.user_id, a.display_name) for a in mentioned] == [("30", "小林"), ("40", None)]
    assert "\n请处理：@小林 @40" in core.alert_body(alert(), "进阶营", mentioned)


def test_a_burst_pings_once_and_a_notice_pings_nobody(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(contract.time, "monotonic", lambda: now[0])
    core = Core(camp_plan(bot__admins=["30"]), {})
    assert ids(core, alert(ping=False)) == []
    assert ids(core, alert()) == ["30"]
    now[0] += 60
    assert ids(core, alert()) == []  # the first alert's ping is still on their screen
    now[0] += contract.ALERT_PING_QUIET_S
    assert ids(core, alert()) == ["30"]


def test_a_dm_alert_names_the_groups_moderators_at_most_five() -> None:
    core = Core(camp_plan(bot__admins=[]), {"100": {str(n) for n in range(10, 18)}})
    assert ids(core, alert(DM)) == [str(n) for n in range(10, 15)]
    off = Core(camp_plan(bot__admins=[], bot__moderators_are_admins=False), {"100": {"10"}})
    assert ids(off, alert()) == []


def test_an_alert_links_the_console_page_it_is_about_when_the_console_is_known(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """bot13: an alert in the admins' room had no way to the console item. Its page is
    linked where the console's address is known — the one `qunyun up` / `qunyun serve`
    recorded, or QUNYUN_CONSOLE_URL — and no link is made up where it is not. The same
    body on every platform (`AdapterCore.alert_body`)."""
    monkeypatch.delenv(console_link.ENV, raising=False)
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="camp", name="camp", now_ms=0)
    core = Core(camp_plan(), {})
    core.engine, core.pipeline = engine, SimpleNamespace(  # type: ignore[assignment]
        engine=engine, plan=camp_plan(), community_id=cid)
    item = Alert(group=GROUP, text="【需要人工】…", reason="R5 unanswered", page="queues/12")
    assert "控制台" not in core.alert_body(item, "进阶营", [])  # nobody said where it is
    with engine.begin() as conn:
        assert console_link.record(conn, served_at="http://127.0.0.1:8080") \
            == "http://127.0.0.1:8080"
    body = core.alert_body(item, "进阶营", [])
    assert "\n控制台：http://127.0.0.1:8080/c/camp/queues/12" in body, body
    monkeypatch.setenv(console_link.ENV, "https://qunyun.example.org/")  # behind a proxy
    body = core.alert_body(item, "进阶营", [])
    assert "\n控制台：https://qunyun.example.org/c/camp/queues/12" in body, body
    assert "控制台" not in core.alert_body(alert(), "进阶营", [])  # an alert about no page


def test_an_appeal_always_pings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Walk13 finding 45: an appeal 90 s after another alert pinged nobody, and sat unseen
    in a quiet room. An appeal waits on an admin's decision: it pings every time; the
    other alerts keep the ten-minute limit."""
    now = [1000.0]
    monkeypatch.setattr(contract.time, "monotonic", lambda: now[0])
    core = Core(camp_plan(bot__admins=["30"]), {})
    assert ids(core, alert()) == ["30"]
    now[0] += 90
    appeal = Alert(group=GROUP, text="【申诉】…", reason="R3 appeal alert", awaits_decision=True)
    assert ids(core, appeal) == ["30"]
    assert "\n请处理：@小林" in core.alert_body(
        appeal, "进阶营", core.alert_admins(appeal, bot_id="1", names={"30": "小林"}))
    now[0] += 60
    assert ids(core, alert()) == []  # the limit still holds for the rest
