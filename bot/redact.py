"""Masking of private data in text that a lookup echoes back: phone numbers, keys, secrets, e-mail, tokens.

`mask_sensitive` is applied by the extractor to every evidence snippet and to the query and candidate strings
of a `Lookup`, so nothing downstream (the Slack answer, the terminal, `--json`) can echo a number or a key.

Every pattern is linear: quantifiers are bounded, and the patterns that could start anywhere inside a long
run of characters carry a look-behind that lets them start only where such a run begins.
Masking twice changes nothing (the mask characters are neither digits nor letters).
"""

from __future__ import annotations

import re

MASK = "•"
HIDDEN = "****"

# Country calling codes that are one or two digits long (ITU-T E.164 zones); all others are three digits.
_CC1 = frozenset({"1", "7"})
_CC2_TEXT = (
    "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 "
    "81 82 84 86 90 91 92 93 94 95 98"
)
_CC2 = frozenset(_CC2_TEXT.split())

_SLACK_TOKEN = re.compile(r"(?<![A-Za-z0-9])(xox[a-z]|xapp)-[A-Za-z0-9-]{4,400}", re.IGNORECASE)
# No word boundary before LTAI: in a URL-encoded string-to-sign the key follows "%3D" directly.
_ACCESS_KEY_ID = re.compile(r"(LTAI|STS\.)[A-Za-z0-9]{8,100}")
_SECRET = re.compile(
    r"(?i)((?<![A-Za-z0-9])[A-Za-z0-9_]{0,30}?(?:secret|password|passwd|pwd|token|api_?key|credential)s?"
    r"[\"']?\s{0,5}(?:=>|[:=])\s{0,5}(?:string\(\d{1,6}\)\s{0,3})?[\"']?)"
    r"([^\s\"',;&}\])]{1,400})"
)
_AUTHORIZATION = re.compile(
    r"(?i)(authorization[\"']?\s{0,5}[:=]\s{0,5}[\"']?(?:(?:bearer|basic|acs)\s{1,3})?)([^\s\"',;]{1,400})"
)
_EMAIL = re.compile(
    # Addresses glued together ("a@x.comb@y.com") are swallowed as one, so masking twice changes nothing.
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9._%+-]{0,64}@){0,8}"
    r"([A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8})"
)
# A number in international format (+CC…) is a phone number wherever it appears.
_PLUS_PHONE = re.compile(r"(?<![\w+])\+\d(?:[ .-]?\d){6,16}(?![\d•])")
# After a key that names a recipient (JSON, key=value, SMPP field names, Chinese labels), any digit run.
_PHONE_KEY = re.compile(
    r"(?i)((?<![A-Za-z0-9_])(?:phone\w{0,20}|mobile\w{0,20}|msisdn|to|dest(?:ination)?_?addr(?:ess)?"
    r"|source_?addr|recipient\w{0,20}|receiver|tel|手机号码?|电话)[\"']?\s{0,5}(?:=>|[:=]|%3D)\s{0,5}[\"']?"
    r"(?:b')?)(\+?\d[\d -]{5,30}\d)"
)
# Bare runs of 11 to 15 digits: mobile numbers without a prefix (Chinese mobiles are 11 digits, most
# international numbers 11-13). Ids of that length are masked too, which costs nothing.
# Chinese mobile numbers (1[3-9] and nine digits, optionally after 86) even when glued to letters.
_CN_MOBILE = re.compile(r"(?<![\d+•])(?:86)?1[3-9]\d{9}(?![\d•])")
_LONG_DIGITS = re.compile(r"(?<![\w.•-])\d{11,15}(?![\w•])")


def _country_code_length(digits: str) -> int:
    if digits[:1] in _CC1:
        return 1
    if digits[:2] in _CC2:
        return 2
    return 3


def _mask_digits(number: str) -> str:
    """`+44700000001` → `+44•••••0001`; `13900000001` → `•••••••0001`."""
    plus = number.lstrip().startswith("+")
    digits = "".join(ch for ch in number if ch.isdigit())
    keep_tail = 4 if len(digits) >= 10 else 2
    head = ""
    if plus:
        head = "+" + digits[: _country_code_length(digits)]
        digits = digits[len(head) - 1 :]
    if len(digits) <= keep_tail:
        return head + MASK * len(digits)
    return head + MASK * (len(digits) - keep_tail) + digits[-keep_tail:]


def _keep_key_hide_value(match: re.Match[str]) -> str:
    return match.group(1) + HIDDEN


def _hide_slack_token(match: re.Match[str]) -> str:
    return f"{match.group(1)}-{HIDDEN}"


def _hide_key_id(match: re.Match[str]) -> str:
    return match.group(1) + HIDDEN


def _hide_email(match: re.Match[str]) -> str:
    return f"{MASK * 3}@{match.group(1)}"


def _mask_keyed_phone(match: re.Match[str]) -> str:
    return match.group(1) + _mask_digits(match.group(2))


def _mask_phone(match: re.Match[str]) -> str:
    return _mask_digits(match.group(0))


_SECRET_WORDS = ("secret", "password", "passwd", "pwd", "token", "apikey", "api_key", "credential")
_ELEVEN_DIGITS = re.compile(r"\d{11}")


def mask_sensitive(text: str) -> str:
    """`text` with phone numbers, AccessKey ids, secrets, e-mail addresses and Slack tokens masked.

    Each pattern runs only when a cheap substring test says it could match: most snippets hold none.
    """
    if not text:
        return text
    low = text.lower()
    if "xox" in low or "xapp" in low:
        text = _SLACK_TOKEN.sub(_hide_slack_token, text)
    if "authorization" in low:
        text = _AUTHORIZATION.sub(_keep_key_hide_value, text)
    if any(word in low for word in _SECRET_WORDS):
        text = _SECRET.sub(_keep_key_hide_value, text)
    if "ltai" in low or "sts." in low:
        text = _ACCESS_KEY_ID.sub(_hide_key_id, text)
    if "@" in text:
        text = _EMAIL.sub(_hide_email, text)
    if "+" in text:
        text = _PLUS_PHONE.sub(_mask_phone, text)
    text = _PHONE_KEY.sub(_mask_keyed_phone, text)
    if _ELEVEN_DIGITS.search(text):
        text = _CN_MOBILE.sub(_mask_phone, text)
        text = _LONG_DIGITS.sub(_mask_phone, text)
    return text
