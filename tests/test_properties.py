"""Properties: normalisation, extraction and matching never raise, and their time grows linearly."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog, Outcome
from bot.extract import extract
from bot.matching import SHARED_NAME_NOTE, find_codes
from bot.normalize import normalize
from bot.redact import mask_sensitive
from bot.results import How, Mode

# Pieces of real pastes, so that generated text reaches the interesting branches, not only random letters.
FRAGMENTS = [
    '{"Code":"',
    '"Message":"',
    "isv.BUSINESS_LIMIT_CONTROL",
    "QPS_LIMIT_CONTROL",
    "stat:",
    "DELIVRD",
    " err:000 ",
    "command_status: ",
    "0x0000000B",
    "0000000b",
    "Status (",
    ")",
    "触发小时级流控Permits:5",
    "Specified access key is not found.",
    "DON'T DISTURB",
    "&amp;",
    "&lt;",
    "<@U123>",
    "<https://x.y/z?q=OK|label>",
    "```",
    "`",
    "\\u89e6",
    "\\x",
    "\\",
    "\n",
    "\r\n",
    "\u200b",
    "ＱＰＳ",
    "%3D",
    "Error",
    "CommandStatus.",
    "+44700000001",
    "LTAI5tAAAAAAAAAA",
    "=> ",
    "string(26) ",
    "'",
    '"',
    # QA round 2: shared gateway names and signs of Alibaba, command ids, negations, unknown codes, chat
    "SignatureDoesNotMatch",
    "(InvalidAccessKeyId)",
    "InternalError",
    "aliyun",
    "not alibaba",
    "submit_sm_resp ",
    "0x80000005",
    "exit status ",
    "UNDELIVERED",
    " not delivered",
    "isv.SMS_SIGN_NOT_REGISTERED",
    "MK:0001",
    "Message: ",
    "系统错误",
    "thanks ",
    "https://x.example",
]

pasty_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(st.text(), pasty_text))
def test_normalize_and_extract_never_raise(text: str) -> None:
    normalized = normalize(text)
    result = extract(normalized)
    for cand in result.candidates:
        assert 1 <= cand.line <= normalized.count("\n") + 1
        assert isinstance(cand.snippet, str)
    assert mask_sensitive(normalized) == mask_sensitive(mask_sensitive(normalized))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(st.text(), pasty_text), passive=st.booleans())
def test_find_codes_never_raises(catalog: Catalog, text: str, passive: bool) -> None:
    lookup = find_codes(text, catalog, Mode.PASSIVE if passive else Mode.EXPLICIT)
    for match in lookup.matches + lookup.suggestions:
        assert 0 <= match.score <= 100
        assert match.count >= 1
    refs = [m.entry.ref for m in lookup.matches]
    assert len(refs) == len(set(refs))  # each entry once


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=pasty_text)
def test_echoed_strings_are_masked(catalog: Catalog, text: str) -> None:
    for mode in Mode:
        lookup = find_codes(text, catalog, mode)
        for echoed in [lookup.query, *lookup.tried, *lookup.unknown]:
            assert mask_sensitive(echoed) == echoed


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=pasty_text)
def test_guarded_answers(catalog: Catalog, text: str) -> None:
    """A shared gateway name is kept in passive mode only with a sign of Alibaba, and explicit mode notes
    "also used by other clouds" only without one: never both. Command ids are never statuses. A negated
    question never gets a success by meaning."""
    passive = find_codes(text, catalog, Mode.PASSIVE)
    explicit = find_codes(text, catalog, Mode.EXPLICIT)
    kept = {id(m.entry) for m in passive.matches if m.entry.shared_name}
    for match in explicit.matches:
        if id(match.entry) in kept:
            assert SHARED_NAME_NOTE not in match.notes
    for match in passive.matches + explicit.matches + explicit.suggestions:
        written = match.matched_text.strip().casefold()
        if match.how in (How.NUMERIC, How.RANGE) and written.startswith("0x"):
            assert int(written, 16) < 0x80000000
    if " not " in f" {normalize(text).casefold()} ":
        assert all(
            m.entry.outcome is not Outcome.SUCCESS
            for m in explicit.matches + explicit.suggestions
            if m.how is How.MEANING
        )


# --- linear time ---------------------------------------------------------------------------------
# Inputs that defeat careless patterns: long runs of one character class, many openers, many near-codes.
ADVERSARIAL = {
    "letters": "a",
    "digits": "1",
    "underscores": "_",
    "dotted": "a.",
    "hex": "0x",
    "braces": '{"a":',
    "code-keys": '"Code":',
    "entities": "&amp;",
    "markup": "<@",
    "backslashes": "\\x",
    "cjk": "触发",
    "receipt": "stat:",
    "permits": "Permits:",
    "links": "http://",
    "spaces": " ",
    "near-codes": "QPS_LIMT_CONTROL ",
    "mixed": 'code=isv.AMOUNT_NOT_ENOUGH "Message":"账户余额不足" stat:DELIVRD err:001 0x00000058\n',
}


def best_time(func: Callable[[], object], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


# 10x the input may cost at most this many times the time. Linear work gives about 10 (a little more
# where long-paste handling starts); quadratic work gives about 100. The bound sits well between the
# two so that a loaded CI machine cannot fail it and a quadratic regression cannot pass it.
MAX_GROWTH = 40


def growth(func: Callable[[str], object], unit: str) -> float:
    small = (unit * (10_000 // len(unit) + 1))[:10_000]
    big = (unit * (100_000 // len(unit) + 1))[:100_000]
    t_small = best_time(lambda: func(small))
    t_big = best_time(lambda: func(big))
    # a floor for the small run, so that timer noise on a near-zero measurement cannot fail the test
    return t_big / max(t_small, 0.0005)


@pytest.mark.parametrize("unit", list(ADVERSARIAL.values()), ids=list(ADVERSARIAL))
def test_normalize_and_extract_grow_linearly(unit: str) -> None:
    assert growth(lambda text: extract(normalize(text)), unit) < MAX_GROWTH


@pytest.mark.parametrize("unit", list(ADVERSARIAL.values()), ids=list(ADVERSARIAL))
def test_find_codes_grows_linearly(catalog: Catalog, unit: str) -> None:
    assert growth(lambda text: find_codes(text, catalog, Mode.EXPLICIT), unit) < MAX_GROWTH
