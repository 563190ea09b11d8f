"""Normalisation: Slack markup and entities, fences, Unicode, quotes, invisible characters, length."""

from __future__ import annotations

import pytest

from bot.normalize import MAX_INPUT_CHARS, normalize, normalize_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Slack entities are decoded exactly once
        ("a &amp; b", "a & b"),
        ("&lt;in 5m&gt;", "<in 5m>"),
        ("&amp;lt;", "&lt;"),
        ("&quot;kept&quot;", "&quot;kept&quot;"),  # only Slack's three entities
        # Slack markup
        ("<@U0SMSBOT> hi", " hi"),
        ("<@W123|someone> hi", " hi"),
        ("<#C123|sms-alerts> x", "#sms-alerts x"),
        ("<#C123> x", " x"),
        ("<!here> look", " look"),
        ("<!subteam^S012|@oncall> look", " look"),
        ("<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014"),
        ("<https://example.com/a?b=1|the log>", "the log (https://example.com/a?b=1)"),
        ("<https://example.com/a?q=QPS_LIMIT_CONTROL>", "https://example.com/a?q=QPS_LIMIT_CONTROL"),
        # QA: a labelled link keeps its address, where the code often is; entities still decode once
        (
            "<https://api.aliyun.com/t?q=SignatureDoesNotMatch&amp;product=Dysmsapi|troubleshoot link>",
            "troubleshoot link (https://api.aliyun.com/t?q=SignatureDoesNotMatch&product=Dysmsapi)",
        ),
        ("<https://x.io/?a=1&amp;amp;b=2|a &amp;amp; b>", "a &amp; b (https://x.io/?a=1&amp;b=2)"),
        ("<https://example.com/x|example.com/x>", "https://example.com/x"),  # Slack's own label: once
        ("<https://example.com|https://example.com>", "https://example.com"),
        ("<mailto:ops@example.com|ops@example.com>", "ops@example.com"),
        ("<tel:+6591234567|+65 9123 4567>", "+65 9123 4567"),
        (
            "see <https://x.io/a|log> and <@U1> in <#C1|ops> <!channel>",
            "see log (https://x.io/a) and  in #ops ",
        ),
        ("a < b > c", "a < b > c"),  # not markup
        ("&lt;@U123&gt;", "<@U123>"),  # decoded after markup is stripped, so typed text stays
        # fences and backticks
        ('```\n{"Code":"OK"}\n```', '\n{"Code":"OK"}\n'),
        ("```json\n{}\n```", "\n{}\n"),
        ("```SYSTEM_ERROR```", "SYSTEM_ERROR"),
        ("what is `SMS_FLOODING`?", "what is  SMS_FLOODING ?"),
        # Unicode
        ("ＱＰＳ＿ＬＩＭＩＴ＿ＣＯＮＴＲＯＬ", "QPS_LIMIT_CONTROL"),
        ("Error Code：InvalidTimeStamp.Expired", "Error Code:InvalidTimeStamp.Expired"),
        ("DON’T DISTURB", "DON'T DISTURB"),
        ("“Code”: ‘OK’", "\"Code\": 'OK'"),
        ("QPS_\u200bLIMIT_CONTROL", "QPS_LIMIT_CONTROL"),
        ("\ufeffOK", "OK"),
        ("a\u202eb", "ab"),
        ("a\x00b\x07c", "abc"),
        ("tab\tkept\nnewline kept", "tab\tkept\nnewline kept"),
        ("crlf\r\nlines\rend", "crlf\nlines\nend"),
        ("line\u2028sep", "line\nsep"),
        ("\ud800lone", "lone"),
        # escapes left by serialisers
        (r"{\"Code\":\"OK\"}", '{"Code":"OK"}'),
        (r"\u89e6\u53d1", "触发"),
        (r"b'\xe8\xa7\xa6\xe5\x8f\x91'", "b'触发'"),
        (r"line one\nESME_RTHROTTLED", "line one ESME_RTHROTTLED"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_case_is_kept() -> None:
    assert normalize("qps_limit_control") == "qps_limit_control"


def test_line_numbers_survive() -> None:
    raw = "```\nfirst\n<@U1> second\n&lt;third&gt;\n```"
    assert normalize(raw).split("\n")[1:4] == ["first", " second", "<third>"]


def test_long_input_is_cut_and_reported() -> None:
    result = normalize_text("x" * (MAX_INPUT_CHARS + 10))
    assert result.truncated
    assert len(result.text) <= MAX_INPUT_CHARS
    assert result.dropped_chars == MAX_INPUT_CHARS + 10 - len(result.text) + 1  # one "\n" joins the parts
    short = normalize_text("short")
    assert not short.truncated
    assert short.dropped_chars == 0
    assert short.original_line(3) == 3


def test_long_log_keeps_its_tail() -> None:
    """QA: the failing request is the last line of a long log; a cut keeps the head and the tail."""
    lines = [f"2026-11-20 08:15:02 request {n} ok" for n in range(20_000)]
    lines.append('{"Code":"isv.AMOUNT_NOT_ENOUGH"}')
    raw = "\n".join(lines)
    assert len(raw) > MAX_INPUT_CHARS / 2
    result = normalize_text(raw, limit=200_000)
    assert result.truncated
    assert len(result.text) <= 200_000
    assert result.text.startswith("2026-11-20 08:15:02 request 0 ok\n")
    assert result.text.endswith('{"Code":"isv.AMOUNT_NOT_ENOUGH"}')
    assert result.dropped_chars == len(raw) - len(result.text)
    # cut at line ends, so every kept line is whole
    kept = result.text.split("\n")
    assert all(line in lines for line in kept)
    # line numbers of the tail map back to the input's
    assert kept[result.tail_line - 1] == lines[result.original_line(result.tail_line) - 1]
    assert result.original_line(len(kept)) == len(lines)
    assert result.original_line(1) == 1


def test_cut_counts_crlf_lines_once() -> None:
    raw = "\r\n".join(f"line {n}" for n in range(50_000)) + "\r\nlast"
    result = normalize_text(raw, limit=100_000)
    kept = result.text.split("\n")
    assert kept[-1] == "last"
    assert result.original_line(len(kept)) == 50_001


def test_default_bound_is_a_megabyte_of_text() -> None:
    assert MAX_INPUT_CHARS >= 1_000_000
    raw = "request ok\n" * 70_000 + '{"Code":"isv.AMOUNT_NOT_ENOUGH"}'  # about 770 KB: not cut at all
    result = normalize_text(raw)
    assert not result.truncated
    assert result.text.endswith('isv.AMOUNT_NOT_ENOUGH"}')


def test_idempotent_on_plain_text() -> None:
    once = normalize('{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发小时级流控Permits:5"}')
    assert normalize(once) == once
