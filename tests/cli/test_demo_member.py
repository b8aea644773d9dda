"""`qunyun demo-member NAME` without a homeserver at hand: before the demo ran it says what
to run first; a member made before is shown again with how to sign in (nothing is made
twice); a user name Synapse would refuse is refused here, in words. The real registration
and join are `tests/e2e/test_demo_members.py`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from qunyun.bot.demo_members import localpart_for
from qunyun.cli import app


def _local_dir(tmp_path: Path) -> Path:
    """A local demo's data directory as `qunyun up` leaves it (the homeserver stopped)."""
    data = tmp_path / "matrix"
    data.mkdir()
    (data / "shared-secret").write_text("s3cret")
    (data / "qunyun-local.json").write_text(
        json.dumps(
            {
                "port": 1,
                "bot_token": "t",
                "operator": "@operator:localhost",
                "room_id": "!r:localhost",
                "room_name": "Python 数据分析进阶营",
                "members": [
                    {
                        "user_id": "@zhangsan:localhost",
                        "localpart": "zhangsan",
                        "name": "张三",
                        "password": "pw-zhang",
                    }
                ],
            }
        )
    )
    return data


def test_before_the_demo_ran_it_says_what_to_run_first(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo-member", "赵六", "--local-dir", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "./dev.sh run" in result.output and "Traceback" not in result.output


def test_a_member_made_before_is_shown_again_with_how_to_sign_in(tmp_path: Path) -> None:
    data = _local_dir(tmp_path)
    result = CliRunner().invoke(app, ["demo-member", "张三", "--local-dir", str(data)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "http://127.0.0.1:1" in out  # the homeserver URL to point the client at
    assert "zhangsan" in out and "pw-zhang" in out
    assert "Python 数据分析进阶营" in out and "Element" in out
    # The README's step 2, word for word: Element's 「编辑」 next to the homeserver (walk
    # finding 60: it said 「其他」 here).
    assert "「编辑」" in out and "「其他」" not in out
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert "Edit (「编辑」)" in readme and "「其他」" not in readme
    assert len(json.loads((data / "qunyun-local.json").read_text())["members"]) == 1


def test_a_user_name_the_homeserver_would_refuse_is_refused_in_words(tmp_path: Path) -> None:
    data = _local_dir(tmp_path)
    result = CliRunner().invoke(
        app, ["demo-member", "赵六", "--user", "Zhao Liu!", "--local-dir", str(data)]
    )
    assert result.exit_code == 1
    assert "用户名" in result.output and "Traceback" not in result.output


def test_a_chinese_name_gets_the_next_free_member_number() -> None:
    assert localpart_for("zhaoliu", set()) == "zhaoliu"
    assert localpart_for("赵六", {"zhangsan", "lisi", "wangwu"}) == "member4"
    assert localpart_for("钱七", {"member4", "x", "y"}) == "member5"
