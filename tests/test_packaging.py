"""Packaging and boundaries: the wheel carries its catalogue, and the core never imports Slack transport."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

# The pure core: nothing here may reach Slack's network layers (models for Block Kit are fine).
CORE_MODULES = [p for p in (ROOT / "bot").glob("*.py") if p.stem not in {"serve", "settings"}]
FORBIDDEN = (
    "slack_bolt",
    "slack_sdk.web",
    "slack_sdk.socket_mode",
    "slack_sdk.webhook",
    "slack_sdk.http_retry",
)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", CORE_MODULES, ids=lambda p: p.name)
def test_core_modules_do_not_import_slack_transport(path: Path) -> None:
    bad = sorted(m for m in imported_modules(path) if m.startswith(FORBIDDEN))
    assert bad == []


def test_only_settings_reads_the_environment() -> None:
    readers = [
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "bot").rglob("*.py")
        if "os.environ" in p.read_text(encoding="utf-8") or "getenv" in p.read_text(encoding="utf-8")
    ]
    assert readers in ([], ["bot/settings.py"])


@pytest.mark.slow
def test_installed_wheel_finds_its_catalogue_from_another_directory(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("smscode-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import bot, bot.catalog as c; print(bot.__file__); print(c.default_catalog_dir())",
        ],
        cwd=elsewhere,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    module_file, catalog_dir = probe.stdout.split()
    assert module_file.startswith(str(target)), (
        "the test must exercise the installed copy, not the source tree"
    )
    assert catalog_dir.startswith(str(target))
    assert len(list(Path(catalog_dir).glob("*.toml"))) == 6
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "explain", "QPS_LIMIT_CONTROL"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "QPS_LIMIT_CONTROL" in result.stdout
