"""Text normalisation: turn what Slack or a terminal delivers into plain text the extractor can read.

Steps, in this order (each one's reason is beside it in the code):

1. cut the input at `MAX_INPUT_CHARS` (and report it), so every later step has bounded work;
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

MAX_INPUT_CHARS = 200_000  # a paste longer than this is cut; about 3,000 log lines

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
    """Normalised text and whether the input had to be cut to `MAX_INPUT_CHARS`."""

    text: str
    truncated: bool


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


def normalize_text(text: str, *, limit: int = MAX_INPUT_CHARS) -> Normalized:
    """Normalise `text` (see the module docstring) and say whether it was cut.

    Each step first checks, at C speed, whether its characters occur at all: most pastes are plain ASCII.
    """
    truncated = len(text) > limit
    if truncated:
        text = text[:limit]
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
    return Normalized(text=text, truncated=truncated)


def normalize(text: str) -> str:
    """The normalised form of `text` (cut at `MAX_INPUT_CHARS`; use `normalize_text` to learn whether)."""
    return normalize_text(text).text
