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
    assert len(result.text) == MAX_INPUT_CHARS
    assert not normalize_text("short").truncated


def test_idempotent_on_plain_text() -> None:
    once = normalize('{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发小时级流控Permits:5"}')
    assert normalize(once) == once
