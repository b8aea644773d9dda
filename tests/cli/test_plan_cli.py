"""The `qunyun plan` contract: exit 0 when ready, 1 with one finding a line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES


def qunyun(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qunyun", *args], capture_output=True, text=True, cwd=cwd,
        timeout=120,
    )


def test_ready_plan_exits_zero() -> None:
    result = qunyun("plan", "check", str(EXAMPLES / "python-camp.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_incomplete_plan_exits_one_with_one_finding_a_line() -> None:
    path = str(EXAMPLES / "draft-incomplete.yaml")
    result = qunyun("plan", "check", path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) > 10
    assert all(line.startswith(path + ":") for line in lines)
    assert "Traceback" not in result.stderr


def test_english_output() -> None:
    result = qunyun("plan", "check", "--lang", "en", str(EXAMPLES / "draft-incomplete.yaml"))
    assert result.returncode == 1 and "above WeChat's limit of 500" in result.stdout


def test_garbage_file_is_a_finding_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\x00\x01\xff\xfe binary")
    result = qunyun("plan", "check", str(bad))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stdout.startswith(str(bad))


def test_rules_and_welcome_render() -> None:
    rules = qunyun("plan", "rules", str(EXAMPLES / "fruit-shop.yaml"))
    assert rules.returncode == 0 and "三、禁止行为" in rules.stdout
    welcome = qunyun("plan", "welcome", "--newcomer", "王姐", str(EXAMPLES / "fruit-shop.yaml"))
    assert welcome.returncode == 0 and welcome.stdout.startswith("@王姐 欢迎邻居进群")


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = qunyun("db", "upgrade", "--db", "postgresql://nobody@127.0.0.1:1/x")
    assert result.returncode == 2
    assert "无法连接数据库" in result.stderr and "Traceback" not in result.stderr


def test_findings_in_chinese_name_the_area_not_the_playbook_id(tmp_path: Path) -> None:
    """Walk12 findings 39/40: `[schema]`, `[O3]` meant nothing to an operator; the FAQ's
    「!交作业 链接」 is the homework command's alias (it works), 「!上交作业」 is not."""
    import re

    text = (EXAMPLES / "python-camp.yaml").read_text(encoding="utf-8")
    assert "「!作业 链接」" in text
    alias = tmp_path / "alias.yaml"
    alias.write_text(text.replace("「!作业 链接」", "「!交作业 链接」"), encoding="utf-8")
    assert qunyun("plan", "check", str(alias)).returncode == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace("「!作业 链接」", "「!上交作业 链接」")
                      .replace("warn_limit: 3", "warn_limit: 三次"), encoding="utf-8")
    zh = qunyun("plan", "check", str(broken))
    assert zh.returncode == 1
    lines = zh.stdout.splitlines()
    assert any("【命令】" in line and "!上交作业" in line for line in lines), lines
    assert any("【格式】" in line and "warn_limit" in line for line in lines), lines
    assert not re.search(r"\[(schema|[A-Z]\d)\]", zh.stdout), zh.stdout
    en = qunyun("plan", "check", "--lang", "en", str(broken)).stdout
    assert "[A2]" in en and "[schema]" in en
