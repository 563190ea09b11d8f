"""Escaping and neutralising text for Slack: escaped exactly once, no pings, no links, private data masked."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import mrkdwn

HOSTILE = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0123ABC>",
    "<@W0123ABC|bob>",
    "<#C0123|general>",
    "<!subteam^S0123|oncall>",
    "<!date^1392734382^{date}|Feb 18>",
    "&amp;lt;",
    "&lt;!channel&gt;",
    "@here",
    "@channel",
    "@everyone",
    "@Here",
    "https://evil.example/x?a=1&b=2",
    "<https://evil.example|click me>",
    "mailto:x@evil.example",
    "```",
    "`",
    "\x00\x1b[31m\x07",
    "\u202e",
    "\u200b",
    "\ud800",
    "*bold*",
    "_it_",
    ":rotating_light:",
    "+8613800138000",
    "LTAI5tAbcdEfghIjkl",
    "xoxb-1234-5678-abcdefgh",
    "alice@example.com",
    "\n\n",
    "\t",
]

hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40)), max_size=8).map("".join)
PINGS = re.compile(r"@(here|channel|everyone)", re.IGNORECASE)
BAD_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def assert_inert(text: str) -> None:
    """Nothing in `text` can ping, mention or link in Slack mrkdwn."""
    assert "<" not in text and ">" not in text
    assert not PINGS.search(text)
    assert "://" not in text
    assert re.search(r"&(?!amp;|lt;|gt;)", text) is None, "every & starts an entity"
    assert not BAD_CONTROL.search(text)
    text.encode("utf-8")  # no lone surrogates


# --- escape --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a & b", "a &amp; b"),
        ("<!channel>", "&lt;!channel&gt;"),
        ("&amp;lt;", "&amp;amp;lt;"),  # already-looking-escaped input stays visible as typed
        ("&lt;", "&amp;lt;"),
        ("plain", "plain"),
    ],
)
def test_escape_examples(raw: str, escaped: str) -> None:
    assert mrkdwn.escape(raw) == escaped
    assert mrkdwn.unescape(escaped) == raw


@given(st.text())
def test_escape_is_exactly_once(text: str) -> None:
    escaped = mrkdwn.escape(text)
    assert mrkdwn.unescape(escaped) == text
    assert "<" not in escaped and ">" not in escaped
    assert re.search(r"&(?!amp;|lt;|gt;)", escaped) is None


# --- neutralise ----------------------------------------------------------------------------------


@given(hostile_text, st.integers(min_value=1, max_value=400))
def test_neutralised_text_is_inert_and_bounded(text: str, limit: int) -> None:
    out = mrkdwn.neutralise(text, limit)
    assert len(out) <= limit
    assert_inert(out)


@given(hostile_text)
def test_neutralise_keeps_the_text_readable(text: str) -> None:
    """Removing the invisible joiners and unescaping gives back the cleaned, masked input."""
    out = mrkdwn.neutralise(text, 100_000)
    expected = mrkdwn.mask_private(mrkdwn.clean(text))
    assert mrkdwn.unescape(out.replace(mrkdwn.WORD_JOINER, "")) == expected


def test_neutralise_examples() -> None:
    assert mrkdwn.neutralise("&amp;lt;", 100) == "&amp;amp;lt;"
    assert mrkdwn.neutralise("hi <!channel> @here", 100) == "hi &lt;!channel&gt; @\u2060here"
    assert mrkdwn.neutralise("see https://evil.example", 100) == "see https:\u2060//evil.example"
    assert mrkdwn.neutralise("a\x00b\x1b[31mc\u202ed\n\ne", 100) == "a b [31mcd e"


@given(hostile_text, st.integers(min_value=3, max_value=300))
def test_code_span_is_one_inline_code_span(text: str, limit: int) -> None:
    out = mrkdwn.code_span(text, limit)
    assert len(out) <= limit or out == "(blank)"
    if out != "(blank)":
        assert out.startswith("`") and out.endswith("`")
        assert "`" not in out[1:-1], "no backtick inside can close the span early"
        assert "\n" not in out
    assert_inert(out.replace("`", ""))


def test_code_span_replaces_fences() -> None:
    assert mrkdwn.code_span("a ``` b", 50) == "`a ˋˋˋ b`"
    assert mrkdwn.code_span("  \x00 ", 50) == "(blank)"


def test_huge_input_costs_only_the_window() -> None:
    out = mrkdwn.neutralise("A" * 1_000_000 + "<!channel>", 120)
    assert len(out) == 120 and out.endswith(mrkdwn.ELLIPSIS)
    assert mrkdwn.code_span("x" * 10_000, 40).endswith(mrkdwn.ELLIPSIS + "`")


# --- truncate ------------------------------------------------------------------------------------


@given(st.text(alphabet="a&<>b ", max_size=200), st.integers(min_value=1, max_value=200))
def test_truncate_never_cuts_an_entity(text: str, limit: int) -> None:
    out = mrkdwn.truncate(mrkdwn.escape(text), limit)
    assert len(out) <= limit
    assert re.search(r"&(?!amp;|lt;|gt;)", out) is None


def test_truncate_examples() -> None:
    assert mrkdwn.truncate("abc", 3) == "abc"
    assert mrkdwn.truncate("abcdef", 4) == "abc…"
    assert mrkdwn.truncate("ab&amp;cd", 5) == "ab…"
    assert mrkdwn.truncate("abc", 3, force_ellipsis=True) == "ab…"


# --- clean ---------------------------------------------------------------------------------------


@given(st.text())
def test_clean_leaves_no_control_or_invisible_characters(text: str) -> None:
    out = mrkdwn.clean(text)
    assert not BAD_CONTROL.search(out)
    assert "\n" not in out and "  " not in out
    assert out == out.strip()


def test_clean_multiline_keeps_lines() -> None:
    assert mrkdwn.clean("a\x00b\n\n c \t d\r\n", single_line=False) == "a b\nc d"


# --- masking -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "hidden", "kept"),
    [
        ("call +8613800138000 now", "13800138", "+86"),
        ('"PhoneNumbers":"8613912345678"', "912345", "678"),
        ("mobile=13912345678", "912345", "678"),
        ("AccessKeyId: LTAI5tAbcdEfghIjkl", "Abcd", "LTAI"),
        ("AccessKeySecret=s3cr3tValue99", "s3cr3t", "AccessKeySecret"),
        ("token xoxb-1234-5678-abcdefgh", "5678", "xoxb-"),
        ("mail alice@example.com", "alice", "@"),
    ],
)
def test_mask_private(raw: str, hidden: str, kept: str) -> None:
    out = mrkdwn.mask_private(raw)
    assert hidden not in out
    assert kept in out


def test_masking_leaves_codes_and_smpp_fields_alone() -> None:
    for text in ("QPS_LIMIT_CONTROL", "0x00000058", "stat:UNDELIV err:000", "ESME_RTHROTTLED", "code=1280"):
        assert mrkdwn.mask_private(text) == text


@given(hostile_text)
def test_masking_is_idempotent(text: str) -> None:
    once = mrkdwn.mask_private(text)
    assert mrkdwn.mask_private(once) == once


# --- links and fallback --------------------------------------------------------------------------


def test_link_escapes_our_url() -> None:
    out = mrkdwn.link("https://example.com/a?b=1&c=2|x", "Docs & more")
    assert out == "<https://example.com/a?b=1&amp;c=2%7Cx|Docs &amp; more>"


@given(hostile_text)
def test_fallback_text_cannot_ping(text: str) -> None:
    out = mrkdwn.fallback(text, 3000)
    assert len(out) <= 3000
    assert "<" not in out and ">" not in out
    assert not PINGS.search(out)


@given(hostile_text, st.integers(min_value=1, max_value=200))
def test_plain_is_one_clean_line(text: str, limit: int) -> None:
    out = mrkdwn.plain(text, limit)
    assert len(out) <= limit
    assert not BAD_CONTROL.search(out)
