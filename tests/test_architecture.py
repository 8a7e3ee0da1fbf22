"""The shape of the house (STYLE.md), checked on the source: which package may import which, no import circle
between modules, the dialogue deterministic, and only `voicebot` reading the environment.

Every import counts, wherever it stands: at the top, inside a function, or under `TYPE_CHECKING`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("booking", "dialogue", "telephony", "voicebot")
AUDIO_AND_IO = {
    "pipecat", "sqlmodel", "sqlalchemy", "alembic", "psycopg", "numpy", "scipy", "torch", "soundfile",
    "sounddevice", "pyaudio", "audioop", "wave", "webrtcvad", "faster_whisper", "piper", "kokoro_onnx",
    "onnxruntime", "twilio", "aiosipua", "aiortp", "aiohttp", "httpx", "requests", "fastapi", "starlette",
}  # fmt: skip
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "booking": ("dialogue", "telephony", "voicebot"),
    "dialogue": (
        "telephony", "voicebot", "booking.service", "booking.models", "booking.db", "booking.store",
        "booking.staff", *sorted(AUDIO_AND_IO),
    ),
    "telephony": ("booking", "dialogue", "voicebot"),
    "voicebot.phone": ("voicebot.console",),
}  # fmt: skip
"""For each package (or sub-package), the modules it never imports, nor anything below them."""
CLOCK_CALLS = {("datetime", "now"), ("date", "today"), ("datetime", "today"), ("datetime", "utcnow"), ("time", "time")}


def source_files() -> list[Path]:
    files = [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]
    return [path for path in files if "migrations" not in path.parts]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def known_modules() -> frozenset[str]:
    return frozenset(module_name(path) for path in source_files())


def imports_of(path: Path) -> Iterator[str]:
    """The modules `path` imports (for `from package import name`, the module `package.name` when it is one)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            yield base
            for alias in node.names:
                if f"{base}.{alias.name}" in known_modules():
                    yield f"{base}.{alias.name}"


def below(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_every_package_is_walked() -> None:
    names = known_modules()
    for expected in (
        "booking.slots",
        "dialogue.machine",
        "dialogue.understand.when",
        "telephony.twilio.gateway",
        "telephony.sip.transport",
        "voicebot.phone.twilio",
        "voicebot.simulate.chat",
        "voicebot.app",
    ):
        assert expected in names


@pytest.mark.parametrize("path", source_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_import_points_the_wrong_way(path: Path) -> None:
    module = module_name(path)
    for package, forbidden in FORBIDDEN.items():
        if not below(module, package):
            continue
        wrong = sorted({name for name in imports_of(path) for target in forbidden if below(name, target)})
        assert wrong == [], f"{module} ({package}) imports {wrong}"


@pytest.mark.parametrize("path", source_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_only_voicebot_reads_the_environment(path: Path) -> None:
    if below(module_name(path), "voicebot"):
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os":
            assert node.attr not in ("environ", "getenv", "putenv"), f"{path}:{node.lineno} reads os.{node.attr}"


@pytest.mark.parametrize("path", sorted((ROOT / "dialogue").rglob("*.py")), ids=lambda path: path.name)
def test_the_dialogue_reads_no_clock_and_draws_no_chance(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        func = node.func if isinstance(node, ast.Call) else None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            assert (func.value.id, func.attr) not in CLOCK_CALLS, f"{path}:{func.lineno}: pass `now` in"
    assert not {name.split(".")[0] for name in imports_of(path)} & {"os", "random", "secrets"}, path


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in source_files():
        module = module_name(path)
        graph[module] = {name for name in imports_of(path) if name in known_modules() and name != module}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_circles_are_found() -> None:
    assert circles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_no_import_circle_between_modules() -> None:
    assert circles(import_graph()) == []
