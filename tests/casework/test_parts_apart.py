"""The appeals desk does not import triage: triage learns from the desk (domain events) and answers
its questions (appeals/suggestions.py), never the other way round. Casework imports neither."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import zhengwu

SRC = Path(zhengwu.__file__).parent


def imported_modules(folder: Path) -> dict[str, set[str]]:
    """Every module each file of ``folder`` imports (at any depth, lazily or not), as written."""
    found: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        package = ["zhengwu", *path.relative_to(SRC).parent.parts]
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                # ``from ..triage import x`` inside zhengwu/appeals is zhengwu.triage.x
                base = package[: len(package) - node.level + 1] if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                names.add(module)
                names.update(f"{module}.{alias.name}" for alias in node.names)
        found[str(path.relative_to(SRC))] = names
    return found


def offenders(folder: str, *parts: str) -> list[str]:
    return [
        f"{path} imports {name}"
        for path, names in imported_modules(SRC / folder).items()
        for name in sorted(names)
        if any(name == p or name.startswith(f"{p}.") for p in parts)
    ]


def test_the_appeals_desk_does_not_import_triage():
    assert imported_modules(SRC / "appeals"), "the walk found no files"
    assert offenders("appeals", "zhengwu.triage") == []


def test_the_walk_would_see_an_import_of_triage(tmp_path, monkeypatch):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "views.py").write_text(
        "def f():\n    from zhengwu.triage import services\n    return services\n", encoding="utf-8"
    )
    (tmp_path / "x" / "repeats.py").write_text("from ..triage.duplicates import DuplicateIndex\n")
    (tmp_path / "x" / "pages.py").write_text("from zhengwu import triage\nfrom . import models\n")
    monkeypatch.setattr(sys.modules[__name__], "SRC", tmp_path)
    found = offenders("x", "zhengwu.triage")
    assert "x/views.py imports zhengwu.triage" in found
    assert "x/repeats.py imports zhengwu.triage.duplicates.DuplicateIndex" in found
    assert "x/pages.py imports zhengwu.triage" in found
    assert not any("models" in line for line in found)


def test_casework_imports_no_part_that_builds_on_it():
    parts = ("zhengwu.appeals", "zhengwu.applications", "zhengwu.triage")
    assert offenders("casework", *parts) == []
