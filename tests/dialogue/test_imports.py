"""`dialogue/` stays pure: walk the imports of every module and fail when an arrow points the wrong way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "dialogue"
FORBIDDEN_ROOTS = {
    "pipecat",
    "telephony",
    "voicebot",
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "numpy",
    "scipy",
    "torch",
    "soundfile",
    "sounddevice",
    "pyaudio",
    "audioop",
    "wave",
    "webrtcvad",
    "faster_whisper",
    "piper",
    "twilio",
    "aiortc",
    "pjsua2",
    "httpx",
    "requests",
}
FORBIDDEN_MODULES = {"booking.service", "booking.models", "booking.db", "booking.store", "booking.staff"}
FORBIDDEN_CALLS = {
    ("datetime", "now"),
    ("date", "today"),
    ("datetime", "today"),
    ("datetime", "utcnow"),
    ("time", "time"),
    ("os", "getenv"),
    ("random", "random"),
}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_walks_every_module() -> None:
    names = {p.name for p in _modules()}
    assert {"machine.py", "state.py", "events.py", "actions.py"} <= names


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_dialogue_imports_no_io_layer(path: Path) -> None:
    for name in _imports(path):
        root = name.split(".")[0]
        assert root not in FORBIDDEN_ROOTS, f"{path.name} imports {name}"
        assert not any(name == m or name.startswith(m + ".") for m in FORBIDDEN_MODULES), f"{path.name} imports {name}"
        assert root not in ("os", "random", "secrets"), f"{path.name} imports {name}: the machine is deterministic"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_dialogue_reads_no_clock(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        func = node.func if isinstance(node, ast.Call) else None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            assert (func.value.id, func.attr) not in FORBIDDEN_CALLS, (
                f"{path.name}:{func.lineno} calls {func.value.id}.{func.attr}(): pass `now` in"
            )
