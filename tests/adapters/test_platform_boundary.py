"""No platform types outside `qunyun/adapters/` (I1), read from the source itself: an AST
walk over every module of the package, so a new import anywhere — at the top of a file or
inside a function — is caught.

- The platforms' libraries (python-telegram-bot, websockets for OneBot, a Matrix SDK
  should one come) are imported only inside `qunyun/adapters/`.
- Outside it, only the composition roots that start a bot (`qunyun/bot/`, the `qunyun
  bot` command, the console's Telegram webhook route) import an adapter, and only its
  entry modules (runner, client, webhook…), never what an adapter keeps to itself
  (translate, rooms, formatting).
- What decides (policies, domain rules, the pipeline) names no platform: it asks the
  adapter's capabilities (`qunyun/capabilities.py`) instead of comparing a platform name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "qunyun"
ADAPTERS = PACKAGE / "adapters"

# Top-level names of the platforms' libraries (and of their usual alternatives, so a
# switch of library keeps to the same rule).
PLATFORM_LIBRARIES = {"telegram", "aiogram", "nio", "mautrix", "websockets", "aiocqhttp",
                      "nonebot", "nonebot2"}
# Outside adapters/, who may start an adapter: the places a bot process is put together.
COMPOSITION_ROOTS = ("bot/", "cli/bot.py", "web/routes/telegram.py")
# What an adapter offers those roots; every other adapter module is its own business.
ENTRY_MODULES = {"qunyun.adapters.contract", "qunyun.adapters.matrix.runner",
                 "qunyun.adapters.matrix.client", "qunyun.adapters.matrix.homeserver",
                 "qunyun.adapters.onebot.runner", "qunyun.adapters.onebot.client",
                 "qunyun.adapters.onebot.reverse", "qunyun.adapters.telegram.runner",
                 "qunyun.adapters.telegram.webhook"}
# Where decisions are made: no platform's name in them.
DECIDING = ("policies/", "domain/", "pipeline/")
PLATFORM_NAMES = {"matrix", "telegram", "qq", "onebot", "wechat"}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    """A module or package of qunyun's own (not a name defined in one)."""
    parts = name.split(".")
    if parts[0] != "qunyun":
        return False
    base = PACKAGE.parent.joinpath(*parts)
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in the file: `from x import y` is the
    module `x.y` where y is one, else `x`; relative imports resolved against the package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                yield node.lineno, sub if is_module(sub) else module


def where(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def outside_adapters() -> list[Path]:
    return [p for p in modules() if not p.is_relative_to(ADAPTERS)]


def test_the_walk_sees_what_it_must() -> None:
    """The check itself: it reads the adapters' own imports of their libraries (so a
    silent walk that finds nothing would fail here, not pass everywhere)."""
    inside = {m.split(".")[0] for p in modules() if p.is_relative_to(ADAPTERS)
              for _, m in imported(p)}
    assert {"telegram", "websockets"} <= inside
    relative = {m for _, m in imported(ADAPTERS / "onebot" / "runner.py")}
    assert "qunyun.adapters.onebot.translate" in relative


def test_platform_libraries_only_inside_adapters() -> None:
    found = [f"{where(p)}:{line} imports {m}" for p in outside_adapters()
             for line, m in imported(p) if m.split(".")[0] in PLATFORM_LIBRARIES]
    assert found == [], "a platform library outside qunyun/adapters/:\n" + "\n".join(found)


def test_only_the_composition_roots_start_an_adapter_and_through_its_entry_modules() -> None:
    found: list[str] = []
    for path in outside_adapters():
        for line, module in imported(path):
            if not module.startswith("qunyun.adapters"):
                continue
            if not where(path).startswith(COMPOSITION_ROOTS):
                found.append(f"{where(path)}:{line} imports {module} (not a composition root)")
            elif module not in ENTRY_MODULES:
                found.append(f"{where(path)}:{line} imports {module} (an adapter's internals)")
    assert found == [], "adapter imports outside qunyun/adapters/:\n" + "\n".join(found)


@pytest.mark.parametrize("folder", DECIDING)
def test_what_decides_asks_capabilities_not_a_platform_name(folder: str) -> None:
    found = [f"{where(p)}:{node.lineno} names {node.value!r}"
             for p in modules() if where(p).startswith(folder)
             for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and node.value.lower() in PLATFORM_NAMES]
    assert found == [], "a platform's name where a capability should be asked:\n" \
        + "\n".join(found)
