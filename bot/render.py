"""Answers rendered from lookup results: Block Kit payloads for Slack and plain text for a terminal.

Both outputs are built from the same small view (`_Answer`, `_Item`, lines of segments), so the terminal shows
what Slack shows. Every piece of text taken from the input is a `_Echo` segment: in Slack it becomes escaped,
masked, ping-proof inline code inside a `verbatim` mrkdwn object; in a terminal, a cleaned one-line string.
Blocks are built with `slack_sdk.models` (which validates most limits) and `bot.limits` checks the rest.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot import mrkdwn
from bot.catalog import (
    ACTOR_TEXT,
    OUTCOME_TEXT,
    RETRY_TEXT,
    STAGE_TEXT,
    Catalog,
    Entry,
    FamilyId,
    Outcome,
    Retry,
)
from bot.extract import is_carrier_status
from bot.limits import MAX_BLOCKS, MAX_BUTTON_VALUE, MAX_TOTAL_BLOCK_TEXT, TARGET_TOP_TEXT, total_block_text
from bot.results import Evidence, How, Lookup, Match, Mode

__all__ = [
    "ACTION_DETAILS",
    "ACTION_PICK",
    "ACTION_SHARE",
    "MAX_SHOWN",
    "MAX_SUGGESTIONS",
    "lookup_from_share_value",
    "parse_ref",
    "render_entry",
    "render_error",
    "render_help",
    "render_message",
    "render_text",
    "share_value",
]

ACTION_SHARE = "smscode_share"
ACTION_DETAILS = "smscode_details"
ACTION_PICK = "smscode_pick"

MAX_SHOWN = 10  # codes with their own section in a several-codes answer; the rest are named in one line
MAX_FULL = 2  # up to this many matches get full answers, one after the other (when they fit)
MAX_SUGGESTIONS = 5  # "did you mean" buttons
MAX_EVIDENCE = 3  # places shown per code in a full answer
MAX_NOTES = 5
MAX_RELATED = 6
MAX_MESSAGES = 3
MAX_TRIED = 10
TERMINAL_WIDTH = 80

# Lengths of echoed pieces, in characters after escaping (an `&` grows to five).
SNIPPET_LIMIT = 160
MATCHED_LIMIT = 80
NOTE_LIMIT = 240
QUERY_LIMIT = 200
ASKED_LIMIT = 60  # "I'm not sure which code you mean by …": a word or two, never a whole paste
MAX_UNKNOWN = 3  # unknown codes named in one answer
TRIED_LIMIT = 60
MORE_LIMIT = 1500  # the "and N more: …" line
SECTION_LIMIT = 2900  # under Slack's 3,000 with room to spare
STEPS_LIMIT = 6000  # remediation steps of one answer; keeps a full answer under the 12,000 total
HEADER_LIMIT = 150
BUTTON_LABEL_LIMIT = 75  # Slack's limit; labels are codes, and the list above the buttons names the family

OUTCOME_EMOJI = {
    Outcome.SUCCESS: "white_check_mark",
    Outcome.PENDING: "hourglass_flowing_sand",
    Outcome.FAILED: "x",
}
RETRY_EMOJI = {
    Retry.FIX_FIRST: "no_entry_sign",
    Retry.AFTER_RESET: "stopwatch",
    Retry.BACKOFF: "repeat",
    Retry.WAIT: "hourglass",
    Retry.NOT_APPLICABLE: "heavy_check_mark",
}
ASK_EXAMPLE = "/smscode QPS_LIMIT_CONTROL"
CLI_EXAMPLE = "smscode explain QPS_LIMIT_CONTROL"
RELATED_LEAD = "No error code in your text. These look related:"
FAMILY_SHORT = {  # for button labels, where a code exists in several families
    FamilyId.INTL_API: "API",
    FamilyId.INTL_RECEIPT: "receipt",
    FamilyId.SMPP_STATE: "SMPP state",
    FamilyId.CN_API: "CN API",
    FamilyId.OPENAPI: "gateway",
    FamilyId.SMPP_STATUS: "SMPP status",
}


# --- segments: one description of a line, two renderings -----------------------------------------


@dataclass(frozen=True)
class _Echo:
    """Text taken from the input. Inline code in Slack unless `code` is false (then neutralised prose)."""

    text: str
    limit: int = SNIPPET_LIMIT
    code: bool = True


@dataclass(frozen=True)
class _Code:
    """A code from the catalogue: inline code in Slack, bare in a terminal."""

    text: str


@dataclass(frozen=True)
class _Strong:
    text: str


@dataclass(frozen=True)
class _Emoji:
    """Slack-only decoration; a terminal shows nothing."""

    name: str


_Seg = str | _Echo | _Code | _Strong | _Emoji
_Line = tuple[_Seg, ...]


def _seg_mrkdwn(seg: _Seg) -> str:
    if isinstance(seg, str):
        return mrkdwn.escape(seg)  # our wording or catalogue text: escaped, never neutralised
    if isinstance(seg, _Echo):
        if seg.code:
            return mrkdwn.code_span(seg.text, seg.limit)
        return mrkdwn.neutralise(seg.text, seg.limit)
    if isinstance(seg, _Code):
        return "`" + mrkdwn.escape(mrkdwn.clean(seg.text)).replace("`", mrkdwn.BACKTICK_STANDIN) + "`"
    if isinstance(seg, _Strong):
        return "*" + mrkdwn.escape(mrkdwn.clean(seg.text)).replace("*", "∗") + "*"
    return f":{seg.name}:"


def _seg_plain(seg: _Seg) -> str:
    if isinstance(seg, str):
        return seg
    if isinstance(seg, _Echo):
        text = mrkdwn.plain(seg.text, seg.limit)
        return f'"{text}"' if seg.code else text
    if isinstance(seg, _Code | _Strong):
        return mrkdwn.clean(seg.text)
    return ""


def _mrkdwn_line(line: _Line) -> str:
    return "".join(_seg_mrkdwn(seg) for seg in line).strip()


def _plain_line(line: _Line) -> str:
    return mrkdwn.clean("".join(_seg_plain(seg) for seg in line))


def _md(text: str) -> MarkdownTextObject:
    # verbatim: Slack's automatic parsing stays off, so nothing becomes a mention or a link by accident.
    return MarkdownTextObject(text=text, verbatim=True)


def _join(items: Sequence[_Line], sep: str) -> _Line:
    out: list[_Seg] = []
    for i, item in enumerate(items):
        if i:
            out.append(sep)
        out.extend(item)
    return tuple(out)


# --- the view of one entry ------------------------------------------------------------------------


@dataclass
class _Answer:
    entry: Entry
    family_name: str
    context: _Line
    facts: list[tuple[str, _Line]]
    found: list[_Line]
    messages: list[_Line]
    see_also: list[_Line]
    doc_url: str


def doc_label(url: str) -> str:
    """What a documentation link is, named by where it goes (not by the family it documents)."""
    host = url.split("://", 1)[-1].split("/", 1)[0].casefold()
    if host.endswith("smpp.org") or "smpp_v3" in url.casefold():
        return "SMPP v3.4 specification"
    if host == "api.aliyun.com":
        return "Alibaba Cloud API troubleshooting"
    if host.endswith(("alibabacloud.com", "aliyun.com")):
        return "Alibaba Cloud docs"
    return f"Documentation ({host})" if host else "Documentation"


def _family_name(entry: Entry, catalog: Catalog) -> str:
    family = catalog.families.get(entry.family)
    return family.name if family else entry.family.value


def _actors(entry: Entry) -> str:
    return ", then ".join(ACTOR_TEXT[actor] for actor in entry.actors)


def _value_text(entry: Entry) -> str | None:
    if entry.value is not None:
        return f"{entry.hex} ({entry.value})"
    if entry.value_range is not None:
        low, high = entry.value_range
        return f"0x{low:08X}–0x{high:08X} ({low}–{high})"
    return None


def _how_line(match: Match) -> _Line | None:
    said = _Echo(match.matched_text, MATCHED_LIMIT) if match.matched_text.strip() else None
    score = f" (match score {match.score:.0f}/100)"
    if match.how is How.FUZZY:
        return ("Closest spelling to ", said, score) if said else ("Matched by a close spelling", score)
    if match.how is How.ALIAS:
        return ("Matched the alias ", said) if said else ("Matched one of its aliases",)
    if match.how is How.MESSAGE:
        lead = "Matched by its message text"
        return (f"{lead} ", said, " (no code beside it)") if said else (lead, " (no code beside it)")
    if match.how is How.MEANING:
        return ("Matched by meaning: ", said, score) if said else ("Matched by meaning", score)
    if match.how is How.NUMERIC:
        return ("Matched the command_status value ", said) if said else ("Matched the command_status value",)
    if match.how is How.RANGE:
        return (said, " falls in this range") if said else ("The value falls in this range",)
    if match.how is How.ALIBABA_NUMBER:
        lead = "Read as Alibaba's own SMPP error number"
        tail = ' (the international pages\' "SMPP error code" column, not a standard command_status)'
        return (f"{lead} ", said, tail) if said else (lead, tail)
    return None


def _evidence_line(evidence: Evidence, limit: int = SNIPPET_LIMIT) -> _Line:
    return (f"line {evidence.line}: ", _Echo(evidence.snippet, limit))


def _seen_line(match: Match, evidence: Sequence[Evidence], limit: int = SNIPPET_LIMIT) -> _Line | None:
    parts: list[_Seg] = []
    if match.count > 1:
        parts.append(f"seen {match.count}×")
    if evidence:
        if parts:
            parts.append(" · ")
        parts.extend(_evidence_line(evidence[0], limit))
    return tuple(parts) if parts else None


def _telling(match: Match) -> list[Evidence]:
    """The evidence worth showing: not blank, and not just the code itself typed on its own."""
    plain = {match.entry.code.casefold(), match.matched_text.strip().casefold()}
    return [ev for ev in match.evidence if ev.snippet.strip() and ev.snippet.strip().casefold() not in plain]


def _found_lines(match: Match | None) -> list[_Line]:
    if match is None:
        return []
    lines: list[_Line] = []
    how = _how_line(match)
    if how is not None:
        lines.append((_Emoji("mag"), " ", *how))
    notes = [n for n in match.notes if n.strip()]
    lines.extend(("• ", _Echo(note, NOTE_LIMIT, code=False)) for note in notes[:MAX_NOTES])
    evidence = _telling(match)[:MAX_EVIDENCE]
    seen: list[_Seg] = [f"Seen {match.count}×"] if match.count > 1 else []
    if evidence:
        seen += [" · " if seen else "Found at ", *_evidence_line(evidence[0])]
    if seen:
        lines.append(tuple(seen))
    lines.extend(_evidence_line(ev) for ev in evidence[1:])
    return lines


def _answer(entry: Entry, catalog: Catalog, match: Match | None) -> _Answer:
    family_name = _family_name(entry, catalog)
    stage = catalog.stage_of(entry)
    context: _Line = (
        _Emoji(OUTCOME_EMOJI[entry.outcome]),
        " ",
        _Strong(OUTCOME_TEXT[entry.outcome].capitalize()),
        f" · {family_name} · source: {STAGE_TEXT[stage]}",
    )
    facts: list[tuple[str, _Line]] = [
        ("Retry", (_Emoji(RETRY_EMOJI[entry.retry]), " ", RETRY_TEXT[entry.retry])),
        ("Who acts", (_actors(entry),)),
    ]
    if entry.short_form is not None:
        facts.append(("Receipt word", (_Code(entry.short_form),)))
    if entry.message_state is not None:
        facts.append(("message_state", (_Code(str(entry.message_state)),)))
    if (value := _value_text(entry)) is not None:
        facts.append(("command_status" if entry.value is not None else "command_status range", (value,)))
    if entry.http_status:
        facts.append(("HTTP status", (", ".join(str(s) for s in entry.http_status),)))
    messages: list[_Line] = [
        ("• ", _Code(msg.text), f": {msg.meaning}") for msg in entry.messages[:MAX_MESSAGES]
    ]
    see_also: list[_Line] = []
    for ref in entry.related[:MAX_RELATED]:
        other = catalog.resolve(ref)
        if other is not None:
            see_also.append((_Code(other.code), f" ({_family_name(other, catalog)})"))
    return _Answer(
        entry=entry,
        family_name=family_name,
        context=context,
        facts=facts,
        found=_found_lines(match),
        messages=messages,
        see_also=see_also,
        doc_url=catalog.doc_url_of(entry),
    )


# --- Block Kit ------------------------------------------------------------------------------------


@dataclass
class _Blocks:
    """Blocks with a priority each: 0 must stay; higher numbers go first when a message is too big."""

    items: list[tuple[int, Block]] = field(default_factory=list)

    def add(self, block: Block, priority: int = 0) -> None:
        self.items.append((priority, block))

    def extend(self, other: _Blocks) -> None:
        self.items.extend(other.items)

    def fitted(self, *, keep: int = 1) -> list[dict[str, Any]]:
        """The blocks as dicts, dropping whole priority levels (highest first, never below `keep`) until
        the message fits Slack's block count and our total-text budget."""
        items = [(p, b.to_dict()) for p, b in self.items]
        for level in sorted({p for p, _ in items if p >= keep}, reverse=True):
            if _fits([d for _, d in items]):
                break
            items = [(p, d) for p, d in items if p < level]
        return [d for _, d in items]


def _sections(lines: Sequence[str], *, heading: str = "", priority: int = 0) -> _Blocks:
    """Lines packed into as few section blocks as fit Slack's 3,000-character section text."""
    out = _Blocks()
    chunk = heading
    for whole in lines:
        line = mrkdwn.truncate(whole, SECTION_LIMIT)
        if chunk and len(chunk) + 1 + len(line) > SECTION_LIMIT:
            out.add(SectionBlock(text=_md(chunk)), priority)
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        out.add(SectionBlock(text=_md(chunk)), priority)
    return out


def _capped(lines: Sequence[str], limit: int) -> list[str]:
    """As many whole lines as fit in `limit` characters, then an ellipsis line."""
    out: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) > limit:
            out.append(mrkdwn.ELLIPSIS)
            break
        out.append(line)
        used += len(line) + 1
    return out


def _context(text: str, priority: int = 0) -> _Blocks:
    out = _Blocks()
    out.add(ContextBlock(elements=[_md(mrkdwn.truncate(text, SECTION_LIMIT))]), priority)
    return out


def _header(text: str) -> HeaderBlock:
    text = mrkdwn.clean(text) or "?"
    if len(text) > HEADER_LIMIT:
        text = text[: HEADER_LIMIT - 1].rstrip() + mrkdwn.ELLIPSIS
    return HeaderBlock(text=PlainTextObject(text=text, emoji=False))


def _button(label: str, action_id: str, value: str, *, primary: bool = False) -> ButtonElement:
    label = mrkdwn.clean(label) or "?"
    if len(label) > BUTTON_LABEL_LIMIT:
        label = label[: BUTTON_LABEL_LIMIT - 1].rstrip() + mrkdwn.ELLIPSIS
    return ButtonElement(
        text=PlainTextObject(text=label, emoji=False),
        action_id=action_id,
        value=value,
        style="primary" if primary else None,
    )


def _answer_blocks(answer: _Answer) -> _Blocks:
    entry = answer.entry
    out = _Blocks()
    out.add(_header(entry.code))
    out.extend(_context(_mrkdwn_line(answer.context)))
    description = mrkdwn.catalog_text(entry.description, SECTION_LIMIT - 400)
    intro = f"*{mrkdwn.catalog_text(entry.title, 300)}*\n{description}"
    out.add(SectionBlock(text=_md(intro)))
    fields = [
        _md(mrkdwn.truncate(f"*{label}*\n{_mrkdwn_line(value)}", 1900)) for label, value in answer.facts
    ]
    out.add(SectionBlock(fields=fields[:10]))
    steps = [f"{i}. {mrkdwn.catalog_text(step, 1500)}" for i, step in enumerate(entry.remediation, start=1)]
    out.extend(_sections(_capped(steps, STEPS_LIMIT), heading="*What to do*"))
    if entry.note:
        out.extend(_context(f":warning: {mrkdwn.catalog_text(entry.note, 1500)}", priority=1))
    if answer.found:
        out.extend(_sections([_mrkdwn_line(line) for line in answer.found], priority=1))
    if answer.messages:
        text = "\n".join(["Messages returned with it:", *(_mrkdwn_line(line) for line in answer.messages)])
        out.extend(_context(text, priority=3))
    if answer.see_also:
        text = "*See also:* " + " · ".join(_mrkdwn_line(line) for line in answer.see_also)
        out.extend(_context(text, priority=2))
    out.extend(_context(f":book: {mrkdwn.link(answer.doc_url, doc_label(answer.doc_url))}", 1))
    return out


def _share_actions(lookup: Lookup) -> ActionsBlock:
    return ActionsBlock(
        elements=[_button("Share in channel", ACTION_SHARE, share_value(lookup), primary=True)],
    )


def _fallback_single(entry: Entry, catalog: Catalog) -> str:
    return (
        f"{entry.code} ({_family_name(entry, catalog)}): {entry.title}. "
        f"Outcome: {OUTCOME_TEXT[entry.outcome]}. {RETRY_TEXT[entry.retry]}."
    )


def _payload(text: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"text": mrkdwn.fallback(text, TARGET_TOP_TEXT), "blocks": blocks}


def _truncated_note(lookup: Lookup) -> str:
    """The input was cut in the middle (`bot.normalize`): its beginning and its end were both read."""
    # a Share value from before the count was carried says only that something was cut
    skipped = f"{lookup.dropped_chars:,} characters" if lookup.dropped_chars > 0 else "part of it"
    return (
        ":scissors: Your text was very long, so I read its beginning and its end "
        f"and skipped {skipped} in the middle."
    )


def render_entry(
    entry: Entry, catalog: Catalog, *, match: Match | None = None, shareable: bool = False
) -> dict[str, Any]:
    """The full answer for one entry: for a single match, a "did you mean" pick or a "Details" click."""
    blocks = _answer_blocks(_answer(entry, catalog, match))
    if shareable:
        one = match or Match(entry=entry, score=100.0, how=How.EXACT)
        blocks.add(_share_actions(Lookup(query="", mode=Mode.EXPLICIT, matches=[one])))
    return _payload(_fallback_single(entry, catalog), blocks.fitted())


# --- several codes --------------------------------------------------------------------------------


@dataclass
class _Item:
    """One code in a several-codes answer."""

    match: Match
    headline: _Line
    title: str
    verdict: _Line


def _item(match: Match, catalog: Catalog) -> _Item:
    entry = match.entry
    verdict: list[_Seg] = [
        _Emoji(RETRY_EMOJI[entry.retry]),
        " ",
        RETRY_TEXT[entry.retry],
        f" · {OUTCOME_TEXT[entry.outcome]}",
    ]
    evidence = _telling(match)[:1]
    if (seen := _seen_line(match, evidence, limit=120)) is not None:
        verdict.extend((" · ", *seen))
    return _Item(
        match=match,
        headline=(_Code(entry.code), f" · {_family_name(entry, catalog)}"),
        title=entry.title,
        verdict=tuple(verdict),
    )


def _more_names(matches: Sequence[Match], omitted: int = 0) -> _Line:
    lead = f"…and {len(matches) + omitted} more: "
    names: list[_Seg] = [lead]
    used = len(lead)
    for i, label in enumerate(_code_labels(matches)):
        cost = len(mrkdwn.escape(mrkdwn.clean(label))) + 4  # backticks and ", "
        if used + cost > MORE_LIMIT:
            names.append(", …")
            break
        names.extend(([] if i == 0 else [", "]) + [_Code(label)])
        used += cost
    else:
        if omitted:
            names.append(", …")  # codes the shared copy could not carry by name
    return tuple(names)


def _total(lookup: Lookup) -> int:
    """How many codes the answer is about, counting any a shared copy could not carry."""
    return len(lookup.matches) + lookup.omitted


def _summary(lookup: Lookup) -> str:
    n = _total(lookup)
    return f"Found {n} codes" if n != 1 else "Found 1 code"


def _several_blocks(lookup: Lookup, catalog: Catalog) -> _Blocks:
    out = _Blocks()
    out.add(SectionBlock(text=_md(f"*{_summary(lookup)}*")))
    if lookup.truncated:
        out.extend(_context(_truncated_note(lookup)))
    shown = lookup.matches[:MAX_SHOWN]
    for i, match in enumerate(shown):
        item = _item(match, catalog)
        text = "\n".join(
            (
                "*" + _mrkdwn_line(item.headline) + "*",
                mrkdwn.catalog_text(item.title, 300),
                _mrkdwn_line(item.verdict),
            )
        )
        button = _button("Details", f"{ACTION_DETAILS}:{i}", match.entry.ref)
        out.add(SectionBlock(text=_md(mrkdwn.truncate(text, SECTION_LIMIT)), accessory=button))
    rest = lookup.matches[MAX_SHOWN:]
    if rest or lookup.omitted:
        out.add(SectionBlock(text=_md(_mrkdwn_line(_more_names(rest, lookup.omitted)))))
    return out


def _full_blocks(lookup: Lookup, catalog: Catalog) -> _Blocks:
    out = _Blocks()
    if len(lookup.matches) > 1:
        codes = {m.entry.code.casefold() for m in lookup.matches}
        if len(codes) == 1:
            first = lookup.matches[0].entry.code
            intro = f"`{mrkdwn.escape(first)}` exists in {len(lookup.matches)} families; here is each one."
        else:
            intro = f"*{_summary(lookup)}*"
        out.add(SectionBlock(text=_md(intro)))
    if lookup.truncated:
        out.extend(_context(_truncated_note(lookup)))
    for i, match in enumerate(lookup.matches):
        if i:
            out.add(DividerBlock())
        out.extend(_answer_blocks(_answer(match.entry, catalog, match)))
    return out


# --- unsure and no match --------------------------------------------------------------------------


def _code_labels(matches: Sequence[Match]) -> list[str]:
    """Codes as a list names them: a code named twice says its family ("DELIVERED (receipt)")."""
    counts: dict[str, int] = {}
    for m in matches:
        counts[m.entry.code.casefold()] = counts.get(m.entry.code.casefold(), 0) + 1
    return [
        m.entry.code
        if counts[m.entry.code.casefold()] == 1
        else f"{m.entry.code} ({FAMILY_SHORT[m.entry.family]})"
        for m in matches
    ]


def _unsure_lines(lookup: Lookup, catalog: Catalog) -> tuple[_Line, list[_Line]]:
    by_meaning = all(s.how is How.MEANING for s in lookup.suggestions)
    if by_meaning:
        # free words, not a code: nothing was "meant", so nothing is quoted back
        lead = (
            " These may also be related:"
            if lookup.matches
            else " No error code in your text. These may be related:"
        )
        head: _Line = (_Emoji("thinking_face"), lead)
    else:
        # a word or two that looked like a code, never a whole paste (both are masked by the matcher)
        asked = lookup.suggestions[0].matched_text or (
            "" if lookup.matches or lookup.unknown else lookup.query
        )
        lead = " I'm also unsure about " if lookup.matches else " I'm not sure which code you mean by "
        head = (
            (_Emoji("thinking_face"), lead, _Echo(asked, ASKED_LIMIT), ". Did you mean:")
            if asked.strip() and len(asked) <= ASKED_LIMIT
            else (_Emoji("thinking_face"), " Closest known codes:" if lookup.unknown else " Did you mean:")
        )
    shown = lookup.suggestions[:MAX_SUGGESTIONS]
    lines: list[_Line] = [
        ("• ", _Code(s.entry.code), f" · {_family_name(s.entry, catalog)}: {s.entry.title}") for s in shown
    ]
    # what makes the choice hard ("48 is ambiguous: …") is said once, under the choices
    notes = list(dict.fromkeys(n for s in shown for n in s.notes if n.strip()))
    lines.extend((_Emoji("information_source"), " ", _Echo(n, NOTE_LIMIT, code=False)) for n in notes[:2])
    return head, lines


def _unsure_blocks(lookup: Lookup, catalog: Catalog, *, priority: int = 0) -> _Blocks:
    out = _Blocks()
    head, lines = _unsure_lines(lookup, catalog)
    out.extend(_sections([_mrkdwn_line(head), *(_mrkdwn_line(line) for line in lines)], priority=priority))
    suggestions = lookup.suggestions[:MAX_SUGGESTIONS]
    buttons = [
        _button(label, f"{ACTION_PICK}:{i}", s.entry.ref)
        for i, (s, label) in enumerate(zip(suggestions, _code_labels(suggestions), strict=True))
    ]
    out.add(ActionsBlock(elements=buttons), priority)
    return out


def _unknown_lines(lookup: Lookup) -> list[_Line]:
    """Codes written where a code belongs that the catalogue does not have."""
    lines: list[_Line] = []
    for code in lookup.unknown[:MAX_UNKNOWN]:
        line: list[_Seg] = [
            _Emoji("grey_question"),
            " ",
            _Echo(code, MATCHED_LIMIT),
            " is not in the catalogue.",
        ]
        if is_carrier_status(code):
            line.append(
                " It looks like a Chinese carrier's status-report code, whose meaning the carrier sets."
            )
        lines.append(tuple(line))
    if len(lookup.unknown) > MAX_UNKNOWN:
        lines.append((f"…and {len(lookup.unknown) - MAX_UNKNOWN} more codes that are not in the catalogue.",))
    return lines


def _unknown_text(lookup: Lookup) -> str:
    names = ", ".join(lookup.unknown[:MAX_UNKNOWN])
    return f"{names} {'is' if len(lookup.unknown) == 1 else 'are'} not in the catalogue."


def _how_to_ask() -> list[_Line]:
    return [
        (_Strong("How to ask"),),
        ("• One code: ", _Code(ASK_EXAMPLE)),
        ("• A whole API response, delivery receipt or SMPP log: paste all of it after ", _Code("/smscode"),
         ", or mention the bot in the thread under it"),
        ("• Usage and examples: ", _Code("/smscode help")),
    ]  # fmt: skip


def _how_to_ask_cli() -> list[_Line]:
    return [
        ("How to ask:",),
        ("• One code: ", _Code(CLI_EXAMPLE)),
        ("• A whole API response, delivery receipt or SMPP log: pipe it in, e.g. ",
         _Code("pbpaste | smscode explain"), " or ", _Code("smscode explain - < response.json")),
        ("• Only confident codes, as the bot reads unasked messages: ", _Code("smscode explain --passive")),
        ("• Machine-readable answer: ", _Code("smscode explain --json"), "; all options: ",
         _Code("smscode explain --help")),
    ]  # fmt: skip


def _no_match_lines(lookup: Lookup) -> list[_Line]:
    lines: list[_Line] = []
    if not lookup.unknown:  # an unknown code was already named: "not in the catalogue" says it
        lines.append((_Emoji("mag"), " No known SMS, gateway or SMPP code found."))
    tried = [t for t in lookup.tried if t.strip()]
    if tried:
        shown: list[_Line] = [(_Echo(t, TRIED_LIMIT),) for t in tried[:MAX_TRIED]]
        more = f" and {len(tried) - MAX_TRIED} more" if len(tried) > MAX_TRIED else ""
        lines.append(("I looked up: ", *_join(shown, ", "), more))
    elif lookup.query.strip():
        lines.append(("I read: ", _Echo(lookup.query, QUERY_LIMIT)))
    return lines


def _no_match_blocks(lookup: Lookup) -> _Blocks:
    out = _Blocks()
    if lookup.unknown:
        out.extend(_sections([_mrkdwn_line(line) for line in _unknown_lines(lookup)]))
    out.extend(_sections([_mrkdwn_line(line) for line in _no_match_lines(lookup)]))
    if lookup.truncated:
        out.extend(_context(_truncated_note(lookup)))
    out.extend(_sections([_mrkdwn_line(line) for line in _how_to_ask()]))
    return out


# --- the message ----------------------------------------------------------------------------------


def _fits(blocks: list[dict[str, Any]]) -> bool:
    return len(blocks) <= MAX_BLOCKS and total_block_text(blocks) <= MAX_TOTAL_BLOCK_TEXT


def render_message(lookup: Lookup, catalog: Catalog, *, shareable: bool = False) -> dict[str, Any]:
    """The Slack payload `{"text", "blocks"}` answering a lookup, always within Slack's limits.

    One match: the full answer. Two: both full answers when they fit. More: a summary and a compact section
    per code with a Details button, the rest named. Matches found only by meaning: "No error code in your
    text. These look related:" and a compact list (nothing was found, so nothing reads as a finding).
    No match but suggestions: "did you mean" buttons. Codes the catalogue lacks are named as such. Nothing:
    what was tried and how to ask. `shareable` adds a Share in channel button to answers that found
    something.
    """
    if not lookup.matches:
        if lookup.suggestions:
            blocks = _Blocks()
            if lookup.unknown:
                blocks.extend(_sections([_mrkdwn_line(line) for line in _unknown_lines(lookup)]))
            blocks.extend(_unsure_blocks(lookup, catalog))
            codes = ", ".join(_code_labels(lookup.suggestions[:MAX_SUGGESTIONS]))
            lead = f"{_unknown_text(lookup)} " if lookup.unknown else ""
            if all(s.how is How.MEANING for s in lookup.suggestions):
                text = f"No error code in your text. These may be related: {codes}."
            else:
                text = f"{lead}Not sure which code you mean. Did you mean: {codes}?"
            return _payload(text, blocks.fitted())
        lead = f"{_unknown_text(lookup)} " if lookup.unknown else "No known SMS code found. "
        text = f"{lead}Try {ASK_EXAMPLE}, paste the whole response, or /smscode help."
        return _payload(text, _no_match_blocks(lookup).fitted())

    tail = _Blocks()
    if lookup.unknown:
        tail.extend(_sections([_mrkdwn_line(line) for line in _unknown_lines(lookup)], priority=2))
    if lookup.suggestions:  # confident about some codes, unsure about others: offer those as choices too
        tail.extend(_unsure_blocks(lookup, catalog, priority=2))
    if shareable:
        tail.add(_share_actions(lookup))
    if _by_meaning_only(lookup):
        names = ", ".join(_code_labels(lookup.matches[:MAX_SHOWN]))
        related = _related_blocks(lookup, catalog)
        related.extend(tail)
        return _payload(f"{RELATED_LEAD} {names}.", related.fitted())
    if _total(lookup) == 1:
        match = lookup.matches[0]
        blocks = _Blocks()
        if lookup.truncated:
            blocks.extend(_context(_truncated_note(lookup)))
        blocks.extend(_answer_blocks(_answer(match.entry, catalog, match)))
        blocks.extend(tail)
        return _payload(_fallback_single(match.entry, catalog), blocks.fitted())

    names = ", ".join(f"{m.entry.code} ({m.entry.family.value})" for m in lookup.matches[:MAX_SHOWN])
    more = f" and {_total(lookup) - MAX_SHOWN} more" if _total(lookup) > MAX_SHOWN else ""
    text = f"{_summary(lookup)}: {names}{more}."
    if _total(lookup) <= MAX_FULL:
        full = _full_blocks(lookup, catalog)
        full.extend(tail)
        # Full answers may lose their "see also" and known messages; if they still don't fit, go compact.
        fitted = full.fitted(keep=2)
        if _fits(fitted):
            return _payload(text, fitted)
    several = _several_blocks(lookup, catalog)
    several.extend(tail)
    return _payload(text, several.fitted())


def _by_meaning_only(lookup: Lookup) -> bool:
    """Every match came from free words, not from a code in the text."""
    return bool(lookup.matches) and all(m.how is How.MEANING for m in lookup.matches)


def _related_blocks(lookup: Lookup, catalog: Catalog) -> _Blocks:
    """Entries found by meaning: a lead that says no code was found, and one compact line pair each."""
    out = _Blocks()
    out.add(SectionBlock(text=_md(f":mag: *{mrkdwn.escape(RELATED_LEAD)}*")))
    shown = lookup.matches[:MAX_SHOWN]
    for i, (match, label) in enumerate(zip(shown, _code_labels(shown), strict=True)):
        text = "\n".join(
            (
                f"*{_seg_mrkdwn(_Code(label))}* · {mrkdwn.escape(_family_name(match.entry, catalog))}",
                mrkdwn.catalog_text(match.entry.title, 300),
            )
        )
        button = _button("Details", f"{ACTION_DETAILS}:{i}", match.entry.ref)
        out.add(SectionBlock(text=_md(mrkdwn.truncate(text, SECTION_LIMIT)), accessory=button))
    return out


def render_help() -> dict[str, Any]:
    """Usage and examples, for `/smscode help` and an empty `/smscode`."""
    out = _Blocks()
    out.add(_header("smscode: Alibaba Cloud SMS error codes, explained"))
    out.add(
        SectionBlock(
            text=_md(
                "I find Alibaba Cloud SMS, OpenAPI gateway and SMPP codes in whatever you paste, and say "
                "what each means, where it comes from, whether a retry helps, who acts, and how to fix it."
            )
        )
    )
    usage = [
        "*Ways to ask*",
        "• `/smscode QPS_LIMIT_CONTROL`: one code (typos and lower case are fine)",
        '• `/smscode {"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"…"}`: a whole API response',
        "• `/smscode stat:UNDELIV err:000`: an SMPP delivery receipt or log line",
        "• Mention the bot in a thread under a pasted log to explain that log",
        "• Message menu → *Explain SMS codes* on any message: a private answer",
        "• In channels I'm in, I reply in a thread to pasted logs that contain codes",
    ]
    out.extend(_sections(usage))
    out.extend(
        _context(
            "Covers international SMS API codes and delivery receipts, Chinese mainland SMS API codes, "
            "OpenAPI gateway errors, SMPP message states and SMPP command_status values."
        )
    )
    text = (
        f"smscode explains SMS error codes. Try {ASK_EXAMPLE} or paste a whole API response after /smscode."
    )
    return _payload(text, out.fitted())


def render_error(text: str) -> dict[str, Any]:
    """A short, friendly payload for "something went wrong" or "I can't post here"."""
    body = mrkdwn.neutralise(text, SECTION_LIMIT - 20) or "Something went wrong."
    blocks = [SectionBlock(text=_md(f":warning: {body}")).to_dict()]
    return {
        "text": mrkdwn.fallback(mrkdwn.plain(text, TARGET_TOP_TEXT - 100), TARGET_TOP_TEXT) or "Error",
        "blocks": blocks,
    }


# --- buttons: references and share values ---------------------------------------------------------


def parse_ref(value: str, catalog: Catalog) -> Entry | None:
    """The entry behind a `family:code` button value, or None for anything else."""
    if not isinstance(value, str) or len(value) > 500 or ":" not in value:
        return None
    return catalog.resolve(value.strip())


_SHARE_VERSION = 1
# (snippet length, evidence per code, notes per code, tried strings, query length), most generous first.
_SHARE_LEVELS = (
    (100, MAX_EVIDENCE, 3, MAX_TRIED, 100),
    (50, 1, 1, 5, 50),
    (24, 1, 0, 3, 24),
    (0, 0, 0, 0, 0),
)


def _dump(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _share_record(match: Match, level: tuple[int, int, int, int, int], full: bool) -> list[Any]:
    if not full:
        return [match.entry.ref]
    snip, n_ev, n_notes, _, _ = level
    evidence = [[ev.line, mrkdwn.plain(ev.snippet, snip)] for ev in match.evidence[:n_ev]] if snip else []
    notes = [mrkdwn.plain(note, 80) for note in match.notes[:n_notes]]
    matched = mrkdwn.plain(match.matched_text, min(snip, MATCHED_LIMIT))
    return [match.entry.ref, match.how.value, round(match.score, 1), match.count, matched, evidence, notes]


# A shared copy's total is only a number to show: bound what a crafted value can claim.
MAX_SHARED_TOTAL = 100_000


def share_value(lookup: Lookup) -> str:
    """What a Share button carries (≤ 2,000 characters): enough to render the same answer again.

    Ephemeral messages are not in action payloads, so the answer is rebuilt from this. Snippets are masked and
    cut; when even references don't fit, the codes past what fits are left out.
    """
    full_count = MAX_FULL if len(lookup.matches) <= MAX_FULL else MAX_SHOWN
    for level in _SHARE_LEVELS:
        _, _, _, n_tried, q_len = level
        data: dict[str, Any] = {
            "v": _SHARE_VERSION,
            "m": lookup.mode.value,
            "q": mrkdwn.plain(lookup.query, q_len) if q_len else "",
            "x": int(lookup.truncated),
            "r": [_share_record(m, level, i < full_count) for i, m in enumerate(lookup.matches)],
            "s": [s.entry.ref for s in lookup.suggestions[:MAX_SUGGESTIONS]],
            "t": [mrkdwn.plain(t, TRIED_LIMIT) for t in lookup.tried[:n_tried]],
        }
        if lookup.dropped_chars:
            data["d"] = lookup.dropped_chars
        value = _dump(data)
        if len(value) <= MAX_BUTTON_VALUE:
            return value
    # Still too long: keep the records that fit, in order, and the total, so the copy still counts them all.
    records = data["r"]
    data["r"] = []
    data["n"] = len(lookup.matches) + lookup.omitted
    budget = MAX_BUTTON_VALUE - len(_dump(data))
    kept: list[Any] = []
    for record in records:
        cost = len(_dump(record)) + 1
        if cost > budget:
            break
        kept.append(record)
        budget -= cost
    data["r"] = kept
    return _dump(data)


def _match_from_record(record: Any, catalog: Catalog) -> Match | None:
    if not isinstance(record, list) or not record or not isinstance(record[0], str):
        return None
    entry = parse_ref(record[0], catalog)
    if entry is None:
        return None
    if len(record) < 7:
        return Match(entry=entry, score=100.0, how=How.EXACT)
    _, how, score, count, matched, evidence, notes = record[:7]
    return Match(
        entry=entry,
        score=float(score),
        how=How(how),
        count=max(1, int(count)),
        matched_text=str(matched),
        evidence=[Evidence(line=int(line), snippet=str(snippet)) for line, snippet in evidence],
        notes=[str(note) for note in notes],
    )


def lookup_from_share_value(value: str, catalog: Catalog) -> Lookup:
    """Rebuild the shared answer from a Share button's value; anything invalid gives an empty Lookup."""
    empty = Lookup(query="", mode=Mode.EXPLICIT)
    if not isinstance(value, str) or len(value) > 2 * MAX_BUTTON_VALUE:
        return empty
    try:
        data = json.loads(value)
        if not isinstance(data, dict) or data.get("v") != _SHARE_VERSION:
            return empty
        matches = [m for r in data.get("r", []) if (m := _match_from_record(r, catalog)) is not None]
        suggestions = [
            Match(entry=e, score=0.0, how=How.FUZZY)
            for ref in data.get("s", [])
            if isinstance(ref, str) and (e := parse_ref(ref, catalog)) is not None
        ]
        return Lookup(
            query=str(data.get("q", "")),
            mode=Mode(data.get("m", "explicit")),
            matches=matches,
            suggestions=suggestions,
            tried=[str(t) for t in data.get("t", [])],
            truncated=bool(data.get("x", 0)),
            dropped_chars=max(0, int(data.get("d", 0))),
            omitted=max(0, min(int(data.get("n", 0)), MAX_SHARED_TOTAL) - len(matches)),
        )
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError, OverflowError):
        return empty  # OverflowError: a crafted 1e400 in a number field


# --- terminal -------------------------------------------------------------------------------------


def _width(text: str) -> int:
    """Columns a string takes in a terminal: wide East Asian characters take two, combining marks none."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text
    )


def _split_at_width(word: str, room: int) -> tuple[str, str]:
    used = 0
    for i, char in enumerate(word):
        used += _width(char)
        if used > room:
            return word[:i], word[i:]
    return word, ""


def _wrap(text: str, indent: str = "", first: str = "") -> list[str]:
    """Greedy word wrap to TERMINAL_WIDTH columns; `first` starts the first line, `indent` the others.

    Unlike textwrap, it counts display columns, so a line of Chinese message text does not run past 80."""
    lines: list[str] = []
    for n, para in enumerate(text.split("\n")):
        current = first if n == 0 else indent
        used, empty = _width(current), True
        for whole in para.split():
            word, width = whole, _width(whole)
            if not empty and used + 1 + width > TERMINAL_WIDTH:
                lines.append(current)
                current, used, empty = indent, _width(indent), True
            while used + (0 if empty else 1) + width > TERMINAL_WIDTH:  # a word longer than a line
                room = TERMINAL_WIDTH - used - (0 if empty else 1)
                piece, word = _split_at_width(word, room)
                if piece:
                    current += ("" if empty else " ") + piece
                lines.append(current)
                current, used, empty = indent, _width(indent), True
                width = _width(word)
            current += ("" if empty else " ") + word
            used, empty = used + (0 if empty else 1) + width, False
        lines.append(current)
    return [line.rstrip() for line in lines]


def _answer_text(answer: _Answer) -> list[str]:
    entry = answer.entry
    code = mrkdwn.clean(entry.code)
    lines = [*_wrap(code), "=" * min(TERMINAL_WIDTH, max(3, len(code)))]
    lines += _wrap(_plain_line(answer.context))
    lines += [
        "",
        *_wrap(mrkdwn.clean(entry.title)),
        *_wrap(mrkdwn.clean(entry.description, single_line=False)),
    ]
    lines += ["", "What to do:"]
    for i, step in enumerate(entry.remediation, start=1):
        lines += _wrap(mrkdwn.clean(step), indent="      ", first=f"  {i:>2}. ")
    lines.append("")
    for label, value in answer.facts:
        lines += _wrap(f"{label}: {_plain_line(value)}", indent="    ")
    if entry.note:
        lines += _wrap(f"Note: {mrkdwn.clean(entry.note)}", indent="    ")
    if answer.found:
        lines.append("")
        lines += [w for line in answer.found for w in _wrap(_plain_line(line), indent="    ")]
    if answer.messages:
        lines.append("Messages returned with it:")
        lines += [w for m in answer.messages for w in _wrap(_plain_line(m), indent="      ", first="    ")]
    if answer.see_also:
        lines += _wrap("See also: " + ", ".join(_plain_line(s) for s in answer.see_also), indent="    ")
    lines += _wrap(f"{doc_label(answer.doc_url)}: {answer.doc_url}", indent="    ")
    return lines


def _several_text(lookup: Lookup, catalog: Catalog) -> list[str]:
    lines = [_summary(lookup) + ":", ""]
    for i, match in enumerate(lookup.matches[:MAX_SHOWN], start=1):
        item = _item(match, catalog)
        lines += _wrap(_plain_line(item.headline), indent="    ", first=f"{i:>2}. ")
        lines += _wrap(mrkdwn.clean(item.title), indent="    ", first="    ")
        lines += _wrap(_plain_line(item.verdict), indent="    ", first="    ")
    rest = lookup.matches[MAX_SHOWN:]
    if rest or lookup.omitted:
        lines += ["", *_wrap(_plain_line(_more_names(rest, lookup.omitted)), indent="    ", first="    ")]
    lines += ["", "Details of one code: smscode explain CODE"]
    return lines


def _related_text(lookup: Lookup, catalog: Catalog) -> list[str]:
    lines = [RELATED_LEAD, ""]
    shown = lookup.matches[:MAX_SHOWN]
    for i, (match, label) in enumerate(zip(shown, _code_labels(shown), strict=True), start=1):
        headline = f"{mrkdwn.clean(label)} · {_family_name(match.entry, catalog)}"
        lines += _wrap(headline, indent="    ", first=f"{i:>2}. ")
        lines += _wrap(mrkdwn.clean(match.entry.title), indent="    ", first="    ")
    lines += ["", "Details of one code: smscode explain CODE"]
    return lines


def render_text(lookup: Lookup, catalog: Catalog) -> str:
    """The answer of `render_message` for an 80-column terminal: no Slack markup, no control characters.

    Where the Slack answer explains how to ask in Slack, the terminal explains the command line."""
    lines: list[str] = []
    if lookup.truncated:
        lines += [*_wrap(mrkdwn.clean(_truncated_note(lookup).split(" ", 1)[1])), ""]
    if _by_meaning_only(lookup):
        lines += _related_text(lookup, catalog)
    elif lookup.matches and _total(lookup) <= MAX_FULL:
        for i, match in enumerate(lookup.matches):
            if i:
                lines += ["", "-" * TERMINAL_WIDTH, ""]
            lines += _answer_text(_answer(match.entry, catalog, match))
    elif lookup.matches:
        lines += _several_text(lookup, catalog)
    if lookup.unknown:
        lines += [""] if lines else []
        lines += [w for line in _unknown_lines(lookup) for w in _wrap(_plain_line(line), indent="  ")]
    if lookup.suggestions:
        head, items = _unsure_lines(lookup, catalog)
        lines += [""] if lines else []
        lines += _wrap(_plain_line(head))
        lines += [w for item in items for w in _wrap(_plain_line(item), indent="    ", first="  ")]
    elif not lookup.matches:
        lines += [""] if lines else []
        lines += [w for line in _no_match_lines(lookup) for w in _wrap(_plain_line(line), indent="  ")]
        lines.append("")
        lines += [w for line in _how_to_ask_cli() for w in _wrap(_plain_line(line), indent="  ")]
    return "\n".join(lines).rstrip() + "\n"
