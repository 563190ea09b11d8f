"""Text normalisation: turn what Slack or a terminal delivers into plain text the extractor can read.

Steps, in this order (each one's reason is beside it in the code):

1. cut a paste longer than `MAX_INPUT_CHARS` in the middle, at line ends, keeping its head and its tail (logs
   put the failing request last), and report how much was dropped, so every later step has bounded work;
2. unify line ends, drop zero-width / bidirectional / control characters (keep `\\n` and `\\t`);
3. strip Slack markup: `<@U…>`, `<#C…|name>`, `<!here>`, `<!subteam^…>`; links keep their address
   (`<url|label>` becomes `label (url)`: the address may carry the code, `?q=SignatureDoesNotMatch`);
4. decode Slack's three entities `&amp;` `&lt;` `&gt;` exactly once (after step 3, so a decoded
   `&lt;in 5m&gt;` is never mistaken for markup);
5. remove code fences and backticks;
6. undo the escapes that serialisers leave in pasted bodies (`\\"`, `\\u89e6`, `\\xe8\\xa7`, literal `\\n`);
7. Unicode NFKC (full-width letters, digits and colons become ASCII);
8. typographic quotes and apostrophes become ASCII ones.

Case is kept: the matcher folds case itself, and snippets should show what was pasted.
Every step is a single linear pass (`re.sub` with bounded patterns or `str.translate`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_INPUT_CHARS = 1_000_000  # a paste longer than this is cut in the middle; about 15,000 log lines
# A cut moves to the nearest line end within this many characters, so no half line is read as a token.
_CUT_SNAP = 4096

# --- step 2: invisible and control characters --------------------------------------------------
# \r\n and lone \r become \n; the other Unicode line separators too, so line numbers agree with what a
# reader sees. Vertical tab and form feed are whitespace that `str.splitlines` would count as line breaks.
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_TO_SPACE = re.compile(r"[\x0b\x0c]")
# Zero-width characters, bidirectional controls, BOM, soft hyphen, other C0/C1 controls and lone surrogates
# vanish: they hide inside codes (`QPS_\u200bLIMIT`) and cannot even be encoded when a surrogate is alone.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ud800-\udfff]"
)

# --- step 3: Slack markup ------------------------------------------------------------------------
# Slack's own parse rule is "find <(.*?)>"; we only take forms that start like markup (@, #, !, or a URL
# scheme) and never cross a line, so `a < b > c` in a pasted log survives.
_SLACK_MARKUP = re.compile(
    r"<(?P<body>(?:[@#!][^<>\n|]{0,200}|(?:https?|mailto|ftp|tel|slack):[^<>\s|]{0,2000})"
    r"(?:\|(?P<label>[^<>\n]{0,500}))?)>"
)

# --- step 4: Slack entities ------------------------------------------------------------------------
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITY_CHAR = {"amp": "&", "lt": "<", "gt": ">"}

# --- step 5: code fences and backticks -----------------------------------------------------------
# The word after an opening fence is dropped only when it is a language tag alone on its line, so
# "```SYSTEM_ERROR```" keeps its code.
_LANGS = (
    "json|js|javascript|ts|typescript|python|py|python3|pycon|php|java|kotlin|go|golang|text|txt|log|logs"
    "|bash|sh|shell|console|zsh|xml|yaml|yml|csharp|cs|c|cpp|ruby|rb|sql|plaintext|http|ini|toml|diff|rust"
)
_FENCE = re.compile(rf"```(?:(?:{_LANGS})[ \t]*(?=\n))?", re.IGNORECASE)
_BACKTICK = re.compile(r"`+")

# --- step 6: serialiser escapes --------------------------------------------------------------------
# `\xNN` runs are UTF-8 bytes from a Python bytes repr (b'\xe8\xa7\xa6...'); `\uXXXX` from JSON with
# ensure_ascii; `\"` from JSON nested in a string. Literal `\n` `\t` `\r` become a space, not a line
# break, so line numbers still match the paste.
_ESCAPE = re.compile(r"\\(?:x[0-9a-fA-F]{2}(?:\\x[0-9a-fA-F]{2}){0,399}|u[0-9a-fA-F]{4}|[nrt\"'/\\])")

# --- step 8: typographic quotes ------------------------------------------------------------------
_QUOTES = {
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark: what a phone types for an apostrophe
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",  # prime
    "\u02bc": "'",  # modifier letter apostrophe
    "\u00b4": "'",  # acute accent used as an apostrophe
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u300c": '"',  # CJK corner brackets are used as quotes in Chinese logs
    "\u300d": '"',
}
_TYPOGRAPHIC = re.compile("[" + "".join(_QUOTES) + "]")


@dataclass(frozen=True)
class Normalized:
    """Normalised text, and whether (and how much of) the input's middle was cut to fit `MAX_INPUT_CHARS`.

    After a cut, `text` is the normalised head followed by the normalised tail; the tail starts on line
    `tail_line` of `text`, which was line `tail_line + line_shift` of the input (`original_line` maps it).
    """

    text: str
    truncated: bool
    dropped_chars: int = 0  # characters of the input left out between the head and the tail
    tail_line: int = 0  # 1-based line of `text` where the kept tail starts; 0 when nothing was cut
    line_shift: int = 0  # added to a tail line's number gives the input's line (the dropped middle's lines)

    def original_line(self, line: int) -> int:
        """The input's line number for line `line` of `text` (lines of the kept tail move down)."""
        if self.tail_line and line >= self.tail_line:
            return line + self.line_shift
        return line


def _markup(match: re.Match[str]) -> str:
    body = match.group("body")
    label = match.group("label")
    head = body[:1]
    if head == "@":  # a user mention says nothing about codes
        return ""
    if head == "#":  # channel: keep its name when Slack gave one
        return f"#{label}" if label else ""
    if head == "!":  # <!here>, <!subteam^ID>, <!date^…|fallback>: keep only a fallback text
        return label if label and body.startswith("!date") else ""
    if not label:
        return body
    body = body.partition("|")[0]  # the body group holds the label too
    scheme, _, rest = body.partition(":")
    if scheme.lower() in ("mailto", "tel"):  # the label is the address itself, give or take formatting
        return label
    if label in (body, rest.lstrip("/")):  # Slack's own label for a pasted address: the address alone
        return body
    return f"{label} ({body})"


def _entity(match: re.Match[str]) -> str:
    return _ENTITY_CHAR[match.group(1)]


def _ascii_quote(match: re.Match[str]) -> str:
    return _QUOTES[match.group()]


def _unescape(match: re.Match[str]) -> str:
    raw = match.group(0)
    kind = raw[1]
    if kind == "x":
        data = bytes(int(raw[i + 2 : i + 4], 16) for i in range(0, len(raw), 4))
        return data.decode("utf-8", errors="replace")
    if kind == "u":
        char = chr(int(raw[2:], 16))
        # half of a surrogate pair cannot stand alone; JSON's astral escapes are rare in error bodies
        return "" if 0xD800 <= ord(char) <= 0xDFFF else char
    if kind in "nrt":
        return " "
    return kind


def _line_breaks(text: str, start: int = 0, end: int | None = None) -> int:
    """Line breaks in `text[start:end]` as step 2 counts them (`\r\n` is one, a lone `\r` is one)."""
    lf = text.count("\n", start, end)
    if "\r" not in text:
        return lf
    return lf + text.count("\r", start, end) - text.count("\r\n", start, end)


def _cut_points(text: str, limit: int) -> tuple[int, int]:
    """Where the kept head ends and the kept tail starts: about half of `limit` each, moved to line ends."""
    half = limit // 2
    # with no line end near, the head ends inside a line and gets a "\n" of its own: one character less
    head_end = text.rfind("\n", max(0, half - _CUT_SNAP), half) + 1 or half - 1
    tail_start = len(text) - (limit - half)
    newline = text.find("\n", tail_start, tail_start + _CUT_SNAP)
    if newline >= 0:
        tail_start = newline + 1
    return head_end, tail_start


def _normalize_whole(text: str) -> str:
    """Steps 2 to 8 on text that already fits the bound."""
    ascii_only = text.isascii()
    if "\r" in text or not ascii_only:
        text = _LINE_BREAKS.sub("\n", text)
    if "\x0b" in text or "\x0c" in text:
        text = _TO_SPACE.sub(" ", text)
    text = _INVISIBLE.sub("", text)
    if "<" in text:
        text = _SLACK_MARKUP.sub(_markup, text)
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    if "`" in text:
        text = _FENCE.sub("", text)
        text = _BACKTICK.sub(" ", text)
    if "\\" in text:
        text = _ESCAPE.sub(_unescape, text)
        ascii_only = text.isascii()
    if not ascii_only:
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
            # NFKC can produce separators or invisible characters from compatibility forms; clean once more
            text = _LINE_BREAKS.sub("\n", text)
            text = _INVISIBLE.sub("", text)
        text = _TYPOGRAPHIC.sub(_ascii_quote, text)
        if "`" in text:
            text = _BACKTICK.sub(" ", text)
    return text


def normalize_text(text: str, *, limit: int = MAX_INPUT_CHARS) -> Normalized:
    """Normalise `text` (see the module docstring) and say whether, and how much, was cut.

    Each step first checks, at C speed, whether its characters occur at all: most pastes are plain ASCII.
    A cut input is normalised as two parts, head and tail: no step reads across a line end, so this gives
    the same text as normalising the two parts joined, and tells exactly where the tail starts.
    """
    if len(text) <= limit:
        return Normalized(text=_normalize_whole(text), truncated=False)
    head_end, tail_start = _cut_points(text, limit)
    head = _normalize_whole(text[:head_end])
    if not head.endswith("\n"):  # the cut fell inside a very long line: the tail starts a line of its own
        head += "\n"
    tail = _normalize_whole(text[tail_start:])
    tail_line = head.count("\n") + 1
    return Normalized(
        text=head + tail,
        truncated=True,
        dropped_chars=tail_start - head_end,
        tail_line=tail_line,
        line_shift=_line_breaks(text, 0, tail_start) + 1 - tail_line,
    )


def normalize(text: str) -> str:
    """The normalised form of `text` (cut in the middle past `MAX_INPUT_CHARS`; `normalize_text` says so)."""
    return normalize_text(text).text
