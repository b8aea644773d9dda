"""`qunyun report` output as an operator opens it: the HTML offline in Chromium with its charts
drawn and hostile names inert, the JSON with its documented fields, the CSV in Excel."""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from qunyun.analytics.tiers import TIER_NAMES, TIERS
from qunyun.cli import app
from qunyun.report.write import write_report
from tests.analytics.test_report import HOSTILE, _plan, _report
from tests.conftest import EXAMPLES

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            raise RuntimeError("Chromium is missing: ./dev.sh setup installs it")
        pytest.skip("Chromium not installed (./dev.sh setup installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def written(engine: Engine, tmp_path: Path) -> tuple[dict[str, Any], dict[str, Path]]:
    report = _report(engine, _plan(elimination={"silent_days": 20}))
    return report, write_report(report, tmp_path / "out")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_html_opens_offline_with_charts_drawn_and_names_inert(
        written: tuple[dict[str, Any], dict[str, Path]], browser: Any) -> None:
    _report_data, paths = written
    page = browser.new_page(viewport={"width": 1280, "height": 2000})
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: errors.append("dialog: " + d.message))
    page.goto(paths["html"].as_uri())
    page.wait_for_function("window.qunyunReportReady === true", timeout=10_000)
    assert errors == []
    assert [u for u in requests if not u.startswith("file:")] == []  # nothing from a network
    # Every chart drew something: a blank canvas exports to a short data URL.
    sizes = page.evaluate("""Array.from(document.querySelectorAll('.chart')).map(
        d => echarts.getInstanceByDom(d).getDataURL({pixelRatio: 1}).length)""")
    blank = page.evaluate("""(() => { const c = document.createElement('canvas');
        c.width = 600; c.height = 320; return c.toDataURL().length; })()""")
    assert len(sizes) == 5 and all(s > 3 * blank for s in sizes), (sizes, blank)
    # The hostile nickname is shown as text and never ran.
    assert page.evaluate("window.pwned") is None
    assert HOSTILE in page.inner_text("#members")
    assert page.locator("script", has_text="window.pwned").count() == 0
    # Chinese is drawn with a real font, not boxes (fonts-wqy-microhei).
    boxes = page.evaluate("""(() => { const draw = t => { const c = document.createElement('canvas');
        c.width = 80; c.height = 30; const x = c.getContext('2d'); x.font = '20px sans-serif';
        x.fillText(t, 0, 22); return c.toDataURL(); }; return draw('社群') === draw('\\ue000\\ue001'); })()""")
    assert boxes is False
    page.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_chart_titles_legends_and_sliders_stay_apart_on_a_desktop_and_a_phone(
        written: tuple[dict[str, Any], dict[str, Path]], browser: Any, width: int) -> None:
    """The daily chart's legend stood beside its title, and in a phone's width the two ran
    into each other: it has a line of its own, clear of the zoom slider too."""
    from tests.chart_boxes import chart_parts, collisions

    _report_data, paths = written
    page = browser.new_page(viewport={"width": width, "height": 844 if width < 500 else 800})
    page.goto(paths["html"].as_uri())
    page.wait_for_function("window.qunyunReportReady === true", timeout=10_000)
    charts = chart_parts(page, ".chart")
    assert len(charts) == 5
    daily = next(c for c in charts if c["chart"] == "chart-daily")
    assert daily["legend"] and daily["title"] and daily["slider"], daily
    assert [found for c in charts for found in collisions(c)] == []
    page.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_groups_are_named_as_the_console_names_them_and_empty_tiers_are_noted(
        engine: Engine, tmp_path: Path, browser: Any) -> None:
    """Two groups with one name are told apart the console's way — 「测试群（Telegram #2）」 —
    in the report's group table and scope list; the tier chart draws the tiers that have
    members and names the empty ones once, instead of a column of "0" labels."""
    from datetime import timedelta

    from qunyun.analytics import build_report
    from qunyun.events import GroupRef, MessagePosted
    from qunyun.report.words import group_names
    from qunyun.services.importing import import_events
    from qunyun.storage.community import communities as community_repo
    from qunyun.storage.console import overview as console_overview
    from tests.analytics.test_report import AS_OF, history
    from tests.factories import GROUP, T0, user

    twin = GroupRef("telegram", "-1001", GROUP.name)  # the same group, bridged
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    import_events(engine, community_id=cid, events=[*history(), MessagePosted(
        source="t", source_event_id="tw1", group=twin, at=T0 + timedelta(days=29),
        actor=user(2), text="这边也有人")])
    report = build_report(engine, community_id=cid, plan=_plan(), as_of=AS_OF,
                          tz="Asia/Shanghai", community_name="c")
    with engine.connect() as conn:
        console = group_names(console_overview.groups_with_counts(conn, community_id=cid))
    assert sorted(console.values()) == ["测试群（Matrix #1）", "测试群（Telegram #2）"]
    paths = write_report(report, tmp_path / "out")
    page = browser.new_page(viewport={"width": 1280, "height": 2000})
    page.goto(paths["html"].as_uri())
    page.wait_for_function("window.qunyunReportReady === true", timeout=10_000)
    shown = page.eval_on_selector_all("#groups tr td:first-child",
                                      "cells => cells.map(c => c.textContent)")
    assert shown == [console[int(g["id"])] for g in report["groups"]]
    scopes = page.eval_on_selector_all("#scope option", "os => os.map(o => o.textContent)")
    assert scopes == ["全社群", *shown]
    counts = report["community"]["tiers"]
    empty = [TIER_NAMES[t] for t in TIERS if not counts.get(t)]
    assert empty and len(empty) < len(TIERS)  # the case this test is about
    option = page.evaluate("""(() => { const o = echarts.getInstanceByDom(
        document.getElementById('chart-tiers')).getOption();
        return {axis: o.yAxis[0].data, bars: o.series[0].data, note: o.title[0].subtext}; })()""")
    assert option["axis"] == [TIER_NAMES[t] for t in TIERS if counts.get(t)]
    assert 0 not in option["bars"]
    assert option["note"] == "无成员的层级：" + "、".join(empty)
    page.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_json_and_csv_hold_what_tools_rely_on(
        written: tuple[dict[str, Any], dict[str, Path]]) -> None:
    report, paths = written
    data = orjson.loads(paths["json"].read_bytes())
    assert data == orjson.loads(orjson.dumps(report))
    for key in ("messages", "senders", "joins", "leaves", "first_event", "last_event"):
        assert key in data["groups"][0]
    for key in ("messages", "first_seen", "last_seen", "tier", "tier_reason"):
        assert key in data["members"][0]
    raw = paths["csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM for Chinese
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == len(report["members"])
    assert {r["name"] for r in rows} >= {"用户1", HOSTILE}
    from openpyxl import load_workbook

    book = load_workbook(paths["xlsx"], read_only=True)
    sheet = book["成员 members"]
    rows_xlsx = list(sheet.iter_rows(values_only=True))
    assert len(rows_xlsx) == len(report["members"]) + 1 and rows_xlsx[0][0] == "id"


def test_cli_import_then_report(tmp_path: Path) -> None:
    from qunyun.samples import write_telegram_export

    export = write_telegram_export(tmp_path / "result.json", messages=3000, senders=120, days=60)
    db = f"sqlite:///{tmp_path / 'q.db'}"
    runner = CliRunner()
    env = {"QUNYUN_PROGRESS": "0"}
    imported = runner.invoke(app, ["import", str(export), "--db", db, "--community", "camp"],
                             env=env)
    assert imported.exit_code == 0, imported.output
    out = tmp_path / "report"
    result = runner.invoke(app, ["report", "--db", db, "--out", str(out), "--plan",
                                 str(EXAMPLES / "python-camp.yaml")], env=env)
    assert result.exit_code == 0, result.output
    data = orjson.loads((out / "report.json").read_bytes())
    assert data["community"]["messages"] == 3000
    assert {p.name for p in out.iterdir()} == {"report.json", "report.html", "members.csv",
                                               "members.xlsx"}
    missing = runner.invoke(app, ["report", "--db", db, "--out", str(out), "--community", "nope"])
    assert missing.exit_code != 0 and "nope" in missing.output


def test_ctrl_c_during_a_report_says_so_and_leaves_the_last_report_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while `qunyun report` builds: one line in both languages, exit 130, and the
    report files already in the directory are the last whole ones."""
    from qunyun import analytics
    from qunyun.samples import write_telegram_export

    export = write_telegram_export(tmp_path / "result.json", messages=400, senders=30, days=10)
    db = f"sqlite:///{tmp_path / 'q.db'}"
    runner = CliRunner()
    env = {"QUNYUN_PROGRESS": "0"}
    out = tmp_path / "report"
    first = runner.invoke(app, ["import", str(export), "--db", db, "--community", "camp",
                                "--report", str(out)], env=env)
    assert first.exit_code == 0, first.output
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def pressed(*_args: Any, **_kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(analytics, "build_report", pressed)
    result = runner.invoke(app, ["report", "--db", db, "--out", str(out)], env=env)
    assert result.exit_code == 130
    assert "中断 interrupted" in result.output and "run the same command again" in result.output
    assert "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_import_with_report_writes_the_same_report_as_the_two_commands(tmp_path: Path) -> None:
    """`qunyun import FILE --report DIR` (one process) gives the report `qunyun report`
    writes after a plain import of the same seeded export, file for file."""
    from qunyun.samples import write_telegram_export

    export = write_telegram_export(tmp_path / "result.json", messages=3000, senders=120, days=60,
                                   seed=7)
    runner = CliRunner()
    env = {"QUNYUN_PROGRESS": "0"}
    one_db, two_db = f"sqlite:///{tmp_path / 'one.db'}", f"sqlite:///{tmp_path / 'two.db'}"
    one = runner.invoke(app, ["import", str(export), "--db", one_db, "--community", "camp",
                              "--report", str(tmp_path / "one")], env=env)
    assert one.exit_code == 0, one.output
    assert "3,000 条消息 messages" in one.output
    imported = runner.invoke(app, ["import", str(export), "--db", two_db, "--community", "camp"],
                             env=env)
    assert imported.exit_code == 0, imported.output
    two = runner.invoke(app, ["report", "--db", two_db, "--community", "camp", "--out",
                              str(tmp_path / "two")], env=env)
    assert two.exit_code == 0, two.output
    a, b = (orjson.loads((tmp_path / d / "report.json").read_bytes()) for d in ("one", "two"))
    a.pop("generated_at")
    b.pop("generated_at")
    assert a == b and a["community"]["messages"] == 3000
    assert (tmp_path / "one" / "members.csv").read_bytes() == \
        (tmp_path / "two" / "members.csv").read_bytes()


def test_import_with_report_after_a_failed_file_reports_what_was_imported(tmp_path: Path) -> None:
    from qunyun.samples import write_telegram_export

    good = write_telegram_export(tmp_path / "good.json", messages=500, senders=40, days=20)
    bad = tmp_path / "bad.json"
    bad.write_bytes(good.read_bytes()[:2000])  # cut mid-file: refused, nothing written
    result = CliRunner().invoke(app, [
        "import", str(bad), str(good), "--db", f"sqlite:///{tmp_path / 'q.db'}",
        "--community", "camp", "--report", str(tmp_path / "out")], env={"QUNYUN_PROGRESS": "0"})
    assert result.exit_code == 1, result.output
    data = orjson.loads((tmp_path / "out" / "report.json").read_bytes())
    assert data["community"]["messages"] == 500


def test_the_report_says_when_placeholder_authors_spoke(tmp_path: Path) -> None:
    """Two kinds of placeholder, one import each into one community, then the report:
    a WhatsApp "This message was deleted" (a message and a recall: its author spoke) and
    a Telegram deleted account (`from: null`, no name in the export: a placeholder author,
    whose messages count and whom the report names as such, never by an internal id)."""
    chat = tmp_path / "WhatsApp Chat with Club.txt"
    chat.write_text("[12/03/2024, 14:25:13] Ann: hello\n"
                    "[12/03/2024, 14:26:00] Bob: \u200eThis message was deleted.\n"
                    "[13/03/2024, 09:00:00] Ann: bye\n", encoding="utf-8")
    telegram = tmp_path / "result.json"
    telegram.write_bytes(orjson.dumps({"name": "G", "type": "private_supergroup", "id": 5,
                                       "messages": [
        {"id": 1, "type": "message", "date": "2024-03-13T10:00:00",
         "date_unixtime": "1710295200", "from": "Alice", "from_id": "user1", "text": "hi"},
        {"id": 2, "type": "message", "date": "2024-03-13T10:01:00",
         "date_unixtime": "1710295260", "from": None, "from_id": "user99", "text": "我已注销"},
        {"id": 3, "type": "message", "date": "2024-03-13T10:02:00",
         "date_unixtime": "1710295320", "from": None, "from_id": "user99", "text": "再说一句"},
    ]}))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "import", str(chat), str(telegram), "--db", f"sqlite:///{tmp_path / 'q.db'}",
        "--community", "club", "--report", str(out)], env={"QUNYUN_PROGRESS": "0"})
    assert result.exit_code == 0, result.output
    data = orjson.loads((out / "report.json").read_bytes())
    members = {m["name"]: m for m in data["members"]}
    # Bob posted only a deleted-message placeholder: he spoke.
    assert members["Bob"]["messages"] == 1 and members["Bob"]["tier"] != "onlooker"
    assert members["Bob"]["placeholder_author"] is False
    # The deleted Telegram account spoke twice, under no name.
    nameless = members[None]
    assert nameless["messages"] == 2 and nameless["placeholder_author"] is True
    community = data["community"]
    assert community["messages"] == 6 and community["senders"] == 4
    assert community["recalls"] == 1
    assert (community["placeholder_messages"], community["placeholder_senders"]) == (2, 1)
    whatsapp, tg = sorted(data["groups"], key=lambda g: g["platform"])[::-1]
    assert tg["placeholder_messages"] == 2 and whatsapp["placeholder_messages"] == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "其中 2 条消息来自 1 个无名账号" in html
    listed = html.split('<section id="members">', 1)[1].split("</section>", 1)[0]
    assert '<td class="nowrap">（无名账号）' in listed and f">{nameless['id']}</td>" not in listed
    rows = list(csv.DictReader(io.StringIO((out / "members.csv").read_text("utf-8-sig"))))
    assert [r["placeholder_author"] for r in rows if not r["name"]] == ["True"]


def test_report_uses_the_communitys_stored_plan(tmp_path: Path) -> None:
    """`qunyun report` without --plan takes the plan stored for the community (and only
    then loads the plan service); without one, the defaults."""
    from qunyun.samples import write_telegram_export
    from qunyun.services import plans as plan_service
    from qunyun.storage.community import communities as community_repo
    from qunyun.storage.engine import make_engine

    export = write_telegram_export(tmp_path / "result.json", messages=300, senders=20, days=10)
    db = f"sqlite:///{tmp_path / 'q.db'}"
    runner = CliRunner()
    env = {"QUNYUN_PROGRESS": "0"}
    plain = runner.invoke(app, ["import", str(export), "--db", db, "--community", "python-camp",
                                "--report", str(tmp_path / "plain")], env=env)
    assert plain.exit_code == 0, plain.output
    assert "stored plan" not in plain.output
    engine = make_engine(db)
    try:
        with engine.begin() as conn:
            cid = community_repo.find_community(conn, slug="python-camp")
            assert cid is not None
            saved = plan_service.save_plan(
                conn, community_id=cid, operator="test",
                text=(EXAMPLES / "python-camp.yaml").read_text(encoding="utf-8"))
            assert saved.saved
    finally:
        engine.dispose()
    result = runner.invoke(app, ["report", "--db", db, "--community", "python-camp", "--out",
                                 str(tmp_path / "stored")], env=env)
    assert result.exit_code == 0, result.output
    assert "the community's stored plan" in result.output
    stored = orjson.loads((tmp_path / "stored" / "report.json").read_bytes())
    assert stored["plan"] is not None
    assert orjson.loads((tmp_path / "plain" / "report.json").read_bytes())["plan"] is None


def _report_json(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((out / "report.json").read_bytes())
    data.pop("generated_at")
    return data


def test_import_with_report_reuses_the_imported_frames_only_when_they_are_the_whole_log(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`import FILE --report` builds the report from the frames it just wrote when the
    event log is exactly them, and the report is the one read from the database
    (SQLite and PostgreSQL); a second file, a re-import or another community's events
    beside them fall back to reading it."""
    from qunyun.samples import write_telegram_export
    from qunyun.storage.events import frames

    first = write_telegram_export(tmp_path / "a.json", messages=2000, senders=80, days=40,
                                  seed=3)
    second = write_telegram_export(tmp_path / "b.json", messages=500, senders=30, days=10,
                                   seed=4)
    used: list[bool] = []
    real = frames.Reader.__init__

    def spy(self: frames.Reader, *args: Any, **kwargs: Any) -> None:
        used.append(kwargs.get("held") is not None)
        real(self, *args, **kwargs)

    monkeypatch.setattr(frames.Reader, "__init__", spy)
    runner = CliRunner()
    env = {"QUNYUN_PROGRESS": "0"}

    def run(*args: str) -> None:
        result = runner.invoke(app, [*args, "--db", db_url, "--community", "camp"], env=env)
        assert result.exit_code == 0, result.output

    run("import", str(first), "--report", str(tmp_path / "held"))
    assert True in used  # the report's reader was given the frames
    used.clear()
    run("report", "--out", str(tmp_path / "read"))
    assert used and True not in used
    assert _report_json(tmp_path / "held") == _report_json(tmp_path / "read")
    assert (tmp_path / "held" / "members.csv").read_bytes() == \
        (tmp_path / "read" / "members.csv").read_bytes()
    # Again (every event already there), and a second file: the log is more than the
    # last file wrote, so it is read from the database.
    for args in ((str(first),), (str(second),)):
        used.clear()
        run("import", *args, "--report", str(tmp_path / "again"))
        assert True not in used
        run("report", "--out", str(tmp_path / "read"))
        assert _report_json(tmp_path / "again") == _report_json(tmp_path / "read")
    # A community of its own, in a database that holds another's events: read back too.
    used.clear()
    beside = runner.invoke(app, ["import", str(second), "--db", db_url, "--community", "club",
                                 "--report", str(tmp_path / "club")], env=env)
    assert beside.exit_code == 0, beside.output
    assert True not in used
    read = runner.invoke(app, ["report", "--db", db_url, "--community", "club", "--out",
                               str(tmp_path / "club-read")], env=env)
    assert read.exit_code == 0, read.output
    assert _report_json(tmp_path / "club") == _report_json(tmp_path / "club-read")


def test_a_ctrl_c_while_the_files_are_replaced_waits_for_the_last_one(
        written: tuple[dict[str, Any], dict[str, Path]], monkeypatch: pytest.MonkeyPatch) -> None:
    """The four files are replaced together: a Ctrl-C (SIGINT) that lands between two of
    them is raised once the last is in place, so the directory never mixes two reports."""
    import signal

    from qunyun.report import write

    report, paths = written
    out = paths["json"].parent
    newer = {**report, "generated_at": "2099-01-01T00:00:00+00:00"}
    real = write.atomic_write
    calls: list[Path] = []

    def interrupted_after_the_first(path: Path, data: bytes) -> None:
        real(path, data)
        calls.append(path)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(write, "atomic_write", interrupted_after_the_first)
    with pytest.raises(KeyboardInterrupt):
        write.write_report(newer, out)
    assert len(calls) == 4
    assert orjson.loads(paths["json"].read_bytes())["generated_at"].startswith("2099")
    assert "2099" in paths["html"].read_text(encoding="utf-8")
