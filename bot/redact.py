"""Masking of private data in text that a lookup echoes back: phone numbers, keys, secrets, e-mail, tokens.

`mask_sensitive` is applied by the extractor to every evidence snippet and to the query and candidate strings
of a `Lookup`, so nothing downstream (the Slack answer, the terminal, `--json`) can echo a number or a key.
Matching itself reads the unmasked text: masking changes what is shown, never what is found.

What is masked, and why each rule stops where it does:

- Slack tokens (`xoxb-…`, `xapp-…`) and the path of Slack webhook URLs (`hooks.slack.com/services/****`).
- AccessKey ids (`LTAI…` in any case, `STS.…`, AWS `AKIA…`/`ASIA…`), and a secret written right after an id
  (`new AccessKey("LTAI…", "<secret>")`, `LTAI…:<secret>`).
- Values of secret-named keys (`…secret`, `password`, `pass`, `pwd`, `sk`, `…token`, `…apikey`,
  `credential`, `signature`): after `=`, `:` or `=>` always; after a space only when the value has a letter
  and a digit and is not a code (`password hunter2` is hidden, `token expired` is not). Keys that are error
  names (`InvalidAccessKeySecret: …`) are not secret keys. `Authorization:`/`Bearer` values and JWTs.
- Any other token of 20 or more characters from `[A-Za-z0-9+/_-]` (base64, random ids) that mixes upper
  case, lower case and digits, unless it is hex only (hashes, `0x…` ranges, UUIDs) or reads as an
  identifier made of words (`AlibabaCloudDysmsapi20170525Client`, `/Users/Ann/sms2`). No error code mixes
  all three classes, so codes are never touched.
- E-mail addresses (the domain is kept).
- Phone numbers, written any way: `+CC…` (country code kept), bare runs of 10 to 15 digits, grouped forms
  (`(415) 555-0134`, `07700 900123`, `138-0013-8000`), and any number of 7 or more digits after a label
  that names a phone (`to`, `from`, `src`, `dst`, `source_addr`, `destination_addr`, `mobile`,
  `PhoneNumbers`, `手机`, …). The last 4 digits stay (2 for numbers shorter than 10 digits) and the layout
  is kept: `(•••) •••-0134`.

  Numbers that are not phones are left alone: dates and times (`2026-11-20 08:15:02`, `20261120`),
  epoch seconds and milliseconds (10 or 13 digits starting with 1), IP addresses, decimals, numbers that
  start with `000` (no phone does: padded ids, PDU bytes), longer runs (BizIds, 18 digits), and numbers
  after a label that names an id, a date or a sequence (`id:0000012345` in an SMPP receipt,
  `submit date:2611250930`, `command_id: 2147483653`, `RequestId`, `seq`). An SMPP receipt's `id:` is the
  SMSC's message id, not a person's number, and support needs it to trace the message, so it stays.

Every pattern is linear: quantifiers are bounded or possessive, and the patterns that could start anywhere
inside a long run of characters carry a look-behind that lets them start only where such a run begins; the
decisions that need context are made in Python on the matched run and a bounded window before it.
Masking twice changes nothing (the mask characters are neither digits nor letters).
"""

from __future__ import annotations

import re
from collections.abc import Callable

MASK = "•"
HIDDEN = "****"

# Country calling codes that are one or two digits long (ITU-T E.164 zones); all others are three digits.
_CC1 = frozenset({"1", "7"})
_CC2_TEXT = (
    "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 "
    "81 82 84 86 90 91 92 93 94 95 98"
)
_CC2 = frozenset(_CC2_TEXT.split())

# --- tokens, keys and secrets ---------------------------------------------------------------------------
_SLACK_TOKEN = re.compile(r"(?<![A-Za-z0-9])(xox[a-z]|xapp)-[A-Za-z0-9-]{4,400}", re.IGNORECASE)
_SLACK_WEBHOOK = re.compile(r"(?i)(hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9/_-]{1,400}")
# In a URL-encoded string-to-sign the id follows "%3D" directly, so "3D" counts as a boundary.
_ACCESS_KEY_ID = re.compile(
    r"(?:(?<=3[Dd])|(?<![A-Za-z0-9]))"
    r"(?:((?i:ltai))[A-Za-z0-9]{8,100}|(STS\.)[A-Za-z0-9]{16,200}|(AKIA|ASIA)[A-Z0-9]{16})"
)
# A secret written right after a (masked) id: `AccessKey("LTAI****", "<secret>")`, `LTAI****:<secret>`.
_AFTER_KEY_ID = re.compile(
    r"((?:(?i:ltai)|STS\.|AKIA|ASIA)\*{4}[\"']?[ \t]{0,3}[,;:|/ ][ \t]{0,3}[\"']?)([A-Za-z0-9+/=]{16,400})"
)
# The word that ends a secret-named key (`AccessKeySecret`, `x-acs-signature`); the short ones only alone.
_CREDENTIAL_WORD = (
    r"(?:secret|password|passwd|passphrase|pwd|token|api_?key|credential|signature)s?"
    r"|(?<![A-Za-z0-9_.\-])(?:sk|pass|pw)"
)
_SECRET = re.compile(
    rf"(?i)({_CREDENTIAL_WORD})"
    # `key = value`, `key => string(30) "value"`, or only spaces (`password hunter2`, `secret is 9fJk…`)
    r"(\]?[\"']?\]?[ \t]{0,5}(?:=>|[:=]|%3D)[ \t]{0,5}(?:string\(\d{1,6}\)[ \t]{0,3})?[\"']?"
    r"|[ \t]{1,3}(?:(?:is|was)[ \t]{1,3})?[\"']?)"
    r"([^\s\"',;&}\])]{1,400})"
)
# Keys that name an error, not a field: `InvalidAccessKeySecret: Specified …` keeps its message.
_ERROR_NAME = re.compile(r"(?i)(?:invalid|incomplete|missing|unsupported|expired|forbidden|wrong|bad|sdk\.)")
_SHORT_SECRET_KEYS = frozenset({"sk", "pass", "pw"})  # too common as words to take a value after a space
_HEX_WORD = re.compile(r"(?i)0x[0-9a-f]{1,16}")
_AUTHORIZATION = re.compile(
    r"(?i)(authorization[\"']?[ \t]{0,5}[:=][ \t]{0,5}[\"']?(?:(?:bearer|basic|acs)[ \t]{1,3})?)"
    r"([^\s\"',;]{1,4000})"
)
_BEARER = re.compile(r"(?i)(?<![A-Za-z0-9])((?:bearer|basic)[ \t]{1,3})([A-Za-z0-9._~+/=-]{8,4000})")
_JWT = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,4000}\.[A-Za-z0-9_-]{5,4000}\.[A-Za-z0-9_-]{0,4000}")
_EMAIL = re.compile(
    # Addresses glued together ("a@x.comb@y.com") are swallowed as one, so masking twice changes nothing.
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9._%+-]{0,64}@){0,8}"
    r"([A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8})"
)
# Base64-ish tokens; `=` only as padding, so `SignatureMethod=HMAC-SHA1` is two tokens. Possessive, and a
# token starts only where a run starts, so a long run is read once.
_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{20,}+(?:={1,2}(?![A-Za-z0-9+/_-]))?")
_MIN_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{20}")
# Camel-case and separator pieces of a token, to tell identifiers from random strings.
_PIECE = re.compile(r"[A-Z]+(?![a-z])|[A-Z][a-z]+|[a-z]+|\d+")
_SHORT_WORDS = frozenset({"id", "of", "to", "by", "in", "on", "at", "is", "or", "an", "my", "no", "ok", "up"})
_HEX_ONLY = re.compile(r"(?:0[xX])?[0-9A-Fa-f]+(?:-(?:0[xX])?[0-9A-Fa-f]+)*")

# --- phone numbers ----------------------------------------------------------------------------------------
# A run of digit groups joined by one space, dot or hyphen, or in parentheses, optionally after `+`. It starts
# only where no word, number, path or URL escape continues, and it is possessive, so each run is read once;
# `_mask_number_run` decides what in it is a phone number. `_ESCAPED_NUMBER_RUN` is the same run right after
# a `%XX` escape (`PhoneNumbers%3D138…`), a second pass only for text with a `%` in it.
_RUN_BODY = r"\+?(?:\(\d++\)|\d++)(?:[ .\-]?+(?:\(\d++\)|\d++))*+"
_NUMBER_RUN = re.compile(r"(?<![A-Za-z0-9_.•%+/\\-])" + _RUN_BODY)
_ESCAPED_NUMBER_RUN = re.compile(r"(?<=%[0-9A-Fa-f]{2})" + _RUN_BODY)
# The label just before a number: `"To":"`, `[from:`, `mobile `, `PhoneNumbers%3D`, `手机：`, `tel. `.
_LABEL_BEFORE = re.compile(
    r"(?:^|[^A-Za-z0-9_])([A-Za-z][A-Za-z0-9_]{0,40}|[\u3400-\u9fff]{1,6})"
    r"(?:(\]?[\"']?\]?[ \t]{0,3}(?:=>|[:=\uff1a]|%3[ADad])[ \t]{0,3}(?:string\(\d{1,6}\)[ \t]{0,3})?"
    r"[\"']?(?:b['\"])?)|(\.?[ \t]{1,3}))\Z"
)
_LABEL_WINDOW = 64
_PHONE_LABEL_PARTS = (
    "phone",
    "mobile",
    "msisdn",
    "recipient",
    "receiver",
    "callee",
    "caller",
    "手机",
    "电话",
    "号码",
)
_PHONE_LABELS = frozenset(
    {
        "to",
        "from",
        "tel",
        "cell",
        "dst",
        "src",
        "dest",
        "destination",
        "source",
        "sender",
        "destaddr",
        "dstaddr",
        "srcaddr",
        "sourceaddr",
        "destinationaddr",
        "destinationaddress",
        "sourceaddress",
    }
)
# Labels that may stand before a number with only a space between ("mobile 9812345678", "tel. 0912 …").
_SPACED_PHONE_LABELS = frozenset({"tel", "cell"})
# Labels after which a number is an id, a date or a counter: never a phone (unless phone-named).
_NOT_PHONE_ENDINGS = (
    "id",
    "ids",
    "date",
    "time",
    "timestamp",
    "ts",
    "seq",
    "sequence",
    "seqno",
    "seqnum",
    "serial",
    "version",
    "port",
    "pid",
    "duration",
    "elapsed",
    "latency",
    "millis",
    "took",
    "cost",
    "bytes",
    "size",
    "length",
    "count",
    "total",
    "offset",
)
_NOT_PHONE_UNIT_KEYS = ("_ms", "_ns", "_us", "_sec", "_secs", "_seconds")
# A unit after a number makes it a quantity: "took 1234567890 ms", "4294967296 bytes".
_UNIT_AFTER = re.compile(
    r"(?i) ?(?:ms|ns|us|µs|s|secs?|seconds?|mins?|minutes?|bytes?|[kmg]i?b|%)(?![A-Za-z])"
)
_DATE_WORD = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}")
_IP_WORD = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
_DOTTED_PHONE_WORD = re.compile(r"\d{2,4}(?:\.\d{2,4}){2,4}")
_COMPACT_DATE = re.compile(
    r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:(?:[01]\d|2[0-3])[0-5]\d(?:[0-5]\d)?)?"
)
# Chinese mobile numbers (1[3-9] and nine digits, optionally after 86) even when glued to letters or words.
_CN_MOBILE = re.compile(r"(?<![\d+•])(?:86)?1[3-9]\d{9}(?![\d•])")
_ELEVEN_DIGITS = re.compile(r"\d{11}")

MIN_LABELLED_DIGITS = 7  # a labelled recipient shorter than this is a short code, not a person
MIN_BARE_DIGITS = 10  # without a label: the shortest national mobile numbers with area code
MAX_PHONE_DIGITS = 15  # E.164
MAX_PAIRS = 5  # groups of 1-2 digits one number may have (French style: 06 12 34 56 78)


def _country_code_length(digits: str) -> int:
    if digits[:1] in _CC1:
        return 1
    if digits[:2] in _CC2:
        return 2
    return 3


def _mask_digits(number: str) -> str:
    """Mask the digits of `number`, keeping its layout, a leading `+` and country code, and the last digits.

    `+44700000001` → `+44•••••0001`; `(415) 555-0134` → `(•••) •••-0134`; `13900000001` → `•••••••0001`.
    """
    count = sum(ch.isdigit() for ch in number)
    keep_tail = 4 if count >= MIN_BARE_DIGITS else 2
    keep_head = 0
    if number.lstrip().startswith("+"):
        digits = "".join(ch for ch in number if ch.isdigit())
        keep_head = _country_code_length(digits)
    out = []
    seen = 0
    for ch in number:
        if not ch.isdigit():
            out.append(ch)
            continue
        out.append(MASK if keep_head <= seen < count - keep_tail else ch)
        seen += 1
    return "".join(out)


def _label_kind(text: str, start: int) -> str:
    """What the label just before `start` says about a number there: "phone", "other" or ""."""
    found = _LABEL_BEFORE.search(text, max(0, start - _LABEL_WINDOW), start)
    if found is None:
        return ""
    raw = found.group(1).lower()
    label = raw.replace("_", "")
    spaced = found.group(3) is not None
    if any(part in label for part in _PHONE_LABEL_PARTS) or label in _PHONE_LABELS:
        if not spaced or label in _SPACED_PHONE_LABELS or any(p in label for p in _PHONE_LABEL_PARTS):
            return "phone"
        return ""
    if not spaced and (label.endswith(_NOT_PHONE_ENDINGS) or raw.endswith(_NOT_PHONE_UNIT_KEYS)):
        return "other"
    return ""


def _is_stopper(word: str, digits: int) -> bool:
    """A word of a number run that is a date, an address or a decimal, never part of a phone number."""
    if digits > MAX_PHONE_DIGITS or _DATE_WORD.fullmatch(word) or _IP_WORD.fullmatch(word):
        return True
    if "." in word and not _DOTTED_PHONE_WORD.fullmatch(word.lstrip("+")):
        return True
    return word.isdigit() and len(word) in (8, 12, 14) and _COMPACT_DATE.fullmatch(word) is not None


def _is_phone(number: str, digits: int, label: str, after: str) -> bool:
    if label == "other" or digits > MAX_PHONE_DIGITS:
        return False
    bare = "".join(ch for ch in number if ch.isdigit())
    if bare.startswith("000"):  # padded ids and PDU bytes; no phone number starts so
        return False
    # a clock time (08:15) or an address with a port; a masked digit counts, so masking twice changes nothing
    if after[:1] == ":" and (after[1:2].isdigit() or after[1:2] == MASK):
        return False
    if _UNIT_AFTER.match(after):
        return False
    if label == "phone":
        return digits >= MIN_LABELLED_DIGITS
    first, second = after[:1], after[1:2]
    glued = (first.isascii() and first.isalnum()) or first in ("_", MASK)
    if glued or (first in ("-", ".") and ((second.isascii() and second.isalnum()) or second == MASK)):
        return False  # part of an identifier (`6591234567abc`, `12345678-5F60-…`)
    if number.startswith("+"):
        return digits >= MIN_LABELLED_DIGITS
    if digits < MIN_BARE_DIGITS:
        return False
    # epoch seconds (10 digits) and milliseconds (13 digits) of this century start with 1
    return not (number == bare and digits in (10, 13) and bare.startswith("1"))


def _mask_number_run(match: re.Match[str]) -> str:
    """Mask the phone numbers in one run of digit groups (see the module docstring for the rules)."""
    run = match.group(0)
    if len(run) < MIN_LABELLED_DIGITS:  # most runs: too few digits to be a phone number by any rule
        return run
    text = match.string
    start, end = match.span()
    words = run.split(" ")
    counts = [sum(ch.isdigit() for ch in word) for word in words]
    after = text[end : end + 12]
    # the seconds of a clock time (`08:15:02 …`) start a run but are not part of a number
    after_time = (
        start >= 2 and text[start - 1] == ":" and (text[start - 2].isdigit() or text[start - 2] == MASK)
    )
    # a byte dump (`00 00 00 2f 00 00 00 04 …`) is many one- or two-digit groups: none of them is a number
    dump = sum(count <= 2 for count in counts) > MAX_PAIRS
    out: list[str] = []
    i = 0
    while i < len(words):
        word, digits = words[i], counts[i]
        if _is_stopper(word, digits) or (i == 0 and after_time) or (dump and digits <= 2):
            out.append(word)
            i += 1
            continue
        # join the groups of one written number: while it is still short, with groups of 2 or more digits
        j = i + 1
        while (
            j < len(words)
            and digits < MIN_BARE_DIGITS
            and counts[j] >= 2
            and not (dump and counts[j] <= 2)
            and digits + counts[j] <= MAX_PHONE_DIGITS
            and not _is_stopper(words[j], counts[j])
        ):
            digits += counts[j]
            j += 1
        number = " ".join(words[i:j])
        label = _label_kind(text, start) if i == 0 and digits >= MIN_LABELLED_DIGITS else ""
        tail = after if j == len(words) else " "
        out.append(_mask_digits(number) if _is_phone(number, digits, label, tail) else number)
        i = j
    return " ".join(out)


# --- secrets ------------------------------------------------------------------------------------------------
def _is_identifier(token: str) -> bool:
    """Whether `token` reads as words (camel case, snake case, a path), not as random characters."""
    for piece in _PIECE.findall(token):
        if piece[0].isdigit():
            continue
        if piece.isupper():
            if len(piece) < 2:
                return False
        elif len(piece) < 3 and piece.lower() not in _SHORT_WORDS:
            return False
    return True


def _hide_token(match: re.Match[str]) -> str:
    token = match.group(0)
    core = token.rstrip("=")
    if (
        any(ch.isupper() for ch in core)
        and any(ch.islower() for ch in core)
        and any(ch.isdigit() for ch in core)
        and not _HEX_ONLY.fullmatch(core)
        and not _is_identifier(core)
    ):
        return HIDDEN
    return token


def _key_before(text: str, end: int) -> str:
    """The identifier that ends at `end` (up to 40 characters of it)."""
    start = end
    while start > max(0, end - 40) and (text[start - 1].isalnum() or text[start - 1] in "_.-"):
        start -= 1
    return text[start:end]


def _replace_values(pattern: re.Pattern[str], text: str, hide: Callable[[re.Match[str]], str | None]) -> str:
    """`pattern.sub(hide, text)`, except that a match `hide` declines (None) is searched again from its value.

    The value is the pattern's last group; a declined value may itself be a key (`password password x1`),
    so it gets its own turn, and masking twice changes nothing. Each search starts further on: linear.
    """
    out: list[str] = []
    pos = 0
    while (match := pattern.search(text, pos)) is not None:
        replacement = hide(match)
        if replacement is None:
            resume = match.start(pattern.groups)
            out.append(text[pos:resume])
            pos = resume
        else:
            out.append(text[pos : match.start()])
            out.append(replacement)
            pos = match.end()
    out.append(text[pos:])
    return "".join(out)


def _hide_secret_value(match: re.Match[str]) -> str | None:
    key, separator, value = match.group(1), match.group(2), match.group(3)
    if _ERROR_NAME.match(_key_before(match.string, match.end(1))):
        return None
    if separator.strip(" \t\"'") in ("", "is", "was"):  # `password hunter2`: only a value that looks like one
        core = value.rstrip(".!?:")
        if (
            key.lower() in _SHORT_SECRET_KEYS
            or not any(ch.isdigit() for ch in core)
            or not any(ch.isalpha() for ch in core)
            or "_" in core
            or "." in core
            or _HEX_WORD.fullmatch(core)
        ):
            return None
        return key + separator + HIDDEN + value[len(core) :]
    return key + separator + HIDDEN


def _hide_after_key_id(match: re.Match[str]) -> str | None:
    value = match.group(2)
    if any(ch.isdigit() for ch in value) and any(ch.isalpha() for ch in value):
        return match.group(1) + HIDDEN
    return None


def _keep_key_hide_value(match: re.Match[str]) -> str:
    return match.group(1) + HIDDEN


def _hide_bearer(match: re.Match[str]) -> str | None:
    if any(ch.isdigit() for ch in match.group(2)):
        return match.group(1) + HIDDEN
    return None


def _hide_slack_token(match: re.Match[str]) -> str:
    return f"{match.group(1)}-{HIDDEN}"


def _hide_key_id(match: re.Match[str]) -> str:
    return (match.group(1) or match.group(2) or match.group(3)) + HIDDEN


def _hide_email(match: re.Match[str]) -> str:
    return f"{MASK * 3}@{match.group(1)}"


def _mask_phone(match: re.Match[str]) -> str:
    return _mask_digits(match.group(0))


_SECRET_WORDS = (
    "secret",
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "token",
    "apikey",
    "api_key",
    "credential",
    "signature",
    "sk",
    "pass",
    "pw",
)
_KEY_ID_WORDS = ("ltai", "sts.", "akia", "asia")


def mask_sensitive(text: str) -> str:
    """`text` with phone numbers, AccessKey ids, secrets, e-mail addresses and Slack tokens masked.

    Each pattern runs only when a cheap substring test says it could match: most snippets hold none.
    """
    if not text:
        return text
    low = text.lower()
    if "xox" in low or "xapp" in low:
        text = _SLACK_TOKEN.sub(_hide_slack_token, text)
    if "hooks.slack" in low:
        text = _SLACK_WEBHOOK.sub(_keep_key_hide_value, text)
    if "authorization" in low:
        text = _AUTHORIZATION.sub(_keep_key_hide_value, text)
    if "bearer" in low or "basic" in low:
        text = _replace_values(_BEARER, text, _hide_bearer)
    if "eyJ" in text:
        text = _JWT.sub(HIDDEN, text)
    if any(word in low for word in _SECRET_WORDS):
        text = _replace_values(_SECRET, text, _hide_secret_value)
    if any(word in low for word in _KEY_ID_WORDS):
        text = _ACCESS_KEY_ID.sub(_hide_key_id, text)
        if "****" in text:
            text = _replace_values(_AFTER_KEY_ID, text, _hide_after_key_id)
    if "@" in text:
        text = _EMAIL.sub(_hide_email, text)
    if _MIN_TOKEN.search(text):
        text = _TOKEN.sub(_hide_token, text)
    text = _NUMBER_RUN.sub(_mask_number_run, text)
    if "%" in text:
        text = _ESCAPED_NUMBER_RUN.sub(_mask_number_run, text)
    if _ELEVEN_DIGITS.search(text):
        text = _CN_MOBILE.sub(_mask_phone, text)
    return text
