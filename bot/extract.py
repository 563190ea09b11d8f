"""Extraction: find code-like candidates in normalised text, each with where and in what context it was seen.

This module knows the *shapes* of pastes, not the catalogue. It reports:

- every word-like token (`isv.SMS_CONTENT_ILLEGAL`, `QPS_LIMIT_CONTROL`, `expired`, `0x0000000B`), with the
  context it sits in: the value of a code-named key (JSON at any depth, Python/PHP/Java/JS dumps, `key=value`
  and `key: value` logs), an SDK exception (`…Exception: X`, `Error: X`, a code glued to `Error`), an enum
  prefix (`CommandStatus.ESME_…`), an SMPP receipt state (`stat:X`, a state word in a receipt line), or
  free text;
- SMPP `command_status` numbers, read only where a status is meant: a status-named key (`command_status: 13`,
  `command_status 0x58`), `Status (1032)`, python-smpplib's `(11) submit_sm_resp`, a hex value whose nearest
  preceding word names a status (`Negative response 0000000b`, `NACK/0x00000045`). In a status context
  exactly 8 hex digits are hex with or without `0x` (`command_status=00000058` is 0x58, as SMPP logs print
  it); shorter runs of digits are decimal (`command_status 13`). Command ids, sequence
  numbers, pointers, line numbers, lengths (`string(26)`), `Permits:N`, HTTP statuses, `err:000` and receipt
  `Status":"2"` are therefore never candidates;
- values of message-named keys (`Message`, `msg`, `sub_msg`, `ErrorDescription`, …), so a known message text
  can be recognised;
- facts that explain a code: a flow-control window and its cap (`触发小时级流控Permits:5`), a receipt's
  `err:` value.

Tokens glued to the percent-escapes of a URL-encoded string (a SignatureDoesNotMatch string-to-sign) are
skipped: nothing in a string-to-sign is an error code.

Values with the high bit set (0x80000000 and up) are SMPP command ids (`submit_sm_resp` is 0x80000004), never
statuses. A status number is only *read* here; whether the text is about SMPP at all is a separate question
(`Extraction.smpp_near`: `command_status`, `*_sm` / `*_sm_resp`, `NACK`, jsmpp's "Negative response",
`ESME_…`, `smpp`, `PDU`, `bind_…`, `SMSC` on the line or within `SMPP_NEAR_LINES`), which the matcher asks
before it trusts a status number it was not asked about.

Chinese carrier status-report codes (`MK:0001`, `MA:0054`, `ID:0076`; reference E.6) are read as one
token, so they can be reported as codes the catalogue does not know instead of as a word and a number.

Everything is one left-to-right pass of bounded regular expressions over the text (no JSON parser, so no
recursion and no depth limit), and work is capped (`MAX_CANDIDATES`). Snippets are cut to `SNIPPET_CHARS`
around the candidate and masked with `bot.redact.mask_sensitive`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from bot.redact import mask_sensitive

SNIPPET_CHARS = 120
SMPP_NEAR_LINES = 3  # an SMPP word this close to a status number says the number is an SMPP status
COMMAND_ID_BIT = 0x80000000  # set in every response command id; no command_status has it
QUESTION_CHARS = 120  # "Alibaba SMPP error code 48": a one-line question this short may ask about a number
# Token candidates kept from one input: one per 10 characters of normalize's 1,000,000-character bound, so a
# log with a code or two on every line is read to its end.
MAX_CANDIDATES = 100_000
MAX_TOKEN_CHARS = 120  # no code is longer; longer runs are base64, hashes or minified junk


class Context(StrEnum):
    """Where a candidate was seen, strongest evidence of "this is a code" first."""

    KEY = "key"  # the value of a code-named key: "Code": "…", code=…, ErrorCode: …, sub_code
    FIELD = "field"  # the value of a generic field (status, state, error): a code there must look like one
    RECEIPT = "receipt"  # an SMPP receipt state: stat:X, [status:X] or a state word in a receipt line
    EXCEPTION = "exception"  # an SDK exception: ClientException: X, Error: X, XError (code glued to Error)
    ENUM = "enum"  # an enum-prefixed name: CommandStatus.ESME_RINVDSTADR
    STATUS = "status"  # an SMPP command_status number read in a status context
    NUMBER = "number"  # the whole input is one bare number (someone asked "what is 88?")
    MESSAGE = "message"  # the value of a message-named key: Message, msg, sub_msg, ErrorDescription
    TOKEN = "token"  # a word in free text  # noqa: S105 (not a password)

    @property
    def strong(self) -> bool:
        """A context in which even an ordinary word (`OK`, `expired`) is meant as a code."""
        return self in _STRONG


_STRONG = frozenset({Context.KEY, Context.RECEIPT, Context.EXCEPTION, Context.ENUM, Context.STATUS})


@dataclass(slots=True)  # not frozen: a frozen dataclass costs a __setattr__ per field, per token
class Candidate:
    """One thing that may be a code, with where it was seen."""

    text: str  # as written (a token, a message value, or a number's spelling)
    context: Context
    line: int  # 1-based
    start: int  # offset in the normalised text
    end: int
    source: str = field(repr=False, compare=False)  # the whole normalised text (shared, not copied)
    key: str = ""  # the key name for KEY / MESSAGE / EXCEPTION contexts, folded (errorcode, message, …)
    folded: str = ""  # fold_code(text) for tokens, computed once
    in_url: bool = False  # inside a URL (a troubleshoot link's q=Code repeats the code beside it)
    number: int | None = None  # STATUS / NUMBER: the value
    radix: int = 10  # STATUS / NUMBER: how it was written (10 or 16)

    @property
    def snippet(self) -> str:
        """The candidate's line, cut to about `SNIPPET_CHARS` around it, with private data masked."""
        return make_snippet(self.source, self.start, self.end)


@dataclass(frozen=True, slots=True)
class Fact:
    """Something read beside a code that helps explain it."""

    kind: str  # "flow" (a flow-control window and cap) or "receipt_err" (a receipt's err: value)
    line: int
    window: str = ""  # flow: minute, hour or day
    value: int = 0  # flow: the cap (Permits:N); receipt_err: the err value
    text: str = ""  # as written


@dataclass
class Extraction:
    """Everything read from one normalised text."""

    text: str
    candidates: list[Candidate]
    facts: list[Fact]
    keys_by_line: dict[int, set[str]]  # folded key names seen on each line (for family hints)
    cjk_lines: list[int]  # lines holding CJK text (where Chinese messages may be)
    capped: bool = False  # more candidates than MAX_CANDIDATES: the rest were not read
    _line_starts: list[int] | None = field(default=None, repr=False)
    _smpp_marks: dict[int, bool] = field(default_factory=dict, repr=False)

    def smpp_near(self, line: int) -> bool:
        """Whether an SMPP word (`submit_sm_resp`, `command_status`, `NACK`, `ESME_…`, `PDU`, `SMSC`, …)
        is on `line` or within `SMPP_NEAR_LINES` of it.

        Each line is searched at most once, and only lines near a status number are, so the cost stays
        linear and is nothing for a text without status numbers.
        """
        if self._line_starts is None:
            self._line_starts = [0, *itertools.accumulate(len(piece) + 1 for piece in self.text.split("\n"))]
        starts = self._line_starts
        last = len(starts) - 1  # starts[n] is where line n + 1 begins; the final entry is past the end
        for near in range(max(1, line - SMPP_NEAR_LINES), min(last, line + SMPP_NEAR_LINES) + 1):
            marked = self._smpp_marks.get(near)
            if marked is None:
                marked = _SMPP_MARK.search(self.text, starts[near - 1], starts[near] - 1) is not None
                self._smpp_marks[near] = marked
            if marked:
                return True
        return False


# --- keys -------------------------------------------------------------------------------------------
# A key, then a separator, then the value's first character. Handles JSON ("Code":"X"), Python and JS
# dumps ('Code': 'X', Code: 'X'), PHP var_dump (["Code"]=> string(26) "X", even across a line break),
# print_r ([Code] => X), Laravel dumps (+"sub_code": "X"), Java toString (Code=X), logs (code=X, Code: X).
# The key may be dotted (com.aliyuncs.exceptions.ClientException:); its last part is what counts.
_KV = re.compile(
    r"(?<![\w.])(?P<key>[A-Za-z_][\w.]{0,80}+)[\"'\]]{0,2}[ \t]*"
    r"(?:=>\s{0,40}|[:=][ \t]{0,20})"
    r"(?:(?:string|int|float|bool)\(\d{1,9}\)[ \t]{0,5})?"
    r"(?P<quote>[\"']?)"
    r"(?=[^\s\"',;}\]])"
)


_SEPARATORS = str.maketrans("", "", "_ -'\t")


def fold_code(text: str) -> str:
    """The key a code is compared by: case-folded, without `_`, spaces, `-` and `'` (dots are kept)."""
    return text.casefold().translate(_SEPARATORS)


def fold_key(key: str) -> str:
    """A key name compared without case and separators: ResponseCode, response_code → responsecode."""
    last = key.rsplit(".", 1)[-1]
    return last.casefold().replace("_", "").replace("-", "")


# Keys whose value is an error or status code.
CODE_KEYS = frozenset(
    {
        "code",
        "errorcode",
        "errcode",
        "responsecode",
        "resultcode",
        "returncode",
        "retcode",
        "subcode",
        "suberrorcode",
        "stat",
        "dlrstatus",
        "deliverystatus",
        "reportstatus",
        "smsstatus",
        "messagestate",
        "errorname",
        "faultcode",
    }
)
# Generic fields: `"status": "ok"` in any API's body is not an SMS code, but `status=DELIVERED_TO_HANDSET` is.
FIELD_KEYS = frozenset({"status", "state", "error", "result"})
# Keys whose numeric value is an SMPP command_status (anywhere else a bare number is not a status).
STATUS_NUMBER_KEYS = frozenset({"commandstatus", "cmdstatus", "smppstatus", "esmestatus", "pdustatus"})
# Keys whose value is a human message that may be a known message text.
MESSAGE_KEYS = frozenset(
    {
        "message",
        "msg",
        "submsg",
        "errmsg",
        "errormsg",
        "errormessage",
        "errordescription",
        "responsedescription",
        "description",
        "desc",
        "detail",
        "details",
    }
)
RECEIPT_KEYS = frozenset({"stat", "dlrstatus"})


def _key_context(folded: str) -> Context | None:
    if folded in RECEIPT_KEYS:
        return Context.RECEIPT
    if folded in CODE_KEYS:
        return Context.KEY
    if folded in FIELD_KEYS:
        return Context.FIELD
    if folded.endswith(("exception", "error")) and folded not in MESSAGE_KEYS:
        return Context.EXCEPTION
    if folded in MESSAGE_KEYS:
        return Context.MESSAGE
    return None


# --- tokens -----------------------------------------------------------------------------------------
# Words joined by dots or hyphens (isv.SMS_X, InvalidAccessKeyId.NotFound, isv.permission-api-package-limit),
# starting with a letter or `_`; and hex numbers (0x0000000B, 0000000b). No code starts with a digit, so
# decimal runs (timestamps, ids, lengths) are skipped inside the regular expression, not in Python. The
# look-behind lets a token start only where a run starts, and no two ways of matching the same text exist:
# linear time even on a 100 KB word.
_RUN = r"[A-Za-z0-9_.\-]"
_TOKEN = re.compile(
    rf"(?<!{_RUN})(?:[A-Za-z_][A-Za-z0-9_]*(?:[.\-][A-Za-z0-9_]+)*"
    rf"|0[xX][0-9A-Fa-f]{{1,8}}(?!{_RUN})|[0-9A-Fa-f]{{8}}(?!{_RUN}))"
)
# SMPP logs print command_status as 8 hex digits without `0x` (`command_status=0000000b`, `00000058`); in a
# status context such a run is hex, tried before a decimal run so `00000058` is 0x58, not 58. It must hold a
# digit, so a word such as `deadface` is not a number. Shorter runs of digits are decimal (`Status (1032)`).
_HEX8 = r"(?=[A-Fa-f]*[0-9])[0-9A-Fa-f]{8}"
_HEX8_RUN = re.compile(_HEX8)
_NUMBER_AT = re.compile(rf"(0[xX][0-9A-Fa-f]{{1,8}}|{_HEX8}(?![A-Za-z0-9_])|\d{{1,10}})(?![A-Za-z0-9_])")
_HEXISH = re.compile(r"[0-9A-Fa-f\-]+")
_HEX_STATUS = re.compile(r"0[xX]([0-9A-Fa-f]{1,8})|([0-9A-Fa-f]{8})")

# The nearest word before a number, within a short window on the same line.
_PREV_WORD = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)[^A-Za-z\n]{0,24}$")
# Words that, just before a hex value, say it is a status ("Negative response 0000000b", "NACK/0x45").
STATUS_WORDS = frozenset(
    {
        "status",
        "commandstatus",
        "cmdstatus",
        "smppstatus",
        "response",
        "resp",
        "nack",
        "error",
        "errorcode",
        "err",
        "code",
        "esme",
        "result",
        "failed",
        "failure",
    }
)
# Words that, just before a number, say it is something else (a command id, a sequence number, a pointer).
NOT_STATUS_WORDS = frozenset(
    {
        "commandid",
        "cmdid",
        "id",
        "sequence",
        "sequencenumber",
        "seq",
        "seqno",
        "seqnum",
        "pdu",
        "address",
        "addr",
        "length",
        "len",
        "commandlength",
        "ptr",
        "pointer",
        "msgid",
        "messageid",
        "at",
        "line",
    }
)
# Decimal statuses in the forms libraries print: "command_status 13", "command_status=0x58" (also covered by
# keys, but here without a separator), "Status (1032)", python-smpplib "(11) submit_sm_resp: …".
_HEX8_LOWER = rb"(?=[a-f]*[0-9])[0-9a-f]{8}\b"  # `_HEX8` in the ASCII-lowered bytes
_STATUS_AFTER = re.compile(rb"[ \t]*(?:[:=][ \t]*)?(0x[0-9a-f]{1,8}|" + _HEX8_LOWER + rb"|\d{1,10})\b")
_STATUS_PAREN = re.compile(rb"[ \t]*\([ \t]*(0x[0-9a-f]{1,8}|" + _HEX8_LOWER + rb"|\d{1,10})[ \t]*\)")
_RESP_BEFORE = re.compile(rb"\([ \t]*(\d{1,10})[ \t]*\)[ \t]*[a-z_]{0,30}$")  # before _resp
_COMMAND_BEFORE = re.compile(rb"(?<![a-z0-9_])(?:command|cmd)[_ ]?$")  # before status

# Flow control: `触发小时级流控Permits:5`, "hour-level flow control Permits:5".
_PERMITS = re.compile(r"(?i)permits[ \t]*[:=][ \t]*(\d{1,9})")
_WINDOW = re.compile(r"(?i)(秒|分钟|小时|天|日|second|minute|hour|day)")
_WINDOW_NAME = {
    "秒": "second",
    "分钟": "minute",
    "小时": "hour",
    "天": "day",
    "日": "day",
    "second": "second",
    "minute": "minute",
    "hour": "hour",
    "day": "day",
}

# A line that is an SMPP delivery receipt (Appendix B text, a Jasmin/Kannel DLR log line).
_RECEIPT_ERR = re.compile(r"(?<![A-Za-z])[Ee][Rr][Rr]:[ \t]*(\d{1,6})\b")
_RECEIPT_TEXT = re.compile(r"(?i)\btext:")

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_URL = re.compile(r"(?i)(?<![A-Za-z])(?:https?|ftp)://[^\s\"'<>)\]}]{1,4000}")
_LINE_END = re.compile(r"\n")

# Words that only SMPP text contains. Each alternative is anchored at the start of a word and bounded, so
# one pass over the text is linear. `smsc` must end there: "smscode" (this bot's name) is not an SMSC.
_SMPP_MARK = re.compile(
    r"(?i)(?<![a-z0-9])(?:"
    r"j?smpp|smpplib|esme(?:_\w{1,30})?(?![a-z])|smsc(?![a-z])|pdu(?:s|error|exception)?(?![a-z])"
    r"|command_?status|cmd_?status|(?:generic_)?nack(?![a-z])|negative ?response"
    r"|(?:un)?bind_(?:transmitter|receiver|transceiver)|bind ?fail|enquire_link|kannel|jasmin(?![a-z])"
    r"|[a-z]{2,12}_(?:sm|multi)(?:_resp)?(?![a-z])"
    r")"
)
# A Chinese carrier's status-report code: two capital letters (or SMGPERR), a colon and 3-4 digits.
_CARRIER = re.compile(r"(?:[A-Z]{2}|SMGPERR):\d{3,4}")
# Found from their colon (a literal, so the search runs at C speed), then checked backwards in Python.
_CARRIER_TAIL = re.compile(r":\d{3,4}(?![0-9A-Za-z])")
_CARRIER_HEADS = ("SMGPERR", "")  # the long head first; "" stands for two capital letters
_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
# "error code 48", "Alibaba SMPP error code 48?", "status: 13": a short question ending on one number
_QUESTION_NUMBER = re.compile(
    r"(?i)(?<![a-z0-9_])(?:code|error|errcode|errorcode|status)[ \t]*[:=#]?[ \t]*"
    r"(\d{1,10})[ \t]*[?.!]*[ \t]*$"
)


def is_carrier_status(text: str) -> bool:
    """A Chinese carrier (CMPP/SMGP) status-report code such as `MK:0001`, `ID:0076` (reference E.6)."""
    return _CARRIER.fullmatch(text) is not None


def make_snippet(text: str, start: int, end: int) -> str:
    """The line around `text[start:end]`, at most about `SNIPPET_CHARS` long, masked."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    if line_end < 0:
        line_end = len(text)
    if line_end - line_start <= SNIPPET_CHARS:
        piece = text[line_start:line_end].strip()
        return mask_sensitive(piece)
    width = max(SNIPPET_CHARS - (end - start), 20)
    left = max(line_start, start - width // 2)
    right = min(line_end, max(end, left + SNIPPET_CHARS))
    left = max(line_start, min(left, right - SNIPPET_CHARS))
    # snap to spaces so a phone number or key is not cut in half (a half would escape the mask)
    space = text.find(" ", left, start)
    if 0 <= space - left <= 15:
        left = space + 1
    space = text.rfind(" ", end, right)
    if space >= 0 and right - space <= 15:
        right = space
    piece = text[left:right].strip()
    prefix = "…" if left > line_start else ""
    suffix = "…" if right < line_end else ""
    return prefix + mask_sensitive(piece) + suffix


def lookup_forms(text: str) -> list[tuple[str, Context | None]]:
    """Spellings to look up for one token, the token itself first.

    A code glued to `Error`/`Exception` (Node SDK error names: `isv.SMS_CONTENT_ILLEGALError`) and the tail of
    an enum or class path (`CommandStatus.ESME_RINVDSTADR`, `MessageState.EXPIRED`) are tried next; the
    context they imply comes with them. `isv.` and `isp.` are never dropped: domestic codes must not turn
    into international ones.
    """
    forms: list[tuple[str, Context | None]] = [(text, None)]
    for suffix in ("Exception", "Error"):
        if text.endswith(suffix) and len(text) > len(suffix) + 2:
            forms.append((text[: -len(suffix)], Context.EXCEPTION))
            break
    if "." in text:
        parts = text.split(".")
        for i in range(1, min(len(parts), 5)):
            dropped = parts[i - 1]
            if dropped.casefold() in ("isv", "isp"):
                break
            tail = ".".join(parts[i:])
            if _enum_tail(dropped, tail):
                forms.append((tail, Context.ENUM))
    return forms


_ENUM_OWNER = re.compile(r"(?i)(status|state|code|codes|error|errors|exception|result|enum|type|kind)$")


def _enum_tail(owner: str, tail: str) -> bool:
    """Whether `owner.tail` reads as an enum member (so `tail` alone is the code)."""
    if _ENUM_OWNER.search(owner):
        return True
    # ALL_CAPS members of any class or package: com.example.Codes.QPS_LIMIT_CONTROL
    return tail.isupper() and (len(tail) >= 5 or "_" in tail)


def is_code_shaped(text: str) -> bool:
    """Looks like an identifier rather than a word: has `_` or `.`, or is CamelCase with two humps.

    Ordinary words (`OK`, `expired`, `DELIVERED`, `Forbidden`) are not code-shaped; they count as codes only
    in a strong context.
    """
    if "_" in text or "." in text:
        return True
    return text[:1].isupper() and _CAMEL_HUMP.search(text) is not None


def is_fuzzy_worthy(text: str) -> bool:
    """Worth a fuzzy look-up when nothing matched exactly: code-shaped, or a long all-capitals word."""
    return is_code_shaped(text) or (len(text) >= 5 and text.isalpha() and text.isupper())


_CAMEL_HUMP = re.compile(r"[a-z][A-Z]")


class _Lines:
    """Turns increasing offsets into 1-based line numbers in linear total time."""

    __slots__ = ("_line", "_pos", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0
        self._line = 1

    def at(self, offset: int) -> int:
        if offset < self._pos:  # out of order (rare): count from the start
            self._pos, self._line = 0, 1
        self._line += self._text.count("\n", self._pos, offset)
        self._pos = offset
        return self._line


def _line_bounds(text: str, start: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    return line_start, (len(text) if line_end < 0 else line_end)


def _message_value(text: str, start: int, quote: str) -> tuple[str, int]:
    """The value of a message key at `start`: up to the closing quote, or to the end of the clause."""
    limit = min(len(text), start + 500)
    if quote:
        close = text.find(quote, start, limit)
        end = close if close >= 0 else limit
        newline = text.find("\n", start, end)
        if newline >= 0:
            end = newline
        return text[start:end], end
    end = limit
    for stop in ("\n", ",", ";", "}", "]", "  "):
        pos = text.find(stop, start, end)
        if pos >= 0:
            end = pos
    value = text[start:end]
    # "Message: Specified access key is not found. RequestId: …": stop at the next key
    nxt = re.search(r"\s[A-Za-z_][\w.]{0,40}[:=]", value)
    if nxt:
        value = value[: nxt.start()]
        end = start + nxt.start()
    return value, end


def _hex_or_dec(spelling: str) -> tuple[int, int] | None:
    """A status number's value and radix: `0x…` and exactly 8 hex digits (`_HEX8`) are hex, else decimal."""
    s = spelling.strip()
    try:
        if s[:2].lower() == "0x":
            return int(s[2:], 16), 16
        if len(s) == 8 and _HEX8_RUN.fullmatch(s):
            return int(s, 16), 16
        return int(s, 10), 10
    except ValueError:
        return None


def _prev_word(text: str, start: int) -> str:
    window = text[max(0, start - 48) : start]
    found = _PREV_WORD.search(window)
    return fold_key(found.group(1)) if found else ""


def _carrier_spans(text: str) -> dict[int, int]:
    """Where carrier status-report codes (`MK:0001`, `SMGPERR:1234`) start, and where they end."""
    spans: dict[int, int] = {}
    for tail in _CARRIER_TAIL.finditer(text):
        colon = tail.start()
        for head in _CARRIER_HEADS:
            start = colon - (len(head) or 2)
            word = text[max(start, 0) : colon]
            if start < 0 or not (word == head if head else (word.isupper() and word.isalpha())):
                continue
            if start == 0 or text[start - 1] not in _WORD_CHARS:
                spans[start] = tail.end()
            break
    return spans


def _carrier_context(text: str, start: int, key: str, ctx: Context | None) -> tuple[str, Context | None]:
    """A carrier status-report code (`MK:0001`) is in a code context after a word that names a code
    (`err_code MK:0001`), as after a key."""
    if ctx is None and _is_code_word(_prev_word(text, start)):
        return "errcode", Context.KEY
    return key, ctx


def _is_code_word(word: str) -> bool:
    """A key-like word that names a code ("err_code MK:0001", "stat MK:0001")."""
    return word in CODE_KEYS or word in ("status", "error", "err")


def _asked_number(out: Extraction, whole: str) -> Candidate | None:
    """The one number a short one-line question asks about ("48", "Alibaba SMPP error code 48?"), if any."""
    text = out.text
    if whole.isdigit() and len(whole) <= 10:
        start = text.index(whole)
        end = start + len(whole)
    else:
        found = None if len(whole) > QUESTION_CHARS or "\n" in whole else _QUESTION_NUMBER.search(text)
        if found is None:
            return None
        start, end = found.span(1)
    if end - start == 8 and not whole.isdigit():
        return None  # "status 00000058": 8 digits after a status word are hex, read with the other tokens
    value = int(text[start:end])
    if value >= COMMAND_ID_BIT or any(c.start == start for c in out.candidates):
        return None  # a command id, or already read as a status ("status (13)")
    line = text.count("\n", 0, start) + 1
    return Candidate(text[start:end], Context.NUMBER, line, start, end, text, number=value)


def _is_status_word(word: str) -> bool:
    return word in STATUS_WORDS or word.endswith(("status", "resp"))


def extract(
    text: str,
    *,
    vocabulary: Container[str] | None = None,
    keep_unknown: Callable[[str], object] = is_fuzzy_worthy,
    limit: int = MAX_CANDIDATES,
) -> Extraction:
    """Read every candidate and fact from normalised `text` (see the module docstring).

    With a `vocabulary` (folded strings the caller can match), a free-text word is kept only when it is in
    it or `keep_unknown(word)` says so (by default: it looks like a code worth a fuzzy look-up). This keeps
    a long paste cheap. Words in a code context are always kept.
    """
    out = Extraction(text=text, candidates=[], facts=[], keys_by_line={}, cjk_lines=[])
    # ASCII-lowered bytes, one byte per character, so that literal pre-checks run at C speed
    lowered = text.encode("ascii", "replace").lower()
    value_key = _read_keys(out)
    receipts = _read_receipts(out, lowered)
    if b"status" in lowered or b"_resp" in lowered:
        _read_status_numbers(out, lowered)
    if b"permits" in lowered:
        _read_flow_control(out)
    _read_tokens(out, value_key, receipts, vocabulary=vocabulary, keep_unknown=keep_unknown, limit=limit)
    out.candidates.sort(key=_by_position)
    out.cjk_lines = sorted(set(_cjk_lines(text)))
    return out


def has_other_forms(text: str) -> bool:
    """Whether `lookup_forms` could find more than the token itself (a glued suffix or an enum prefix)."""
    return "." in text or text.endswith(("Error", "Exception"))


def _read_keys(out: Extraction) -> dict[int, tuple[str, Context | None]]:
    """Every `key: value` pair: where each value starts and under which key; message values as candidates."""
    text = out.text
    lines = _Lines(text)
    value_key: dict[int, tuple[str, Context | None]] = {}
    known: dict[str, tuple[str, Context | None]] = {}  # the same few keys repeat all through a paste
    for m in _KV.finditer(text):
        raw = m.group("key")
        folded_ctx = known.get(raw)
        if folded_ctx is None:
            folded = fold_key(raw)
            folded_ctx = known[raw] = (
                folded,
                Context.STATUS if folded in STATUS_NUMBER_KEYS else _key_context(folded),
            )
        folded, ctx = folded_ctx
        line = lines.at(m.start())
        seen = out.keys_by_line.setdefault(line, set())
        if len(seen) < 64:
            seen.add(folded)
        value_key[m.end()] = folded_ctx
        if ctx is Context.STATUS:
            number = _NUMBER_AT.match(text, m.end())
            parsed = _hex_or_dec(number.group(1)) if number else None
            if number and parsed and parsed[0] < COMMAND_ID_BIT:
                out.candidates.append(
                    Candidate(
                        number.group(1),
                        Context.STATUS,
                        line,
                        number.start(),
                        number.end(),
                        text,
                        key=folded,
                        number=parsed[0],
                        radix=parsed[1],
                    )
                )
        elif ctx is Context.MESSAGE:
            value, end = _message_value(text, m.end(), m.group("quote"))
            if value.strip():
                out.candidates.append(
                    Candidate(value.strip(), Context.MESSAGE, line, m.end(), end, text, key=folded)
                )
    return value_key


_RECEIPT_MARKS = (b"stat:", b"dlvrd:", b"done date:", b"submit date:", b"deliver_sm", b"dlr")


def _read_receipts(out: Extraction, lowered: bytes) -> list[tuple[int, int]]:
    """Spans of SMPP receipt lines up to their `text:` field (state words there count without `stat:`)."""
    text = out.text
    starts: set[int] = set()
    for mark in _RECEIPT_MARKS:
        pos = lowered.find(mark)
        while pos >= 0:
            before = lowered[pos - 1 : pos] if pos else b" "
            after = lowered[pos + len(mark) : pos + len(mark) + 1]
            if before.isalnum() or (mark == b"dlr" and after.isalnum()):
                pos = lowered.find(mark, pos + 1)
                continue
            starts.add(text.rfind("\n", 0, pos) + 1)
            newline = lowered.find(b"\n", pos)  # one mark is enough for a line
            pos = lowered.find(mark, newline) if newline >= 0 else -1
    spans: list[tuple[int, int]] = []
    lines = _Lines(text)
    for line_start in sorted(starts):
        _, line_end = _line_bounds(text, line_start)
        text_field = _RECEIPT_TEXT.search(text, line_start, line_end)
        stop = text_field.start() if text_field else line_end
        spans.append((line_start, stop))
        err = _RECEIPT_ERR.search(text, line_start, stop)
        if err:
            line = lines.at(line_start)
            out.facts.append(Fact("receipt_err", line, value=int(err.group(1)), text=err.group(0)))
    return spans


def _read_status_numbers(out: Extraction, lowered: bytes) -> None:
    """command_status numbers in the forms libraries print, which key/value pairs alone do not cover.

    "command_status 13", "cmd_status=0x58", "Status (1032)", python-smpplib's "(11) submit_sm_resp". Found by
    searching the ASCII-lowered bytes for "status" and "_resp" (C speed), then reading around each hit.
    """
    text = out.text
    spans: list[tuple[int, int]] = []
    pos = lowered.find(b"status")
    while pos >= 0:
        after = pos + len(b"status")
        if not _is_word_byte(lowered, after):
            if _COMMAND_BEFORE.search(lowered, max(0, pos - 9), pos):
                found = _STATUS_AFTER.match(lowered, after)
            else:
                found = None if _is_word_byte(lowered, pos - 1) else _STATUS_PAREN.match(lowered, after)
            if found:
                spans.append(found.span(1))
        pos = lowered.find(b"status", after)
    pos = lowered.find(b"_resp")
    while pos >= 0:
        end = pos + len(b"_resp")
        if not _is_word_byte(lowered, end):
            found = _RESP_BEFORE.search(lowered, max(0, pos - 50), pos)
            if found:
                spans.append(found.span(1))
        pos = lowered.find(b"_resp", end)
    lines = _Lines(text)
    for start, end in sorted(spans):
        spelling = text[start:end]
        parsed = _hex_or_dec(spelling)
        if parsed is None or parsed[0] >= COMMAND_ID_BIT:
            continue  # not a number, or a command id (submit_sm_resp is 0x80000004)
        out.candidates.append(
            Candidate(
                spelling,
                Context.STATUS,
                lines.at(start),
                start,
                end,
                text,
                key="commandstatus",
                number=parsed[0],
                radix=parsed[1],
            )
        )


def _is_word_byte(data: bytes, index: int) -> bool:
    if index < 0 or index >= len(data):
        return False
    byte = data[index]
    return byte == 0x5F or chr(byte).isalnum()


def _read_flow_control(out: Extraction) -> None:
    """`Permits:N` caps, with the window (minute, hour, day) named just before them."""
    text = out.text
    lines = _Lines(text)
    for m in _PERMITS.finditer(text):
        line_start, _ = _line_bounds(text, m.start())
        before = text[max(line_start, m.start() - 30) : m.start()]
        windows = _WINDOW.findall(before)
        window = _WINDOW_NAME[windows[-1].lower()] if windows else ""
        out.facts.append(
            Fact("flow", lines.at(m.start()), window=window, value=int(m.group(1)), text=m.group(0))
        )


def _read_number(text: str, tok: str, start: int, key: str) -> tuple[Context, int, int] | None:
    """A hex-looking or numeric token: a status (with its value and radix), or None when it is not one."""
    hx = _HEX_STATUS.fullmatch(tok)
    prefixed = tok[:2].lower() == "0x"
    if hx is None or not (prefixed or any(c.isdigit() for c in tok)):
        return None
    value = int(hx.group(1) or hx.group(2), 16)
    if value >= COMMAND_ID_BIT:
        return None  # a response's command id (deliver_sm_resp is 0x80000005), never a status
    word = key or _prev_word(text, start)
    if _is_status_word(word):
        return Context.STATUS, value, 16
    if prefixed and word not in NOT_STATUS_WORDS:
        # "0x00000058" with no status word: a plausible status, but only when someone asks
        return Context.NUMBER, value, 16
    return None


class _Spans:
    """Sorted, non-overlapping spans, asked about increasing offsets (linear in total)."""

    __slots__ = ("_i", "_spans")

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self._spans = spans
        self._i = 0

    def covers(self, pos: int) -> bool:
        spans, i = self._spans, self._i
        while i < len(spans) and spans[i][1] <= pos:
            i += 1
        self._i = i
        return i < len(spans) and spans[i][0] <= pos


def _read_tokens(
    out: Extraction,
    value_key: dict[int, tuple[str, Context | None]],
    receipts: list[tuple[int, int]],
    *,
    vocabulary: Container[str] | None,
    keep_unknown: Callable[[str], object],
    limit: int,
) -> None:
    """Every word-like token, classified by the context it sits in."""
    text = out.text
    lines = _Lines(text)
    whole = text.strip()
    in_receipt = _Spans(receipts)
    in_link = _Spans([m.span() for m in _URL.finditer(text)] if "://" in text else [])
    carriers = _carrier_spans(text) if ":" in text else {}
    append = out.candidates.append
    keyed_at = value_key.get
    asked = _asked_number(out, whole)
    if asked is not None:  # someone asked about one number: "48", "Alibaba SMPP error code 48?"
        append(asked)
    count = 0
    for m in _TOKEN.finditer(text):
        start, end = m.span()
        if end - start > MAX_TOKEN_CHARS or (start and text[start - 1] == "%"):
            continue  # too long to be a code, or glued to a percent-escape of a URL-encoded string
        tok = m.group()
        keyed = keyed_at(start)
        key, ctx = keyed if keyed is not None else ("", None)
        if carriers and start in carriers:  # MK:0001 is one token, not a word and a number
            end = carriers[start]
            tok = text[start:end]
            key, ctx = _carrier_context(text, start, key, ctx)
        number: int | None = None
        radix = 10
        if "0" <= tok[0] <= "9":
            if ctx is Context.STATUS:
                continue  # already read with its key
            read = _read_number(text, tok, start, key)
            if read is None:
                continue  # an id, a hash, a date, a pointer: not a status
            ctx, number, radix = read
        elif ctx is Context.STATUS:
            ctx = Context.KEY  # a name under a status key: command_status: ESME_ROK
        folded = tok.lower().replace("_", "").replace("-", "")  # fold_code, for an ASCII token
        if not folded:
            continue  # only separators ("___")
        if ctx is None or ctx is Context.MESSAGE or ctx is Context.FIELD:
            if tok.isupper() and tok.isalpha() and in_receipt.covers(start):
                ctx = Context.RECEIPT
            elif ctx is not Context.FIELD:
                if vocabulary is not None and folded not in vocabulary and not keep_unknown(tok):
                    continue
                ctx = Context.TOKEN
        append(
            Candidate(
                tok,
                ctx,
                lines.at(start),
                start,
                end,
                text,
                key=key,
                folded=folded,
                number=number,
                radix=radix,
                in_url=in_link.covers(start),
            )
        )
        count += 1
        if count >= limit:
            out.capped = True
            return


def _by_position(candidate: Candidate) -> int:
    return candidate.start


def _cjk_lines(text: str) -> Iterator[int]:
    lines = _Lines(text)
    pos = 0
    while True:
        m = _CJK.search(text, pos)
        if m is None:
            return
        line = lines.at(m.start())
        yield line
        nxt = text.find("\n", m.start())
        if nxt < 0:
            return
        pos = nxt + 1


def iter_lines(text: str) -> Iterator[tuple[int, int, int]]:
    """(1-based line, start offset, end offset) of every line of `text`."""
    start = 0
    line = 1
    for m in _LINE_END.finditer(text):
        yield line, start, m.start()
        start = m.end()
        line += 1
    yield line, start, len(text)
