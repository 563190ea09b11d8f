"""The Slack limit validator: every limit it knows is detected, and valid messages pass."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.limits import (
    MAX_TOTAL_BLOCK_TEXT,
    TARGET_TOP_TEXT,
    check_message,
    total_block_text,
)


def md(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def section(text: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": md(text), **extra}


def button(label: str = "Go", action_id: str = "go", value: str = "v") -> dict[str, Any]:
    return {"type": "button", "text": plain(label), "action_id": action_id, "value": value}


def message(*blocks: dict[str, Any], text: str = "fallback") -> dict[str, Any]:
    return {"text": text, "blocks": list(blocks)}


def test_a_valid_message_passes() -> None:
    payload = message(
        {"type": "header", "text": plain("QPS_LIMIT_CONTROL")},
        section("*Title*\nbody", accessory=button(action_id="smscode_details:0")),
        {"type": "section", "fields": [md("*Retry*\nlater"), md("*Who*\nyou")]},
        {"type": "context", "elements": [md("context")]},
        {"type": "divider"},
        {"type": "actions", "elements": [button(action_id="smscode_share")]},
    )
    assert check_message(payload) == []


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("51 blocks", message(*[{"type": "divider"} for _ in range(51)]), "51 blocks"),
    ("section text", message(section("x" * 3001)), "3001 characters (max 3000)"),
    ("empty section text", message(section("  ")), "empty"),
    ("11 fields", message({"type": "section", "fields": [md("f")] * 11}), "11 fields"),
    ("long field", message({"type": "section", "fields": [md("f" * 2001)]}), "max 2000"),
    ("no text nor fields", message({"type": "section"}), "needs text or fields"),
    ("header", message({"type": "header", "text": plain("h" * 151)}), "max 150"),
    ("mrkdwn header", message({"type": "header", "text": md("h")}), "expected plain_text"),
    ("button text", message({"type": "actions", "elements": [button(label="b" * 76)]}), "max 75"),
    (
        "mrkdwn button",
        message({"type": "actions", "elements": [{**button(), "text": md("b")}]}),
        "plain_text",
    ),
    ("button value", message({"type": "actions", "elements": [button(value="v" * 2001)]}), "max 2000"),
    ("action_id length", message({"type": "actions", "elements": [button(action_id="a" * 256)]}), "max 255"),
    (
        "action_id twice",
        message({"type": "actions", "elements": [button(action_id="x"), button(action_id="x")]}),
        "used twice",
    ),
    (
        "action_id twice across blocks",
        message(
            section(accessory=button(action_id="x")), {"type": "actions", "elements": [button(action_id="x")]}
        ),
        "used twice",
    ),
    ("block_id length", message({"type": "divider", "block_id": "b" * 256}), "max 255"),
    (
        "block_id twice",
        message({"type": "divider", "block_id": "b"}, {"type": "divider", "block_id": "b"}),
        "twice",
    ),
    ("context elements", message({"type": "context", "elements": [md("c")] * 11}), "11 elements"),
    ("empty context", message({"type": "context", "elements": []}), "no elements"),
    (
        "actions elements",
        message({"type": "actions", "elements": [button(action_id=f"a{i}") for i in range(26)]}),
        "26",
    ),
    ("bad style", message({"type": "actions", "elements": [{**button(), "style": "loud"}]}), "style"),
    ("no top-level text", {"blocks": [section()]}, "fallback text"),
    ("empty top-level text", message(section(), text=" "), "fallback text"),
    ("top-level text", message(section(), text="t" * 40_001), "max 40000"),
    ("total block text", message(*[section("x" * 2900) for _ in range(5)]), "all block text together"),
    ("unknown block", message({"type": "sparkles"}), "unknown block type"),
    ("plain verbatim", message({"type": "section", "text": {**plain("p"), "verbatim": True}}), "verbatim"),
    ("markdown block", message({"type": "markdown", "text": "m" * 12_001}), "max 12000"),
]


@pytest.mark.parametrize(("payload", "expected"), [(p, e) for _, p, e in BAD], ids=[n for n, _, _ in BAD])
def test_each_limit_is_detected(payload: dict[str, Any], expected: str) -> None:
    problems = check_message(payload)
    assert problems, "the violation went unnoticed"
    assert any(expected in problem for problem in problems), problems


def test_our_target_for_the_fallback_text() -> None:
    payload = message(section(), text="t" * (TARGET_TOP_TEXT + 1))
    assert check_message(payload) == []
    assert check_message(payload, text_limit=TARGET_TOP_TEXT)


def test_total_block_text_counts_every_visible_text() -> None:
    blocks = [
        {"type": "header", "text": plain("abc")},
        section("de", accessory=button(label="fg")),
        {"type": "section", "fields": [md("h"), md("ij")]},
        {"type": "context", "elements": [md("k")]},
        {"type": "actions", "elements": [button(label="lmn")]},
        {"type": "divider"},
    ]
    assert total_block_text(blocks) == len("abcdefghijklmn")


@given(st.integers(min_value=1, max_value=6000))
def test_section_length_boundary(n: int) -> None:
    problems = check_message(message(section("x" * n)))
    assert bool(problems) == (n > 3000)


@given(st.lists(st.integers(min_value=1, max_value=2900), max_size=60))
@example([1] * 51)
@example([2900] * 5)
def test_block_count_and_total_text_boundaries(sizes: list[int]) -> None:
    problems = check_message(message(*[section("x" * n) for n in sizes]))
    too_many = len(sizes) > 50
    too_long = sum(sizes) > MAX_TOTAL_BLOCK_TEXT
    assert any("blocks (max 50)" in p for p in problems) == too_many
    assert any("all block text together" in p for p in problems) == too_long
    assert bool(problems) == (too_many or too_long)


@given(
    st.recursive(
        st.none() | st.integers() | st.text(max_size=5),
        lambda c: st.lists(c) | st.dictionaries(st.text(max_size=5), c),
    )
)
@example({"fields": 5, "elements": 3, "text": 7, "accessory": "x"})
@example({"type": "section", "fields": 5})
@example({"type": "actions", "elements": [{"type": "button", "value": 3, "text": None}]})
def test_never_raises_on_junk(junk: Any) -> None:
    assert isinstance(check_message({"text": "t", "blocks": junk}), list)
    assert isinstance(check_message({"text": "t", "blocks": [junk]}), list)
