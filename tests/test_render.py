"""Rendering answers: Block Kit payloads and terminal text, their content, their safety and their size."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import render
from bot.catalog import ACTOR_TEXT, RETRY_TEXT, STAGE_TEXT, Catalog, Entry, load_catalog
from bot.limits import TARGET_TOP_TEXT, check_message
from bot.matching import find_codes
from bot.render import (
    ACTION_DETAILS,
    ACTION_PICK,
    ACTION_SHARE,
    lookup_from_share_value,
    parse_ref,
    render_entry,
    render_error,
    render_help,
    render_message,
    render_text,
    share_value,
)
from bot.results import Evidence, How, Lookup, Match, Mode

from .test_mrkdwn import HOSTILE

# A small catalogue with every family-specific fact, an `&` and `<b>` in our own text, and one huge entry.
HUGE_DESCRIPTION = "This description is deliberately long & repetitive. " * 120
HUGE_STEPS = [f"Step {i}: do something careful & specific with <this> parameter. " * 8 for i in range(30)]
MINI = {
    "intl-api.toml": f'''
family = "intl-api"
name = "International SMS API response codes"
stage = "api"
doc_url = "https://www.alibabacloud.com/help/en/sms/error-codes?a=1&b=2"
summary = "Codes returned synchronously by the international SMS sending API."

[[entries]]
code = "QPS_LIMIT_CONTROL"
title = "Sending rate above the account's QPS cap"
description = "Too many requests per second reached the API & were refused <b>before</b> sending."
remediation = ["Slow the sender down to the account's per-second cap.", "Queue requests & retry later."]
retry = "after_reset"
outcome = "failed"
actors = ["integration", "console_admin"]
related = ["intl-receipt:INVALID_SENDERID", "smpp-status:ESME_RTHROTTLED", "openapi:Throttling.User"]
messages = [{{ text = "触发小时级流控Permits:5", meaning = "hour-level flow control with a cap of 5" }}]
note = "The cap differs per account; ask support for yours."

[[entries]]
code = "INVALID_SENDERID"
title = "The sender ID is not valid"
description = "The From value is not a registered sender ID for the destination."
remediation = ["Check the From parameter against your registered sender IDs."]
retry = "fix_first"
outcome = "failed"
actors = ["integration"]
related = ["intl-receipt:INVALID_SENDERID"]

[[entries]]
code = "HUGE_ENTRY"
title = "{"An entry with a very long title that goes on " * 2}"
description = {json.dumps(HUGE_DESCRIPTION)}
remediation = {json.dumps(HUGE_STEPS)}
retry = "backoff"
outcome = "failed"
actors = ["integration", "console_admin", "carrier", "alibaba_support"]
related = ["intl-api:QPS_LIMIT_CONTROL", "intl-api:INVALID_SENDERID", "intl-receipt:INVALID_SENDERID",
           "intl-receipt:DELIVERED", "smpp-state:DELIVERED", "smpp-state:ENROUTE", "openapi:Throttling.User"]
messages = [{{ text = "{"m" * 300}", meaning = "{"n" * 300}" }}, {{ text = "a", meaning = "b" }},
            {{ text = "c", meaning = "d" }}, {{ text = "e", meaning = "f" }}]
note = {json.dumps("A long note. " * 150)}
''',
    "intl-receipt.toml": """
family = "intl-receipt"
name = "International SMS delivery receipts"
stage = "receipt"
doc_url = "https://www.alibabacloud.com/help/en/sms/receipts"
summary = "Codes in delivery receipts, reported after the carrier answers."

[[entries]]
code = "INVALID_SENDERID"
title = "The carrier refused the sender ID"
description = "The destination carrier rejected the sender ID used for this message."
remediation = ["Register a sender ID accepted in the destination country."]
retry = "fix_first"
outcome = "failed"
actors = ["console_admin", "carrier"]
related = ["intl-api:INVALID_SENDERID"]

[[entries]]
code = "DELIVERED"
title = "Delivered to the handset"
description = "The carrier confirmed that the handset received the message."
remediation = ["Nothing to fix; the message arrived on the phone."]
retry = "not_applicable"
outcome = "success"
actors = ["nobody"]
related = ["smpp-state:DELIVERED"]
""",
    "smpp-state.toml": """
family = "smpp-state"
name = "SMPP message states"
stage = "smpp"
doc_url = "https://smpp.example/spec"
summary = "The message_state values of SMPP delivery receipts."

[[entries]]
code = "DELIVERED"
title = "Delivered (SMPP final state)"
description = "The SMSC reports that the message reached its destination."
remediation = ["Nothing to fix; record the delivery time."]
retry = "not_applicable"
outcome = "success"
actors = ["nobody"]
short_form = "DELIVRD"
message_state = 2
aliases = ["DELIVRD"]

[[entries]]
code = "ENROUTE"
title = "On its way (not final)"
description = "The message is still on its way to the destination."
remediation = ["Wait for the final delivery receipt before doing anything."]
retry = "wait"
outcome = "pending"
actors = ["nobody"]
short_form = "ENROUTE"
message_state = 1
""",
    "smpp-status.toml": """
family = "smpp-status"
name = "SMPP command_status values"
stage = "smpp"
doc_url = "https://smpp.example/spec#status"
summary = "The command_status values an SMSC sends in PDU responses."

[[entries]]
code = "ESME_RTHROTTLED"
title = "Throttling error: too many messages"
description = "The SMSC refused the PDU because the link exceeded its rate."
remediation = ["Lower the submit rate on the bind and back off before resubmitting."]
retry = "backoff"
outcome = "failed"
actors = ["integration", "carrier"]
value = 88

[[entries]]
code = "Vendor-specific range"
title = "A vendor-specific command_status"
description = "The value lies in the range reserved for SMSC vendors' own errors."
remediation = ["Ask the SMSC operator what this value means on their platform."]
retry = "fix_first"
outcome = "failed"
actors = ["carrier", "alibaba_support"]
value_range = [1024, 1279]
""",
    "openapi.toml": """
family = "openapi"
name = "Alibaba Cloud OpenAPI gateway errors"
stage = "gateway"
doc_url = "https://api.example/errors"
summary = "Errors raised by the OpenAPI gateway in front of every product."

[[entries]]
code = "Throttling.User"
title = "Request rate over the user's API quota"
description = "The gateway throttled this user's calls to the API."
remediation = ["Spread calls out over time and retry with backoff."]
retry = "after_reset"
outcome = "failed"
actors = ["integration"]
http_status = [400, 429]
""",
}

SHARE_RE = re.compile(r"^smscode_share$")
PICK_RE = re.compile(r"^smscode_pick:\d+$")
DETAILS_RE = re.compile(r"^smscode_details:\d+$")
OUR_LINK = re.compile(r"<https://[^|<>\s]+\|[^<>]+>")
PINGS = re.compile(r"@(here|channel|everyone)", re.IGNORECASE)


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    directory: Path = tmp_path_factory.mktemp("catalog")
    for name, text in MINI.items():
        (directory / name).write_text(text, encoding="utf-8")
    return load_catalog(directory)


# --- helpers -------------------------------------------------------------------------------------


def texts(payload: dict[str, Any]) -> Iterator[str]:
    """Every string Slack would show or parse: the fallback and all text in blocks."""
    yield payload["text"]

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                yield node["text"]
            for key, value in node.items():
                if key not in ("text", "value", "action_id", "block_id") or isinstance(value, dict):
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    yield from walk(payload["blocks"])


def all_text(payload: dict[str, Any]) -> str:
    return "\n".join(texts(payload))


def action_ids(payload: dict[str, Any]) -> list[str]:
    ids = []
    for block in payload["blocks"]:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if isinstance(element, dict) and "action_id" in element:
                ids.append(element["action_id"])
    return ids


def buttons(payload: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    found = []
    for block in payload["blocks"]:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if isinstance(element, dict) and str(element.get("action_id", "")).startswith(prefix):
                found.append(element)
    return found


def assert_safe(payload: dict[str, Any]) -> None:
    """Within Slack's limits and our own targets, and nothing echoed can ping, mention or link."""
    assert check_message(payload, text_limit=TARGET_TOP_TEXT) == []
    for text in texts(payload):
        text.encode("utf-8")
        outside_links = OUR_LINK.sub("", text)
        assert "<" not in outside_links and ">" not in outside_links, text
        assert not PINGS.search(text), text
        assert "evil.example" not in text or "https://evil" not in text
        assert re.search(r"&(?!amp;|lt;|gt;)", text) is None, text
    for block in payload["blocks"]:
        for obj in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if isinstance(obj, dict) and obj.get("type") == "mrkdwn":
                assert obj.get("verbatim") is True, obj
    ids = action_ids(payload)
    assert len(ids) == len(set(ids))
    assert all(SHARE_RE.match(i) or PICK_RE.match(i) or DETAILS_RE.match(i) for i in ids), ids


def width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def assert_terminal(text: str) -> None:
    for line in text.splitlines():
        assert width(line) <= render.TERMINAL_WIDTH, line
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)
    # None of our own Slack markup (echoed input may contain anything printable: a terminal shows it as is).
    assert "*What to do*" not in text and "*See also:*" not in text and "|Documentation" not in text
    assert not re.search(
        r":(x|mag|stopwatch|warning|book|thinking_face|repeat|no_entry_sign|grey_question|information_source):",
        text,
    )


def match(entry: Entry, how: How = How.EXACT, **kw: Any) -> Match:
    return Match(entry=entry, score=kw.pop("score", 100.0), how=how, **kw)


def one(entry: Entry, **kw: Any) -> Lookup:
    return Lookup(query=kw.pop("query", entry.code), mode=Mode.EXPLICIT, matches=[match(entry, **kw)])


# --- one code ------------------------------------------------------------------------------------


def test_single_answer_has_everything(mini: Catalog) -> None:
    entry = mini.get("intl-api", "QPS_LIMIT_CONTROL")
    assert entry is not None
    payload = render_message(one(entry), mini, shareable=True)
    assert_safe(payload)
    blocks = payload["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "QPS_LIMIT_CONTROL", "emoji": False},
    }
    text = all_text(payload)
    for piece in (
        "International SMS API response codes",
        STAGE_TEXT[mini.stage_of(entry)],
        "Failed",
        "Sending rate above the account's QPS cap",
        "refused &lt;b&gt;before&lt;/b&gt; sending",  # our own text, escaped once
        "1. Slow the sender down",
        "2. Queue requests &amp; retry later",
        RETRY_TEXT[entry.retry],
        "your integration, then the account admin (console)",
        "The cap differs per account",
        "`INVALID_SENDERID` (International SMS delivery receipts)",
        "`ESME_RTHROTTLED` (SMPP command_status values)",
        "• `触发小时级流控Permits:5`: hour-level flow control",
        "<https://www.alibabacloud.com/help/en/sms/error-codes?a=1&amp;b=2|",
    ):
        assert piece in text, piece
    assert text.index("What to do") < text.index("1. Slow") < text.index("2. Queue")
    share = buttons(payload, ACTION_SHARE)
    assert len(share) == 1 and share[0]["text"]["text"] == "Share in channel"
    assert "QPS_LIMIT_CONTROL" in payload["text"] and "Retry after" in payload["text"]


def test_not_shareable_has_no_share_button(mini: Catalog) -> None:
    entry = mini.get("intl-api", "QPS_LIMIT_CONTROL")
    assert entry is not None
    assert buttons(render_message(one(entry), mini), ACTION_SHARE) == []
    assert buttons(render_entry(entry, mini), ACTION_SHARE) == []
    assert len(buttons(render_entry(entry, mini, shareable=True), ACTION_SHARE)) == 1


def test_family_facts(mini: Catalog) -> None:
    state = all_text(render_entry(mini.get("smpp-state", "DELIVERED"), mini))  # type: ignore[arg-type]
    assert "*Receipt word*\n`DELIVRD`" in state and "*message_state*\n`2`" in state
    status = all_text(render_entry(mini.get("smpp-status", "ESME_RTHROTTLED"), mini))  # type: ignore[arg-type]
    assert "0x00000058 (88)" in status
    ranged = all_text(render_entry(mini.get("smpp-status", "Vendor-specific range"), mini))  # type: ignore[arg-type]
    assert "0x00000400–0x000004FF (1024–1279)" in ranged
    gateway = all_text(render_entry(mini.get("openapi", "Throttling.User"), mini))  # type: ignore[arg-type]
    assert "*HTTP status*\n400, 429" in gateway
    pending = all_text(render_entry(mini.get("smpp-state", "ENROUTE"), mini))  # type: ignore[arg-type]
    assert "Still in progress" in pending and "wait for the final status" in pending


@pytest.mark.parametrize(
    ("how", "matched", "expected"),
    [
        (How.FUZZY, "QPS_LIMT_CONTROL", "Closest spelling to `QPS_LIMT_CONTROL` (match score 87/100)"),
        (
            How.MESSAGE,
            "触发小时级流控Permits:5",
            "Matched by its message text `触发小时级流控Permits:5` (no code",
        ),
        (How.ALIAS, "DELIVRD", "Matched the alias `DELIVRD`"),
        (How.NUMERIC, "0x58", "Matched the command_status value `0x58`"),
        (How.RANGE, "0x00000401", "`0x00000401` falls in this range"),
        (How.ALIBABA_NUMBER, "48", "Read as Alibaba's own SMPP error number `48`"),
    ],
)
def test_how_it_matched(mini: Catalog, how: How, matched: str, expected: str) -> None:
    entry = mini.get("intl-api", "QPS_LIMIT_CONTROL")
    assert entry is not None
    payload = render_message(one(entry, how=how, matched_text=matched, score=87.0), mini)
    assert expected in all_text(payload)
    assert_safe(payload)
    assert expected.replace("`", '"') in render_text(
        one(entry, how=how, matched_text=matched, score=87.0), mini
    )


def test_exact_match_says_nothing_about_how(mini: Catalog) -> None:
    entry = mini.get("intl-api", "QPS_LIMIT_CONTROL")
    assert entry is not None
    text = all_text(render_message(one(entry, matched_text="QPS_LIMIT_CONTROL"), mini))
    assert "Matched" not in text and "Closest" not in text and "Found at" not in text


def test_paste_shows_where_it_was_found(mini: Catalog) -> None:
    entry = mini.get("intl-api", "QPS_LIMIT_CONTROL")
    assert entry is not None
    evidence = [
        Evidence(4, '{"Code":"QPS_LIMIT_CONTROL","Message":"触发小时级流控Permits:5"}'),
        Evidence(9, "code=QPS_LIMIT_CONTROL retry=1"),
        Evidence(12, "QPS_LIMIT_CONTROL again"),
        Evidence(20, "not shown: only three places are"),
    ]
    lookup = one(entry, evidence=evidence, count=4, notes=["hour-level flow control: cap of 5"])
    text = all_text(render_message(lookup, mini))
    assert 'Seen 4× · line 4: `{"Code":"QPS_LIMIT_CONTROL","Message":"触发小时级流控Permits:5"}`' in text
    assert "line 9: `code=QPS_LIMIT_CONTROL retry=1`" in text and "line 12:" in text
    assert "line 20" not in text
    assert "• hour-level flow control: cap of 5" in text
    terminal = render_text(lookup, mini)
    assert "Seen 4× · line 4:" in terminal and "hour-level flow control: cap of 5" in terminal


def test_hostile_evidence_is_inert(mini: Catalog) -> None:
    entry = mini.get("intl-api", "QPS_LIMIT_CONTROL")
    assert entry is not None
    snippet = (
        "ok <!channel> <@U123> @here https://evil.example ``` &amp;lt; \x1b[2J +8613800138000 LTAI5tAbcdEfgh"
    )
    lookup = one(
        entry,
        evidence=[Evidence(1, snippet)],
        count=2,
        how=How.FUZZY,
        matched_text="<!everyone>",
        notes=["<@U999> @channel"],
    )
    payload = render_message(lookup, mini, shareable=True)
    assert_safe(payload)
    text = all_text(payload)
    assert "&lt;!channel&gt;" in text and "&amp;amp;lt;" in text and "ˋˋˋ" in text
    assert "13800138" not in text and "Abcd" not in text
    terminal = render_text(lookup, mini)
    assert_terminal(terminal)
    assert "\x1b" not in terminal and "13800138" not in terminal


# --- several codes -------------------------------------------------------------------------------


def test_two_codes_get_two_full_answers(mini: Catalog) -> None:
    lookup = Lookup(
        query="INVALID_SENDERID",
        mode=Mode.EXPLICIT,
        matches=[match(e) for e in mini.by_code("INVALID_SENDERID")],
    )
    payload = render_message(lookup, mini, shareable=True)
    assert_safe(payload)
    headers = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "header"]
    assert headers == ["INVALID_SENDERID", "INVALID_SENDERID"]
    text = all_text(payload)
    assert "exists in 2 families" in text
    assert "International SMS API response codes" in text and "International SMS delivery receipts" in text
    terminal = render_text(lookup, mini)
    assert terminal.count("INVALID_SENDERID\n=") == 2


def test_two_huge_answers_fall_back_to_the_compact_form(mini: Catalog) -> None:
    huge = mini.get("intl-api", "HUGE_ENTRY")
    assert huge is not None
    alone = render_entry(huge, mini, shareable=True)
    assert_safe(alone)  # one huge answer fits (its steps are capped)
    lookup = Lookup(query="", mode=Mode.EXPLICIT, matches=[match(huge), match(huge)])
    payload = render_message(lookup, mini, shareable=True)
    assert_safe(payload)
    assert len(buttons(payload, ACTION_DETAILS)) == 2


def test_several_codes_compact(mini: Catalog) -> None:
    entries = list(mini)
    lookup = Lookup(
        query="log",
        mode=Mode.PASSIVE,
        matches=[
            match(e, evidence=[Evidence(i + 1, f"line with {e.code}")], count=i + 1)
            for i, e in enumerate(entries)
        ],
    )
    payload = render_message(lookup, mini, shareable=True)
    assert_safe(payload)
    text = all_text(payload)
    assert f"*Found {len(entries)} codes*" in text
    details = buttons(payload, ACTION_DETAILS)
    assert [d["action_id"] for d in details] == [f"{ACTION_DETAILS}:{i}" for i in range(len(entries))]
    assert [d["value"] for d in details] == [e.ref for e in entries]
    assert all(d["text"]["text"] == "Details" for d in details)
    assert "seen 2× · line 2:" in text
    assert payload["text"].startswith(f"Found {len(entries)} codes: QPS_LIMIT_CONTROL (intl-api)")
    terminal = render_text(lookup, mini)
    assert_terminal(terminal)
    assert f"Found {len(entries)} codes:" in terminal


def test_five_hundred_codes(catalog: Catalog) -> None:
    entries = list(catalog)
    matches = [
        match(
            entries[i % len(entries)],
            evidence=[Evidence(i + 1, ("<!channel> " + "x" * 5000) if i % 2 else "&amp;" * 900)],
            count=i + 1,
            notes=["n" * 3000],
        )
        for i in range(500)
    ]
    lookup = Lookup(
        query="x" * 40_000, mode=Mode.PASSIVE, matches=matches, truncated=True, dropped_chars=1_234_567
    )
    payload = render_message(lookup, catalog, shareable=True)
    assert_safe(payload)
    assert len(buttons(payload, ACTION_DETAILS)) == render.MAX_SHOWN
    text = all_text(payload)
    assert "…and 490 more: `" in text
    note = "read its beginning and its end and skipped 1,234,567 characters in the middle"
    assert note in text
    terminal = render_text(lookup, catalog)
    assert_terminal(terminal)
    assert "and 490 more" in terminal
    assert note in " ".join(terminal.split())


def test_cut_note_in_every_answer_shape_and_after_a_share(catalog: Catalog) -> None:
    # the middle of a long paste is cut (bot.normalize): the note says the end was read too, and how much
    # was skipped, whether one, several or no codes were found
    entry = catalog.get("intl-api", "QPS_LIMIT_CONTROL")
    assert entry is not None
    note = "read its beginning and its end and skipped 2,000 characters in the middle"
    for matches in ([], [match(entry)], [match(e) for e in list(catalog)[:12]]):
        lookup = Lookup(query="x", mode=Mode.EXPLICIT, matches=matches, truncated=True, dropped_chars=2000)
        assert note in all_text(render_message(lookup, catalog)), len(matches)
        assert note in " ".join(render_text(lookup, catalog).split()), len(matches)
        assert "first part" not in all_text(render_message(lookup, catalog))
    shared = Lookup(query="x", mode=Mode.EXPLICIT, matches=[match(entry)], truncated=True, dropped_chars=2000)
    again = lookup_from_share_value(share_value(shared), catalog)
    assert again.truncated and again.dropped_chars == 2000
    # a value from before the count was carried still says the middle was cut
    old = lookup_from_share_value(json.dumps({"v": 1, "m": "explicit", "x": 1, "r": [entry.ref]}), catalog)
    assert old.truncated and old.dropped_chars == 0
    assert "skipped part of it in the middle" in all_text(render_message(old, catalog))


# --- unsure and no match -------------------------------------------------------------------------


def test_did_you_mean(mini: Catalog) -> None:
    suggestions = [match(e, How.FUZZY, score=60.0, matched_text="INVALD_SENDER") for e in mini][:7]
    lookup = Lookup(query="INVALD_SENDER", mode=Mode.EXPLICIT, suggestions=suggestions)
    payload = render_message(lookup, mini, shareable=True)
    assert_safe(payload)
    picks = buttons(payload, ACTION_PICK)
    assert len(picks) == render.MAX_SUGGESTIONS
    assert [p["value"] for p in picks] == [s.entry.ref for s in suggestions[:5]]
    labels = [p["text"]["text"] for p in picks]
    assert "INVALID_SENDERID (API)" in labels and "INVALID_SENDERID (receipt)" in labels
    assert buttons(payload, ACTION_SHARE) == []  # nothing confident to share
    assert "`INVALD_SENDER`" in all_text(payload)
    assert "Did you mean" in payload["text"]
    assert "Did you mean" in render_text(lookup, mini)


def test_confident_and_unsure_together(mini: Catalog) -> None:
    entry = mini.get("openapi", "Throttling.User")
    other = mini.get("smpp-state", "ENROUTE")
    assert entry is not None and other is not None
    lookup = Lookup(
        query="",
        mode=Mode.EXPLICIT,
        matches=[match(entry)],
        suggestions=[match(other, How.FUZZY, score=55.0, matched_text="ENRUTE")],
    )
    payload = render_message(lookup, mini, shareable=True)
    assert_safe(payload)
    assert payload["blocks"][0]["text"]["text"] == "Throttling.User"
    assert [p["value"] for p in buttons(payload, ACTION_PICK)] == ["smpp-state:ENROUTE"]
    assert "I'm also unsure about `ENRUTE`" in all_text(payload)


def test_no_match_says_what_was_tried_and_how_to_ask(mini: Catalog) -> None:
    tried = ["hello", "<@U123>", "@here", *[f"T{i}" for i in range(15)]]
    lookup = Lookup(query="hello <@U123> @here", mode=Mode.EXPLICIT, tried=tried)
    payload = render_message(lookup, mini, shareable=True)
    assert_safe(payload)
    text = all_text(payload)
    assert "No known SMS, gateway or SMPP code found" in text
    assert "I looked up: `hello`, `&lt;@\u2060U123&gt;`, `@\u2060here`" in text
    assert "and 8 more" in text
    assert "`/smscode QPS_LIMIT_CONTROL`" in text and "`/smscode help`" in text and "paste all of it" in text
    assert buttons(payload, ACTION_SHARE) == []
    terminal = render_text(lookup, mini)
    assert_terminal(terminal)
    assert '"hello"' in terminal
    # the terminal explains the command line, not Slack
    words = " ".join(terminal.split())  # the terminal wraps at 80 columns
    assert "smscode explain QPS_LIMIT_CONTROL" in words and "pbpaste | smscode explain" in words
    assert "/smscode" not in words and "mention the bot" not in words


def test_no_match_without_candidates_echoes_the_query(mini: Catalog) -> None:
    payload = render_message(Lookup(query="what is <!channel> " + "z" * 5000, mode=Mode.EXPLICIT), mini)
    assert_safe(payload)
    assert "I read: `what is &lt;!channel&gt; zzz" in all_text(payload)


# --- help, error ---------------------------------------------------------------------------------


def test_help() -> None:
    payload = render_help()
    assert_safe(payload)
    text = all_text(payload)
    assert "/smscode QPS_LIMIT_CONTROL" in text and "Explain SMS codes" in text


@given(st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=100)), max_size=10).map("".join))
def test_error(text: str) -> None:
    payload = render_error(text)
    assert_safe(payload)


def test_error_wording() -> None:
    payload = render_error("I can't post in #general: add me to the channel first.")
    assert "I can't post in #general" in all_text(payload)
    assert payload["text"].startswith("I can't post")


# --- share values and refs -----------------------------------------------------------------------


def test_parse_ref(mini: Catalog) -> None:
    entry = parse_ref("intl-receipt:INVALID_SENDERID", mini)
    assert entry is not None and entry.family.value == "intl-receipt"
    for bad in ("", "nope", "intl-api:NOPE", "martian:QPS_LIMIT_CONTROL", ":", "x" * 5000, "intl-api"):
        assert parse_ref(bad, mini) is None


def test_share_round_trip(mini: Catalog) -> None:
    entry = mini.get("intl-api", "QPS_LIMIT_CONTROL")
    assert entry is not None
    lookup = one(
        entry,
        how=How.FUZZY,
        score=88.0,
        matched_text="QPS_LIMT_CONTROL",
        count=3,
        evidence=[Evidence(4, "code=QPS_LIMT_CONTROL phone=+8613800138000")],
        notes=["hour-level flow control: cap of 5"],
    )
    value = share_value(lookup)
    assert len(value) <= 2000 and "13800138" not in value
    again = lookup_from_share_value(value, mini)
    assert [m.entry.ref for m in again.matches] == ["intl-api:QPS_LIMIT_CONTROL"]
    assert again.matches[0].how is How.FUZZY and again.matches[0].count == 3
    assert again.matches[0].notes == ["hour-level flow control: cap of 5"]
    shared = render_message(again, mini)
    assert_safe(shared)
    assert "Closest spelling to `QPS_LIMT_CONTROL`" in all_text(shared) and "line 4:" in all_text(shared)


def test_share_value_of_a_huge_lookup_fits(catalog: Catalog) -> None:
    entries = list(catalog)
    lookup = Lookup(
        query="q" * 40_000,
        mode=Mode.PASSIVE,
        matches=[
            match(entries[i % len(entries)], evidence=[Evidence(i, "s" * 4000)] * 5, notes=["n" * 500] * 5)
            for i in range(500)
        ],
        tried=["t" * 1000] * 100,
    )
    value = share_value(lookup)
    assert len(value) <= 2000
    again = lookup_from_share_value(value, catalog)
    assert len(again.matches) >= render.MAX_SHOWN
    assert [m.entry.ref for m in again.matches] == [m.entry.ref for m in lookup.matches[: len(again.matches)]]
    assert_safe(render_message(again, catalog, shareable=True))
    # the shared copy still counts every code, though its button could not carry them all by name
    assert len(again.matches) + again.omitted == 500
    assert "Found 500 codes" in render_message(again, catalog)["text"]
    assert "Found 500 codes" in render_text(again, catalog)


@given(value=st.text(max_size=300))
def test_foreign_share_values_never_raise(mini: Catalog, value: str) -> None:
    lookup = lookup_from_share_value(value, mini)
    assert all(isinstance(m, Match) for m in lookup.matches)


@pytest.mark.parametrize(
    "value",
    [
        '{"v":1,"r":[["intl-api:QPS_LIMIT_CONTROL","bogus",1,1,"",[],[]]]}',
        '{"v":1,"r":[["intl-api:QPS_LIMIT_CONTROL","fuzzy","x",1,"",[],[]]]}',
        '{"v":1,"r":[["intl-api:QPS_LIMIT_CONTROL","fuzzy",1,1,"",[[1]],[]]]}',
        '{"v":1,"r":"intl-api:QPS_LIMIT_CONTROL"}',
        '{"v":1,"m":"loud"}',
        '{"v":2}',
        "[" * 5000,
        "null",
    ],
)
def test_broken_share_values_give_an_empty_lookup(mini: Catalog, value: str) -> None:
    lookup = lookup_from_share_value(value, mini)
    assert lookup.matches == []


# --- generated lookups: always within limits, never pinging ---------------------------------------

hostile = st.lists(
    st.one_of(st.sampled_from([*HOSTILE, "A" * 10_000, "&" * 3000, "<" * 3000]), st.text(max_size=30)),
    max_size=5,
).map("".join)


@st.composite
def lookups(draw: st.DrawFn, entries: list[Entry]) -> Lookup:
    one_match = st.builds(
        Match,
        entry=st.sampled_from(entries),
        score=st.floats(min_value=0, max_value=100),
        how=st.sampled_from(How),
        evidence=st.lists(st.builds(Evidence, line=st.integers(1, 10**7), snippet=hostile), max_size=5),
        count=st.integers(1, 10**6),
        matched_text=hostile,
        notes=st.lists(hostile, max_size=6),
    )
    matches = draw(st.lists(one_match, max_size=14))
    if draw(st.booleans()):  # many codes: repeat a few drawn ones up to 600
        matches = matches * (draw(st.integers(0, 600)) // max(1, len(matches)))
    return Lookup(
        query=draw(hostile),
        mode=draw(st.sampled_from(Mode)),
        matches=matches,
        suggestions=draw(st.lists(one_match, max_size=8)),
        tried=draw(st.lists(hostile, max_size=20)),
        unknown=draw(st.lists(hostile, max_size=6)),
        truncated=draw(st.booleans()),
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(data=st.data(), shareable=st.booleans())
def test_any_lookup_renders_within_limits_and_inert(
    mini: Catalog, data: st.DataObject, shareable: bool
) -> None:
    lookup = data.draw(lookups(list(mini)))
    payload = render_message(lookup, mini, shareable=shareable)
    assert_safe(payload)
    for share in buttons(payload, ACTION_SHARE):
        assert len(share["value"]) <= 2000
        assert_safe(render_message(lookup_from_share_value(share["value"], mini), mini))
    assert_terminal(render_text(lookup, mini))


# --- the real catalogue --------------------------------------------------------------------------


def test_every_real_entry_renders(catalog: Catalog) -> None:
    for entry in catalog:
        payload = render_entry(entry, catalog, shareable=True)
        assert_safe(payload)
        assert payload["blocks"][0]["text"]["text"] == entry.code[:150]
        text = all_text(payload)
        assert ACTOR_TEXT[entry.actors[0]] in text
        assert "1. " in text
        lookup = one(entry)
        assert parse_ref(entry.ref, catalog) == entry
        terminal = render_text(lookup, catalog)
        assert_terminal(terminal)
        assert entry.code in terminal and RETRY_TEXT[entry.retry] in terminal


def test_every_real_code_in_several_families_renders(catalog: Catalog) -> None:
    for code in {e.code for e in catalog}:
        entries = catalog.by_code(code)
        if len(entries) > 1:
            lookup = Lookup(query=code, mode=Mode.EXPLICIT, matches=[match(e) for e in entries])
            assert_safe(render_message(lookup, catalog, shareable=True))


# --- end to end through the matching engine ------------------------------------------------------

CASES = [
    json.loads(line)
    for name in ("intl.jsonl", "beyond.jsonl")
    for line in (Path(__file__).parent / "data" / name).read_text(encoding="utf-8").splitlines()
    if line.strip()
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_every_case_renders_safely(catalog: Catalog, case: dict[str, Any]) -> None:
    lookup = find_codes(case["input"], catalog, Mode(case["mode"]))
    payload = render_message(lookup, catalog, shareable=True)
    assert_safe(payload)
    refs = {b["value"] for b in buttons(payload, ACTION_DETAILS)}
    headers = {b["text"]["text"] for b in payload["blocks"] if b["type"] == "header"}
    for m in lookup.matches[: render.MAX_SHOWN]:
        assert m.entry.ref in refs or m.entry.code in headers, m.entry.ref
    assert_terminal(render_text(lookup, catalog))


def test_hostile_paste_end_to_end(catalog: Catalog) -> None:
    paste = (
        "<!channel> @here look: https://evil.example/?a=1&b=2\n"
        '{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发小时级流控Permits:5","PhoneNumbers":"8613800138000"}\n'
        "```\nstat:UNDELIV err:000 <@U0123ABC> &amp;lt; AccessKeyId=LTAI5tAbcdEfghIjklMnop\n```"
    )
    lookup = find_codes(paste, catalog, Mode.EXPLICIT)
    payload = render_message(lookup, catalog, shareable=True)
    assert_safe(payload)
    text = all_text(payload)
    assert "isv.BUSINESS_LIMIT_CONTROL" in text and "UNDELIVERABLE" in text
    assert "13800138" not in text and "LTAI5tAbcd" not in text
    share = buttons(payload, ACTION_SHARE)[0]["value"]
    assert "13800138" not in share and "LTAI5tAbcd" not in share
    assert_safe(render_message(lookup_from_share_value(share, catalog), catalog))
    terminal = render_text(lookup, catalog)
    assert_terminal(terminal)
    assert "13800138" not in terminal


def test_hour_level_cap_reaches_the_answer(catalog: Catalog) -> None:
    lookup = find_codes('{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发小时级流控Permits:5"}', catalog)
    text = all_text(render_message(lookup, catalog))
    assert "Permits:5" in text and "5" in text


# --- QA round 2: presentation --------------------------------------------------------------------


def test_answers_found_by_meaning_do_not_read_as_findings(catalog: Catalog) -> None:
    lookup = find_codes("balance empty", catalog, Mode.EXPLICIT)
    assert lookup.matches and all(m.how is How.MEANING for m in lookup.matches)
    payload = render_message(lookup, catalog, shareable=True)
    assert_safe(payload)
    text = all_text(payload)
    assert payload["text"].startswith("No error code in your text. These look related: AMOUNT_NOT_ENOUGH")
    assert "No error code in your text. These look related:" in text
    assert "Found" not in text and ":x:" not in text and "What to do" not in text
    assert len(buttons(payload, ACTION_DETAILS)) == len(lookup.matches)
    terminal = render_text(lookup, catalog)
    assert_terminal(terminal)
    assert terminal.startswith("No error code in your text. These look related:")
    assert "Found" not in terminal and "What to do" not in terminal


def test_suggestions_by_meaning_quote_nothing(catalog: Catalog) -> None:
    lookup = find_codes("NOT_DELIVERED", catalog, Mode.EXPLICIT)
    assert lookup.matches == [] and lookup.suggestions
    payload = render_message(lookup, catalog)
    assert payload["text"].startswith("No error code in your text. These may be related:")
    assert "not sure which code you mean by" not in all_text(payload)


def test_unsure_never_quotes_a_whole_paste(mini: Catalog) -> None:
    entry = mini.get("intl-api", "QPS_LIMIT_CONTROL")
    assert entry is not None
    paste = "my phone +44700000001 keeps failing " * 20
    lookup = Lookup(query=paste, mode=Mode.EXPLICIT, suggestions=[match(entry, How.FUZZY, score=80.0)])
    for text in (all_text(render_message(lookup, mini)), render_text(lookup, mini)):
        assert "keeps failing my phone" not in text
        assert "700000001" not in text


def test_unknown_code_is_named_with_choices(catalog: Catalog) -> None:
    lookup = find_codes('{"Code":"QPS_LIMT_CONTROL"}', catalog, Mode.EXPLICIT)
    payload = render_message(lookup, catalog)
    assert_safe(payload)
    text = all_text(payload)
    assert "`QPS_LIMT_CONTROL` is not in the catalogue." in text
    assert [p["value"] for p in buttons(payload, ACTION_PICK)] == ["intl-api:QPS_LIMIT_CONTROL"]
    assert payload["text"].startswith("QPS_LIMT_CONTROL is not in the catalogue.")
    terminal = render_text(lookup, catalog)
    assert_terminal(terminal)
    assert '"QPS_LIMT_CONTROL" is not in the catalogue.' in terminal
    assert "QPS_LIMIT_CONTROL" in terminal


def test_unknown_carrier_status(catalog: Catalog) -> None:
    lookup = find_codes("err_code MK:0001", catalog, Mode.EXPLICIT)
    payload = render_message(lookup, catalog)
    assert_safe(payload)
    text = all_text(payload)
    assert "`MK:0001` is not in the catalogue." in text and "carrier" in text
    assert "No known SMS, gateway or SMPP code found" not in text
    assert '"MK:0001" is not in the catalogue.' in render_text(lookup, catalog)


def test_unknown_beside_a_match(catalog: Catalog) -> None:
    lookup = find_codes("code=QPS_LIMIT_CONTROL\ncode=isv.NOT_A_REAL_CODE", catalog, Mode.EXPLICIT)
    assert lookup.unknown == ["isv.NOT_A_REAL_CODE"]
    text = all_text(render_message(lookup, catalog))
    assert "`isv.NOT_A_REAL_CODE` is not in the catalogue." in text
    assert '"isv.NOT_A_REAL_CODE" is not in the catalogue.' in render_text(lookup, catalog)


def test_bare_number_shows_both_readings_and_why(catalog: Catalog) -> None:
    lookup = find_codes("48", catalog, Mode.EXPLICIT)
    payload = render_message(lookup, catalog)
    assert_safe(payload)
    labels = [p["text"]["text"] for p in buttons(payload, ACTION_PICK)]
    assert labels == ["Reserved 0x00000016-0x00000032", "QPS_LIMIT_CONTROL"]
    text = all_text(payload)
    assert "48 is ambiguous" in text
    assert "48 is ambiguous" in " ".join(render_text(lookup, catalog).split())


def test_same_code_in_a_list_says_its_family(catalog: Catalog) -> None:
    text = "\n".join(["code=OK", "stat:DELIVRD", '{"ResponseCode":"OK"}', "err_code=DELIVERED"] * 3)
    lookup = find_codes(text + "\n" + "\n".join(f"code={e.code}" for e in list(catalog)[:12]), catalog)
    rest = lookup.matches[render.MAX_SHOWN :]
    assert rest
    line = render._plain_line(render._more_names(rest))
    for code in {m.entry.code for m in rest if sum(x.entry.code == m.entry.code for x in rest) > 1}:
        assert f"{code} (" in line


def test_code_labels_name_the_family_only_when_needed(mini: Catalog) -> None:
    receipt = mini.get("intl-receipt", "DELIVERED")
    state = mini.get("smpp-state", "DELIVERED")
    other = mini.get("intl-api", "QPS_LIMIT_CONTROL")
    assert receipt is not None and state is not None and other is not None
    labels = render._code_labels([match(receipt), match(state), match(other)])
    assert labels == ["DELIVERED (receipt)", "DELIVERED (SMPP state)", "QPS_LIMIT_CONTROL"]


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("https://www.alibabacloud.com/help/en/sms/developer-reference/error-codes", "Alibaba Cloud docs"),
        ("https://help.aliyun.com/en/sms/developer-reference/api-error-codes", "Alibaba Cloud docs"),
        ("https://api.aliyun.com/troubleshoot?q=Throttling", "Alibaba Cloud API troubleshooting"),
        ("https://smpp.org/SMPP_v3_4_Issue1_2.pdf", "SMPP v3.4 specification"),
        ("https://smpp.example/spec", "Documentation (smpp.example)"),
    ],
)
def test_doc_links_are_named_by_where_they_go(url: str, label: str) -> None:
    assert render.doc_label(url) == label


def test_smpp_state_answer_links_alibaba_docs(catalog: Catalog) -> None:
    entry = catalog.get("smpp-state", "DELIVERED")
    assert entry is not None
    text = all_text(render_entry(entry, catalog))
    assert "|Alibaba Cloud docs>" in text
    assert "Documentation: SMPP" not in text
    assert "Alibaba Cloud docs: https://" in " ".join(render_text(one(entry), catalog).split())


@pytest.mark.parametrize(
    "value",
    [
        '{"v": 1, "m": "explicit", "r": [["intl-api:OK", 1e400, "exact", 1e400, "", [], []]]}',
        '{"v": 1, "m": "explicit", "r": [], "d": 1e400}',
        '{"v": 1, "m": "martian"}',
        "",
        "null",
        "[]",
    ],
)
def test_a_crafted_share_value_gives_an_empty_answer_not_an_error(catalog: Catalog, value: str) -> None:
    again = lookup_from_share_value(value, catalog)
    assert again.found is False or all(m.entry is not None for m in again.matches)
