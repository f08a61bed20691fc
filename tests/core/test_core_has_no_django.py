"""okapi/core is pure domain code (STYLE): importing any of it must not import Django."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import okapi.core

ROOT = Path(__file__).resolve().parents[2]


def core_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(okapi.core.__path__, prefix="okapi.core."))


def imports_django(modules: list[str]) -> list[str]:
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print('\\n'.join(sorted(m for m in sys.modules if m.split('.')[0] == 'django')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "PYTHONPATH": str(ROOT)},
    )
    return result.stdout.split()


def test_it_finds_the_core_modules() -> None:
    assert {"okapi.core.coach", "okapi.core.stage", "okapi.core.scoring"} <= set(core_modules())


def test_it_imports_all_of_okapi_core_without_django() -> None:
    assert imports_django(core_modules()) == []


@pytest.mark.parametrize("first", ["okapi.core.stage", "okapi.core.coach.rules"])
def test_it_imports_the_coach_in_any_order(first: str) -> None:
    # stage and the coach rules import each other's modules; either may be imported first.
    assert imports_django([first, *core_modules()]) == []
