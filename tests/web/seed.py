"""A small seeded community for the console tests: members (one with a `<script>`
nickname), messages, joins with an inviter, a plan, operators of every role, queue items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from qunyun.events import Event, GroupRef, MemberJoined, MessagePosted, UserRef
from qunyun.services import operators as operator_service
from qunyun.services import queues as queue_service
from qunyun.services.ingest import EventRecorder
from qunyun.storage.community import communities as community_repo
from tests.conftest import EXAMPLES
from tests.factories import T0, user

PASSWORD = "correct horse battery"
SCRIPT_NICK = "<script>window.__pwned=1</script>坏人"


@dataclass
class Seeded:
    community_id: int
    slug: str
    other_community_id: int
    script_member_id: int
    suspect_item: int
    todo_item: int


def _events(at: datetime) -> list[Event]:
    group = GroupRef("matrix", "!qa:localhost", "Python 训练营 · 答疑群")

    def who(n: int) -> UserRef:
        return user(n, SCRIPT_NICK if n == 4 else None)

    out: list[Event] = [
        MemberJoined(source="seed", source_event_id=f"j{n}", group=group,
                     at=at + timedelta(minutes=n), member=who(n),
                     inviter=who(1) if n > 1 else None, via="invite" if n > 1 else "link")
        for n in (1, 2, 3, 4)]
    out += [MessagePosted(source="seed", source_event_id=f"m{i}", group=group,
                          at=at + timedelta(minutes=10 + i * 37), actor=who(1 + i % 3),
                          text="大家好，今天的作业在这里")
            for i in range(30)]
    return out


def seed(engine: Engine, *, at: datetime = T0) -> Seeded:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="python-camp", name="Python 训练营",
                                                      now_ms=0)
        other = community_repo.get_or_create_community(conn, slug="secret", name="别人的社群",
                                                        now_ms=0)
        plan_text = (EXAMPLES / "python-camp.yaml").read_text(encoding="utf-8")
        # As `qunyun up` stores it: imported from the file, so the editor names its source.
        from qunyun.services import plans as plan_service

        plan_service.import_file(conn, community_id=cid, path="examples/python-camp.yaml",
                                 text=plan_text)
        recorder = EventRecorder(community_id=cid)
        recorder.record_many(conn, _events(at))
        script_id = recorder.member_id(conn, user(4, SCRIPT_NICK))
        suspect, _ = queue_service.open_item(
            conn, community_id=cid, queue="suspect", item_key=f"suspect:{script_id}",
            title=f"{SCRIPT_NICK}：从不发言", detail={"signals": ["never_spoke"]},
            member_id=script_id)
        todo, _ = queue_service.open_item(
            conn, community_id=cid, queue="todo", item_key="todo:active", title="活跃者：邀请分享",
            detail={"members": []})
        for name, role, scope in (("owner", "owner", set()), ("admin", "admin", {cid}),
                                  ("vol", "volunteer", {cid}), ("viewer", "viewer", {cid}),
                                  ("outsider", "admin", {other})):
            operator_service.create_operator(conn, username=name, password=PASSWORD, role=role,
                                             communities=scope)
    return Seeded(cid, "python-camp", other, script_id, suspect, todo)


def seed_sample(engine: Engine, workdir: Path, *, messages: int = 3000, senders: int = 150,
                days: int = 60) -> Seeded:
    """`seed` plus a synthetic Telegram export imported into the same community, and the
    queues opened from its report: what the browser tests and screenshots look at."""
    from qunyun.analytics import build_report
    from qunyun.importers.detect import open_export
    from qunyun.plan.load import parse_plan
    from qunyun.samples import START, write_telegram_export
    from qunyun.services.importing import import_batches
    from qunyun.services.report_queues import open_from_report

    seeded = seed(engine, at=START + timedelta(days=days - 3))
    export = write_telegram_export(workdir / "sample.json", messages=messages, senders=senders,
                                   days=days)
    import_batches(engine, community_id=seeded.community_id, batches=open_export(export).batches)
    plan = parse_plan((EXAMPLES / "python-camp.yaml").read_text(encoding="utf-8")).plan
    report = build_report(engine, community_id=seeded.community_id, plan=plan)
    with engine.begin() as conn:
        open_from_report(conn, community_id=seeded.community_id, report=report,
                         operator="seed")
    return seeded
