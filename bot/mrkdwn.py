"""Text made safe to show in Slack: escaping, neutralising echoed input, masking private data, truncating.

Input reaching the renderer is already decoded plain text (the normaliser undid Slack's `&amp;` `&lt;`
`&gt;` once). Everything here therefore escapes `&`, `<`, `>` exactly once, on the way out. Echoed text
(snippets, the query, tried candidates, matched text) additionally has its control characters collapsed, its
private data masked, and every `@` and `://` broken with an invisible word joiner, so it can never ping anyone
or turn into a link, even where Slack's automatic parsing is on. The renderer also marks every mrkdwn
object `verbatim`.
"""

from __future__ import annotations

import re

from bot.redact import mask_sensitive

WORD_JOINER = "\u2060"  # invisible, not whitespace: `@\u2060here` reads as "@here" but is no mention
ELLIPSIS = "…"
BACKTICK_STANDIN = "ˋ"  # U+02CB looks like a backtick but cannot open or close a code span

# Control characters become a space (they often separate words: tabs, newlines, NUL from binary pastes).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u0085]")
# Invisible format characters (zero-width, bidirectional overrides, BOM, tags) and lone surrogates vanish:
# they can hide or reorder text, and a lone surrogate cannot even be encoded as UTF-8.
_INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\ud800-\udfff\U000110bd\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)
_SPACES = re.compile(r"\s+")
_LINE_SPACES = re.compile(r"[^\S\n]+")

# --- private data --------------------------------------------------------------------------------


def mask_private(text: str) -> str:
    """Phone numbers, AccessKey IDs, secrets, e-mail addresses and Slack tokens masked (idempotent).

    The extractor already masks what it puts in a Lookup; masking again here, at the one place where text
    leaves for Slack or a terminal, keeps a snippet safe even if it came from somewhere else."""
    return mask_sensitive(text)


# --- cleaning and escaping -----------------------------------------------------------------------


def clean(text: str, *, single_line: bool = True) -> str:
    """Drop invisible characters, turn control characters into spaces, collapse runs of spaces.

    With `single_line=False`, newlines survive (runs of other whitespace still collapse)."""
    text = _INVISIBLE.sub("", text)
    if single_line:
        return _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()
    text = _CONTROL.sub(lambda m: "\n" if m.group() == "\n" else " ", text)
    lines = (_LINE_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def escape(text: str) -> str:
    """Escape Slack's three control characters, once. `&amp;lt;` in the input stays visible as `&amp;lt;`."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITY_CHAR = {"amp": "&", "lt": "<", "gt": ">"}


def unescape(text: str) -> str:
    """The inverse of `escape`, in one pass (so `&amp;lt;` becomes `&lt;`, not `<`)."""
    return _ENTITY.sub(lambda m: _ENTITY_CHAR[m.group(1)], text)


def break_pings(text: str) -> str:
    """Make `@channel`, `@here`, `@everyone`, `@user` and `scheme://` inert by inserting a word joiner."""
    return text.replace("@", "@" + WORD_JOINER).replace("://", ":" + WORD_JOINER + "//")


def truncate(text: str, limit: int, *, force_ellipsis: bool = False) -> str:
    """Cut escaped text to at most `limit` characters, ending in an ellipsis, never inside `&amp;`."""
    if limit <= 0:
        return ""
    if len(text) <= limit and not force_ellipsis:
        return text
    cut = min(len(text), limit - len(ELLIPSIS))
    amp = text.rfind("&", max(0, cut - 4), cut)
    if amp != -1 and ";" not in text[amp:cut]:
        cut = amp  # the cut fell inside an entity: drop the whole entity
    return text[:cut].rstrip() + ELLIPSIS


def _prepare(text: str, limit: int) -> tuple[str, bool]:
    # Only a bounded prefix is cleaned and masked, so a megabyte of input costs no more than a line.
    window = max(0, limit) * 2 + 64
    cut = len(text) > window
    return mask_private(clean(text[:window])), cut


def neutralise(text: str, limit: int) -> str:
    """Echoed input made safe for mrkdwn: one line, masked, unable to ping or link, escaped, ≤ `limit`."""
    raw, cut = _prepare(text, limit)
    return truncate(escape(break_pings(raw)), limit, force_ellipsis=cut)


def code_span(text: str, limit: int) -> str:
    """Echoed input as inline code (no formatting, no links), ≤ `limit` characters with the backticks."""
    body = neutralise(text.replace("`", BACKTICK_STANDIN), max(1, limit - 2))
    return f"`{body}`" if body else "(blank)"


def catalog_text(text: str, limit: int = 3000) -> str:
    """Our catalogue text for mrkdwn: escaped (an `&` in a description must stay an `&`), kept multi-line."""
    return truncate(escape(clean(text, single_line=False)), limit)


def link(url: str, label: str) -> str:
    """A mrkdwn link to one of our own URLs (the catalogue's documentation pages), never to echoed input."""
    safe_url = escape(url.replace("|", "%7C").replace(" ", "%20"))
    return f"<{safe_url}|{escape(clean(label)).replace('|', '/')}>"


def fallback(text: str, limit: int) -> str:
    """Text for a message's top-level `text` (notifications): no markup that pings or links, escaped."""
    return truncate(escape(break_pings(clean(text, single_line=False))), limit)


def plain(text: str, limit: int) -> str:
    """Echoed input for a terminal: one line, no control characters (no ANSI escapes), masked, ≤ `limit`."""
    raw, cut = _prepare(text, limit)
    return truncate(raw, limit, force_ellipsis=cut)
