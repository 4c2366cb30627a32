"""Migrations are history: they must do tomorrow what they did when written, so the code they run
(RunPython, RunSQL) imports no application code — a later refactor of zhengwu.* would otherwise
change or break them on a new database. What Django's autodetector writes itself (a module-level
``import zhengwu.x.models`` to name a field's ``upload_to`` or validators) is only a reference."""

import ast
from pathlib import Path

import pytest

import zhengwu.appeals.migrations as package

MIGRATIONS = sorted(Path(package.__file__).parent.glob("0*.py"))


@pytest.mark.parametrize("path", MIGRATIONS, ids=[p.stem for p in MIGRATIONS])
def test_an_appeals_migration_runs_no_application_code(path):
    tree = ast.parse(path.read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        imported += [a.name for n in ast.walk(function) if isinstance(n, ast.Import) for a in n.names]
    assert [m for m in imported if m.startswith("zhengwu")] == []
