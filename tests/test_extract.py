"""Extraction: candidates with their context and place, and what is deliberately not a candidate."""

from __future__ import annotations

import pytest

from bot.extract import (
    MAX_TOKEN_CHARS,
    SMPP_NEAR_LINES,
    SNIPPET_CHARS,
    Context,
    extract,
    fold_code,
    is_carrier_status,
    is_code_shaped,
    lookup_forms,
    make_snippet,
)
from bot.normalize import normalize


def contexts(text: str) -> dict[str, Context]:
    """First context of each candidate text."""
    found: dict[str, Context] = {}
    for cand in extract(normalize(text)).candidates:
        found.setdefault(cand.text, cand.context)
    return found


def numbers(text: str) -> list[tuple[int, Context]]:
    return [
        (c.number, c.context)
        for c in extract(normalize(text)).candidates
        if c.number is not None and c.context in (Context.STATUS, Context.NUMBER)
    ]


@pytest.mark.parametrize(
    ("text", "token", "context"),
    [
        ('{"ResponseCode":"MOBILE_NUMBER_ILLEGAL"}', "MOBILE_NUMBER_ILLEGAL", Context.KEY),
        ('{"a":{"b":[{"errorCode":"X_Y"}]}}', "X_Y", Context.KEY),
        ("{'Code': 'isv.A_B', 'x': 1}", "isv.A_B", Context.KEY),
        ('["Code"]=> string(26) "isv.BUSINESS_LIMIT_CONTROL"', "isv.BUSINESS_LIMIT_CONTROL", Context.KEY),
        ('["Code"]=>\n  string(2) "OK"', "OK", Context.KEY),  # var_dump puts the value on the next line
        ("[Code] => OK", "OK", Context.KEY),
        ('+"sub_code": "isv.SMS_TEMPLATE_ILLEGAL"', "isv.SMS_TEMPLATE_ILLEGAL", Context.KEY),
        ("Code=SignatureDoesNotMatch, Message=x", "SignatureDoesNotMatch", Context.KEY),
        ("err_code: DELIVERED", "DELIVERED", Context.KEY),
        ("ErrorCode: Forbidden.RAM", "Forbidden.RAM", Context.KEY),
        ("stat:UNDELIV err:000", "UNDELIV", Context.RECEIPT),
        ("id:1 sub:001 dlvrd:000 done date:2611250931 REJECTD err:008", "REJECTD", Context.RECEIPT),
        ("DLR [cid:S] [status:DELIVRD] [err:000]", "DELIVRD", Context.RECEIPT),
        ("ClientException: SDK.InvalidRegionId Can not find", "SDK.InvalidRegionId", Context.EXCEPTION),
        (
            "HTTP Status: 404 Error:InvalidAccessKeyId.NotFound x",
            "InvalidAccessKeyId.NotFound",
            Context.FIELD,
        ),
        ("ServerException: InvalidVersion x", "InvalidVersion", Context.EXCEPTION),
        ('{"status": "ok"}', "ok", Context.FIELD),
        ("Deploy looks OK now", "OK", Context.TOKEN),
    ],
)
def test_context(text: str, token: str, context: Context) -> None:
    assert contexts(text)[token] is context


def test_message_values_are_candidates() -> None:
    found = [
        c.text
        for c in extract(normalize('{"Message":"触发小时级流控Permits:5","Code":"x"}')).candidates
        if c.context is Context.MESSAGE
    ]
    assert found == ["触发小时级流控Permits:5"]
    found = [
        c.text
        for c in extract("Code: X Message: Specified access key is not found. RequestId: 1").candidates
        if c.context is Context.MESSAGE
    ]
    assert found == ["Specified access key is not found."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("command_status: 0 = 0x00000000", {(0, Context.STATUS)}),
        ("command_status 13", {(13, Context.STATUS)}),
        ('{"command_status": 88}', {(88, Context.STATUS)}),
        ("submit_sm_resp: Status (1032)", {(1032, Context.STATUS)}),
        ("PDUError: ('(11) submit_sm_resp: Invalid Destination Address', 11)", {(11, Context.STATUS)}),
        ("Negative response 0000000b found", {(11, Context.STATUS)}),
        ("NACK/0X00000045/SUBMIT FAILED", {(0x45, Context.STATUS)}),
        ("0x00000058", {(0x58, Context.NUMBER)}),
        ("88", {(88, Context.NUMBER)}),
        # not statuses
        ("command_id: 2147483653 = 0x80000005", set()),
        ("sequence_number: 134232185 = 0x08003879", set()),
        ("DEBUG: SMPP PDU 0x1cd2a80 dump:", set()),
        ('File "demo.py", line 43, in <module>', set()),
        ('["Message"]=> string(30) "x"', set()),
        ("Status Code: 404 Code: InvalidAccessKeyId.NotFound", set()),
        ('{"To":"1","Status":"2","ErrorCode":"X"}', set()),
        ("stat:DELIVRD err:000", set()),
        ("触发小时级流控Permits:5", set()),
        ('{"code":"0000"} TemplateParam={"code":"1234"}', set()),
        ("retry 13 times; // 404", set()),
        # command ids have the high bit set: never statuses, whatever word is before them
        ("deliver_sm_resp 0x80000005", set()),
        ("command_status: 0x80000004", set()),
        ("submit_sm_resp (0x80000004) status=0x0000000b", {(11, Context.STATUS)}),
        # SMPP logs print command_status as 8 hex digits without 0x: in a status context that is hex,
        # whatever the separator and whether or not a letter is among the digits
        ("command_status=00000058", {(0x58, Context.STATUS)}),
        ("command_status: 00000058", {(0x58, Context.STATUS)}),
        ("command_status 00000058", {(0x58, Context.STATUS)}),
        ("command_status=0000000b", {(11, Context.STATUS)}),
        ('{"command_status": "0000000B"}', {(11, Context.STATUS)}),
        ("command_status 0000000B", {(11, Context.STATUS)}),
        ("submit_sm_resp status 00000058", {(0x58, Context.STATUS)}),
        ("Status (00000058)", {(0x58, Context.STATUS)}),
        ("cmd_status=00000045 NACK", {(0x45, Context.STATUS)}),
        # shorter or longer runs of digits stay decimal
        ("command_status=0000058", {(58, Context.STATUS)}),
        ("command_status=0000000058", {(58, Context.STATUS)}),
        ("command_status=58", {(58, Context.STATUS)}),
        # a short question about one number
        ("Alibaba SMPP error code 48", {(48, Context.NUMBER)}),
        ("what is error code 48?", {(48, Context.NUMBER)}),
        ("error code 48 seen 3 times in the log", set()),
    ],
)
def test_status_numbers(text: str, expected: set[tuple[int, Context]]) -> None:
    assert set(numbers(text)) == expected


def test_url_encoded_string_to_sign_yields_no_tokens() -> None:
    text = "string to sign is:POST&%2F&AccessKeyId%3DLTAI5tAAAA%26Action%3DSendSms%26TemplateCode%3DSMS_1"
    found = {c.text for c in extract(text).candidates}
    assert not found & {"3DSendSms", "SendSms", "3DSMS_1", "2F", "26Action"}


def test_links_are_marked() -> None:
    text = "Recommend: https://api.aliyun.com/troubleshoot?q=Forbidden.RAM&product=Dysmsapi"
    by_text = {c.text: c for c in extract(text).candidates}
    assert by_text["Forbidden.RAM"].in_url
    assert not by_text["Recommend"].in_url


def test_flow_control_facts() -> None:
    text = normalize("Message: '触发分钟级流控Permits:1'\nx\nhour-level flow control Permits: 5\nPermits=9")
    facts = [(f.line, f.window, f.value) for f in extract(text).facts if f.kind == "flow"]
    assert facts == [(1, "minute", 1), (3, "hour", 5), (4, "", 9)]


def test_receipt_err_fact() -> None:
    facts = extract("id:1 sub:001 dlvrd:000 stat:UNDELIV err:034 text:hi err:999").facts
    assert [(f.kind, f.value) for f in facts] == [("receipt_err", 34)]


def test_lines_and_positions() -> None:
    text = "one\ntwo code=QPS_LIMIT_CONTROL\n\nfour stat:EXPIRED"
    by_text = {c.text: c for c in extract(text).candidates}
    assert by_text["QPS_LIMIT_CONTROL"].line == 2
    assert by_text["EXPIRED"].line == 4
    assert text[by_text["EXPIRED"].start : by_text["EXPIRED"].end] == "EXPIRED"
    starts = [c.start for c in extract(text).candidates]
    assert starts == sorted(starts)


def test_snippets_are_short_and_masked() -> None:
    line = "x " * 200 + "send to=+44700000001 code=QPS_LIMIT_CONTROL key=LTAI5tAAAAAAAAAAAAAA " + "y " * 200
    cand = next(c for c in extract(line).candidates if c.text == "QPS_LIMIT_CONTROL")
    snippet = cand.snippet
    assert "QPS_LIMIT_CONTROL" in snippet
    assert len(snippet) <= SNIPPET_CHARS + 2
    assert "700000001" not in snippet
    assert "LTAI5t" not in snippet
    assert make_snippet("short line", 0, 5) == "short line"


def test_overlong_tokens_are_skipped() -> None:
    blob = "A" * (MAX_TOKEN_CHARS + 1)
    assert [c.text for c in extract(f"{blob} code=OK").candidates] == ["code", "OK"]


def test_vocabulary_keeps_only_useful_free_words() -> None:
    text = "hello team, the QPS_LIMT_CONTROL thing and expired coupons; Code: whatever"
    kept = {c.text for c in extract(text, vocabulary={"expired"}).candidates}
    assert "QPS_LIMT_CONTROL" in kept  # code-shaped: may be a typo worth a fuzzy look-up
    assert "expired" in kept  # in the vocabulary
    assert "whatever" in kept  # a code context is always kept
    assert not kept & {"hello", "team", "coupons"}


def test_candidate_cap() -> None:
    result = extract("A_B " * 100, limit=10)
    assert result.capped
    assert len(result.candidates) == 10


@pytest.mark.parametrize(
    ("token", "forms"),
    [
        ("isv.SMS_CONTENT_ILLEGALError", ["isv.SMS_CONTENT_ILLEGALError", "isv.SMS_CONTENT_ILLEGAL"]),
        ("CommandStatus.ESME_RINVDSTADR", ["CommandStatus.ESME_RINVDSTADR", "ESME_RINVDSTADR"]),
        ("MessageState.EXPIRED", ["MessageState.EXPIRED", "EXPIRED"]),
        ("isv.SMS_SIGN_NAME_ILLEGAL", ["isv.SMS_SIGN_NAME_ILLEGAL"]),  # isv. is never dropped
        ("Foo.Expired", ["Foo.Expired"]),  # not an enum member
        ("com.example.Codes.QPS_LIMIT_CONTROL", ["com.example.Codes.QPS_LIMIT_CONTROL", "QPS_LIMIT_CONTROL"]),
    ],
)
def test_lookup_forms(token: str, forms: list[str]) -> None:
    assert [form for form, _ in lookup_forms(token)] == forms


@pytest.mark.parametrize(
    ("text", "shaped"),
    [
        ("QPS_LIMIT_CONTROL", True),
        ("isv.OK", True),
        ("SignatureDoesNotMatch", True),
        ("InternalError", True),
        ("OK", False),
        ("expired", False),
        ("DELIVERED", False),
        ("Forbidden", False),
    ],
)
def test_code_shape(text: str, shaped: bool) -> None:
    assert is_code_shaped(text) is shaped


def test_fold_code() -> None:
    assert fold_code("QPS LIMIT-CONTROL") == fold_code("qps_limit_control") == "qpslimitcontrol"
    assert fold_code("DON'T DISTURB") == "dontdisturb"
    assert fold_code("isv.SMS_X") != fold_code("SMS_X")  # the prefix is kept


@pytest.mark.parametrize(
    ("text", "near"),
    [
        ("submit_sm_resp command_status=0x58", True),
        ("org.jsmpp.extra.NegativeResponseException: Negative response 0000000b found", True),
        ("NACK/0x00000045/SUBMIT FAILED", True),
        ("ESME_RTHROTTLED (0x00000058)", True),
        ("SMSC1 said 0x58", True),
        ("DEBUG: SMPP PDU 0x1cd2a80 dump:", True),
        ("exit status 0x00000058", False),
        ("usb 1-1: device descriptor read/64, error code 0x0000000b", False),
        ("/smscode status 0x58", False),  # the bot's own name is not an SMSC
    ],
)
def test_smpp_words(text: str, near: bool) -> None:
    assert extract(text).smpp_near(1) is near


def test_smpp_words_reach_a_few_lines() -> None:
    text = "bind_transceiver ok" + "\nx" * SMPP_NEAR_LINES + "\nstatus 0x58" + "\ny" * 5
    ex = extract(text)
    assert ex.smpp_near(SMPP_NEAR_LINES + 2) is False
    assert ex.smpp_near(SMPP_NEAR_LINES + 1) is True


@pytest.mark.parametrize(
    ("text", "token", "context"),
    [
        ("err_code MK:0001", "MK:0001", Context.KEY),
        ("stat:MA:0054 err:000", "MA:0054", Context.RECEIPT),
        ('{"err_code":"ID:0076"}', "ID:0076", Context.KEY),
        ("seen MK:0001 twice", "MK:0001", Context.TOKEN),
    ],
)
def test_carrier_status_codes_are_one_token(text: str, token: str, context: Context) -> None:
    assert contexts(text)[token] is context
    assert is_carrier_status(token)


def test_not_carrier_status() -> None:
    assert not is_carrier_status("at 12:30")
    assert not is_carrier_status("Code:OK")
    assert "12:30" not in contexts("meeting AT:12:30")
