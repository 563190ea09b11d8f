"""Masking private data: phone numbers, AccessKey ids, secrets, e-mail addresses, Slack tokens."""

from __future__ import annotations

import time

import pytest

from bot.redact import mask_sensitive


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("to=+44700000001 code=X", "to=+44•••••0001 code=X"),
        ("+1 415 555 0100", "+1••••••0100"),
        ("+852 5123 4567", "+852••••4567"),
        ('{"To":"85200000001"}', '{"To":"•••••••0001"}'),
        ("sample mobile: 139000000001 (12)", "sample mobile: ••••••••0001 (12)"),
        ("PhoneNumbers=13800000000&x", "PhoneNumbers=•••••••0000&x"),
        ("PhoneNumbers%3D13800000000%26", "PhoneNumbers%3D•••••••0000%26"),
        ("[to:b'233200000000']", "[to:b'••••••••0000']"),
        ("AccessKeyId=LTAI5tAAAAAAAAAAAAAAAAAA", "AccessKeyId=LTAI****"),
        ("AccessKeyId%3DLTAI5tAAAAAAAAAAAAAAAAAA%26", "AccessKeyId%3DLTAI****%26"),
        ("AccessKeySecret=abcDEF123xyz", "AccessKeySecret=****"),
        ('"access_key_secret": "abc/DEF+123="', '"access_key_secret": "****"'),
        ("password: hunter22", "password: ****"),
        ("SLACK_BOT_TOKEN=xoxb-1234-5678-abcdef", "SLACK_BOT_TOKEN=****"),
        ("token xoxb-1234-5678-abcdef here", "token xoxb-**** here"),
        ("app xapp-1-A0123-456-abc", "app xapp-****"),
        ("user xoxp-99-88-77", "user xoxp-****"),
        ("Authorization: Bearer abc.def.ghi", "Authorization: Bearer ****"),
        ("mail bob.smith@example.com now", "mail •••@example.com now"),
    ],
)
def test_masks(raw: str, expected: str) -> None:
    assert mask_sensitive(raw) == expected


@pytest.mark.parametrize(
    "kept",
    [
        "code=QPS_LIMIT_CONTROL",
        "isv.BUSINESS_LIMIT_CONTROL",
        "InvalidSecurityToken.Expired",
        "command_id: 2147483653 = 0x80000005",
        "RequestId: 1B2C3D4E-5F60-4172-8394-A5B6C7D8E9F0",
        "触发小时级流控Permits:5",
        "stat:DELIVRD err:000",
        "SignatureDoesNotMatch",
        "",
    ],
)
def test_leaves_codes_and_ids_alone(kept: str) -> None:
    assert mask_sensitive(kept) == kept


def test_masking_twice_changes_nothing() -> None:
    once = mask_sensitive("to=+44700000001 key LTAI5tAAAAAAAAAAAA secret=abc mail a@b.co xoxb-1-2-3")
    assert mask_sensitive(once) == once


def test_linear_on_long_runs() -> None:
    # runs that could make a badly written pattern backtrack: digits, word characters, near-emails
    for chunk in ("1", "a", "a.", "+1", "x@", "secret", "LTAI"):
        small = chunk * 10_000
        big = chunk * 100_000
        start = time.perf_counter()
        mask_sensitive(small)
        t_small = time.perf_counter() - start
        start = time.perf_counter()
        mask_sensitive(big)
        t_big = time.perf_counter() - start
        assert t_big < 25 * t_small + 0.05, chunk
