"""The audit log's member filter takes a name (walk finding 69: it asked for 「成员 #」, an
internal number an operator does not know)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of
from tests.web.seed import Seeded

Make = Callable[..., TestClient]


def _get(client: TestClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text[:300]
    return response.text


def test_the_audit_log_is_filtered_by_a_members_name(make_client: Make, seeded: Seeded) -> None:
    client = make_client("vol")
    token = csrf_of(client, "/c/python-camp/queues")
    client.post(f"/c/python-camp/queues/{seeded.suspect_item}",
                data={"csrf": token, "resolution": "exempted", "reason": "老学员"})
    everything = _get(client, "/c/python-camp/audit")
    assert "成员 #" not in everything and 'placeholder="成员名字（部分即可）"' in everything
    # Part of the name is enough (the seeded member is 「<script>…</script>坏人」).
    by_name = _get(client, "/c/python-camp/audit?member=坏人")
    assert "老学员" in by_name
    nobody = _get(client, "/c/python-camp/audit?member=没有这个人")
    assert "老学员" not in nobody and "没有名字里含“没有这个人”的成员" in nobody
    # 「#id」 still finds the member by number (what a link or an old bookmark holds).
    assert "老学员" in _get(client, f"/c/python-camp/audit?member=%23{seeded.script_member_id}")
