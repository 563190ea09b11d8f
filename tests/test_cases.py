"""Every shared case (tests/data/intl.jsonl, beyond.jsonl), judged by the rank rules of check_cases.py."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from bot.catalog import Catalog
from bot.matching import find_codes, lookup_to_dict
from bot.results import Mode

from .conftest import DATA, ROOT

CASE_FILES = ("intl.jsonl", "beyond.jsonl")


def load_cases() -> list[dict[str, Any]]:
    cases = []
    for name in CASE_FILES:
        with (DATA / name).open(encoding="utf-8") as fh:
            cases += [json.loads(line) for line in fh if line.strip()]
    return cases


CASES = load_cases()


def judge(case: dict[str, Any], matches: list[dict[str, Any]], found: bool) -> tuple[bool, str]:
    """The rank rules of ../shared/cases/check_cases.py, restated for pytest."""
    expected = [(e["family"], e["code"]) for e in case["expect"]]
    got = [(m["family"], m["code"]) for m in matches]
    rank = case["rank"]
    if rank == "none":
        return not matches and not found, f"expected no match, got {got}"
    if not matches:
        return False, "no match returned"
    if rank == "top1":
        return got[0] == expected[0], f"first match {got[0]}"
    if rank == "top3":
        return expected[0] in got[:3], f"first three {got[:3]}"
    present = all(e in got for e in expected)
    if rank == "all":
        return present, f"matches {got}"
    want = [code.casefold() for _, code in expected]
    have: list[str] = []
    for _, code in got:
        if code.casefold() not in have:
            have.append(code.casefold())
    if rank == "exact":
        return present and set(have) == set(want), f"codes {have}"
    if rank == "ordered":
        return present and have == want, f"codes in order {have}"
    return False, f"unknown rank {rank}"


def test_case_files_are_loaded() -> None:
    assert len(CASES) >= 48
    assert len({c["id"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(catalog: Catalog, case: dict[str, Any]) -> None:
    lookup = find_codes(case["input"], catalog, Mode(case["mode"]))
    ok, why = judge(case, lookup_to_dict(lookup, catalog)["matches"], lookup.found)
    assert ok, f"{case['id']} ({case['rank']}, {case.get('note', '')}): {why}"


SAMPLE = ["intl-07", "intl-16", "intl-26", "cn-02", "cn-11"]


@pytest.mark.parametrize("case", [c for c in CASES if c["id"] in SAMPLE], ids=SAMPLE)
def test_case_through_the_command_line(case: dict[str, Any]) -> None:
    args = [sys.executable, "-m", "bot.cli", "explain", "--json"]
    if case["mode"] == "passive":
        args.append("--passive")
    done = subprocess.run(
        args, input=case["input"], capture_output=True, text=True, cwd=ROOT, check=False, timeout=60
    )
    assert done.returncode in (0, 1), done.stderr
    matches = json.loads(done.stdout)["matches"]
    ok, why = judge(case, matches, done.returncode == 0)
    assert ok, why
