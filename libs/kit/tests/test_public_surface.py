"""The kit's public surface: each module's ``__all__``, and nobody outside the kit reaching past it.

Import-linter sees modules, not names, so this test reads the imports itself (with
``ast``): every ``from helpdesk_kit.<module> import <name>`` in the services, their
tests, the end-to-end tests, bench/, tools/ and libs/devstack must name something in
that module's ``__all__``. Inside the kit, modules may use each other's internals.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import helpdesk_kit

REPO = Path(__file__).resolve().parents[3]
OUTSIDE_THE_KIT = ["services", "tests", "bench", "tools", "libs/devstack"]


def kit_modules() -> dict[str, list[str]]:
    """Every module of the kit with its ``__all__`` (a missing one fails here)."""
    modules = {"helpdesk_kit": list(helpdesk_kit.__all__)}
    for info in pkgutil.walk_packages(helpdesk_kit.__path__, "helpdesk_kit."):
        module = importlib.import_module(info.name)
        public = getattr(module, "__all__", None)
        assert isinstance(public, list), f"{info.name} declares no __all__ list"
        modules[info.name] = public
    return modules


def reaches_past_all(source: str, filename: str, modules: dict[str, list[str]]) -> Iterator[str]:
    """``file:line module.name`` for each kit name imported that its module does not export."""
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.ImportFrom) or node.module is None:
            continue
        if node.module != "helpdesk_kit" and not node.module.startswith("helpdesk_kit."):
            continue
        for alias in node.names:
            submodule = f"{node.module}.{alias.name}"
            if submodule in modules:  # `from helpdesk_kit import streams`
                continue
            if alias.name not in modules.get(node.module, []):
                yield f"{filename}:{node.lineno} {node.module}.{alias.name}"


def python_files() -> Iterator[Path]:
    for top in OUTSIDE_THE_KIT:
        for path in sorted((REPO / top).rglob("*.py")):
            if not {".venv", "node_modules", "__pycache__"} & set(path.parts):
                yield path


def test_every_kit_module_declares_public_names_that_exist_and_are_not_underscored() -> None:
    for name, public in kit_modules().items():
        module = importlib.import_module(name)
        for entry in public:
            assert not entry.startswith("_"), f"{name}.__all__ lists the internal name {entry}"
            assert hasattr(module, entry), f"{name}.__all__ lists {entry}, which it does not define"


def test_nothing_outside_the_kit_imports_a_kit_name_missing_from_all() -> None:
    modules = kit_modules()
    offenders = [
        hit
        for path in python_files()
        for hit in reaches_past_all(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)), modules)
    ]
    assert offenders == []


def test_the_check_reports_an_internal_name_and_an_unknown_module() -> None:
    source = (
        "from helpdesk_kit.db import Database, _keep_session\n"
        "from helpdesk_kit.nowhere import thing\n"
        "from helpdesk_kit import db\n"
    )
    hits = list(reaches_past_all(source, "x.py", kit_modules()))
    assert hits == ["x.py:1 helpdesk_kit.db._keep_session", "x.py:2 helpdesk_kit.nowhere.thing"]
