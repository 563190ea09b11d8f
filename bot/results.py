"""Typed results of a lookup: what matched, how well, how, and where it was seen."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.catalog import Entry, Outcome


class Mode(StrEnum):
    """Explicit: someone asked the bot. Passive: the bot read a message not addressed to it."""

    EXPLICIT = "explicit"
    PASSIVE = "passive"


class How(StrEnum):
    """How a candidate was tied to an entry, strongest first."""

    EXACT = "exact"  # the code itself, ignoring case and separators
    ALIAS = "alias"  # a catalogued alias (EXPIRED_DLR_UNKNOWN, DND, DELIVRD)
    NUMERIC = "numeric"  # an SMPP command_status by hex or decimal value
    RANGE = "range"  # a command_status inside a reserved or vendor-specific range
    # a bare number read in Alibaba's own "SMPP error code" numbering of international codes (48 is
    # QPS_LIMIT_CONTROL there), which is not the standard command_status numbering
    ALIBABA_NUMBER = "alibaba_number"
    MESSAGE = "message"  # a known message text, with no code beside it
    FUZZY = "fuzzy"  # a near spelling (typo, missing or extra underscore)
    MEANING = "meaning"  # free words against titles and descriptions (explicit questions only)


@dataclass(frozen=True)
class Evidence:
    """Where a candidate was seen: 1-based line number and a short snippet of that line."""

    line: int
    snippet: str


@dataclass
class Match:
    """One entry found in the input."""

    entry: Entry
    score: float  # 0 to 100
    how: How
    evidence: list[Evidence] = field(default_factory=list)
    count: int = 1  # how often it occurred in the input
    matched_text: str = ""  # the candidate text that produced it
    notes: list[str] = field(default_factory=list)  # context read from the input ("hourly cap of 5")


@dataclass
class Lookup:
    """The whole answer to one input: confident matches, and choices when unsure."""

    query: str  # the normalised input, for "what was tried"
    mode: Mode
    matches: list[Match] = field(default_factory=list)
    suggestions: list[Match] = field(default_factory=list)  # "did you mean" when nothing is confident
    tried: list[str] = field(default_factory=list)  # candidate strings looked up, for the no-match answer
    # codes written where a code belongs ("Code": "…", err_code, an isv./isp. name) that are not in the
    # catalogue, masked; their close spellings are only ever suggestions
    unknown: list[str] = field(default_factory=list)
    truncated: bool = False  # the input was longer than the bound and was cut (its middle left out)
    dropped_chars: int = 0  # how many characters of the input's middle were left out when it was cut
    # matches found but not carried here: a shared copy keeps only the codes its button value could hold
    omitted: int = 0

    @property
    def found(self) -> bool:
        return bool(self.matches)

    @property
    def worth_a_passive_reply(self) -> bool:
        """Unasked, the bot speaks only about codes that did not succeed: "DELIVRD" in a channel is no news.

        Someone who asks (a command, a mention, the shortcut) still gets successes explained.
        """
        return any(match.entry.outcome is not Outcome.SUCCESS for match in self.matches)
