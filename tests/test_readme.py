"""The README stays in step with the code: the CI command, every setting, every subcommand and flag."""

from __future__ import annotations

import re

from bot.settings import Settings

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_quick_start_has_exactly_two_commands() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    assert "smscode explain QPS_LIMIT_CONTROL" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert quick_start_commands()[1] in ci.splitlines()


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"`{name.upper()}`" in README, name


def test_every_subcommand_and_explain_flag_is_documented() -> None:
    words = ("smscode explain", "smscode serve", "--json", "--passive", "--blocks", "--http", "--socket")
    for word in words:
        assert word in README, word
