"""`qunyun bot --help` and `qunyun up --help` say where the admins' alerts link to, and
how to give the console's public address behind a proxy (issue 11 walk13)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from qunyun.cli import app


@pytest.mark.parametrize("command", ["bot", "up"])
def test_the_help_names_the_console_url_setting(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    text = re.sub(r"\s+", " ", result.output)
    assert "QUNYUN_CONSOLE_URL" in text, text
    assert "管理员群里的提醒附控制台页面的链接" in text and "反向代理" in text, text
    assert "Alerts in the admins' room link to the console page" in text, text
