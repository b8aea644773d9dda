"""A small seeded community for the console tests: members (one with a `<script>`
nickname), messages, joins with an inviter, a plan, operators of every role, queue items."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from qunyun.services import operators as operator_service
from qunyun.services import queues as queue_service
from qunyun.services.ingest import EventRecorder
from qunyun.storage import communities as community_repo
from tests.conftest import EXAMPLES
from tests.factories import join, message, user

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


def seed(engine: Engine) -> Seeded:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="python-camp", name="Python 训练营",
                                                      now_ms=0)
        other = community_repo.get_or_create_community(conn, slug="secret", name="别人的社群",
                                                        now_ms=0)
        plan_text = (EXAMPLES / "python-camp.yaml").read_text(encoding="utf-8")
        community_repo.save_plan_yaml(conn, community_id=cid, plan_yaml=plan_text)
        recorder = EventRecorder(community_id=cid)
        events = [join(1, 1), join(2, 2, inviter=1), join(3, 3, inviter=1)]
        events += [message(10 + i, who=1 + i % 3) for i in range(30)]
        events.append(message(100, who=4))
        recorder.record_many(conn, events)
        script_id = recorder.member_id(conn, user(4))
        from qunyun.storage import members as member_repo

        member_repo.set_display_names(conn, names={script_id: SCRIPT_NICK})
        member_repo.add_nicknames(conn, entries=[
            {"member_id": script_id, "group_id": None, "nickname": SCRIPT_NICK, "at_ms": 1}])
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
