"""Matching and ranking: tie the candidates of a paste to catalogue entries, best first.

`find_codes(text, catalog, mode)` normalises and extracts (`bot.normalize`, `bot.extract`), then looks every
candidate up in an index built once per catalogue (`index_for`). How a candidate can match, strongest first:

==============  =====  ================================================================================
how             score  rule
==============  =====  ================================================================================
exact           100    the code, ignoring case and `_` / space / `-` / `'` differences (`.` is kept, so
                       `isv.X` and `X` stay apart); also a code glued to `Error` or behind an enum prefix
alias           95/90  a catalogued alias or an SMPP short form (`DELIVRD`, `EXPIRED_DLR_UNKNOWN`); 90 for a
                       longer word that starts with a 7-letter receipt word (`stat:UNDELIVERED` → UNDELIV)
numeric         95/92  an SMPP command_status by value (hex / decimal) in a status context
range           70     a command_status inside a reserved or vendor-specific range (never the nearest name)
alibaba_number  90/68  a number asked about, read in Alibaba's own "SMPP error code" numbering (48 is
                       QPS_LIMIT_CONTROL there): a match when the text names Alibaba, else a suggestion
                       beside the standard reading, both with a note on the ambiguity
message         85     a known message text with no code beside it ("Specified access key is not found.")
fuzzy           ≤ 99   a near spelling, or a code typed short of its end; see the cut-offs below
meaning         ≤ 75   free words against titles, code words, aliases and descriptions (explicit mode only)
==============  =====  ================================================================================

Fuzzy cut-offs. The scorer is `rapidfuzz.fuzz.ratio` (normalised Indel similarity) on keys with case and
separators removed, because a typo in a code is a dropped, doubled or swapped letter, which ratio counts
directly; `partial_ratio` and `token_set_ratio` were not used because they score a short code inside a longer
sibling as a perfect match (`LENGTH_LIMIT` in `PARAM_LENGTH_LIMIT`). A length guard
(`|len(a) - len(b)| <= max(3, len(b) // 4)`) drops choices of a clearly different size. Only keys of at
least `FUZZY_MIN_CHARS` characters are tried, and only code-shaped tokens (`_` or `.` with letters, CamelCase,
capitals of five letters or more), values of code keys, and a short question as a whole: never an ordinary
lower-case word ("thanks") or a link.

- `FUZZY_CONFIDENT` (88): a match. `QPS_LIMT_CONTROL` → `QPS_LIMIT_CONTROL` scores 96.6.
- `FUZZY_SUGGEST` (75): below the match line, a "did you mean" suggestion. `LENGTH_LIMIT` against
  `PARAM_LENGTH_LIMIT` scores 81: a suggestion at most, and never when the exact code was found.
- Beside a confident match, other spellings are suggested only within `FUZZY_SUGGEST_GAP` (8) points of it.
- An exact or alias hit for a candidate suppresses fuzzy look-ups for it, so close siblings
  (`SYSTEM_ERROR`/`SYSTEM_ERR`, `REJECTED_FLOODING_CONTROL`/`…_AL`) never crowd out the code typed.
- A near spelling never bridges a negating prefix: `UNDELIVERED` is not a typo of `DELIVERED`, nor
  `NOT_DELIVERED` of it (`_bridges_negation`; prefixes not, non, un, in, no, dis).
- A code typed short of its end (`isv.business limit`, `QPS_LIMIT_CONTRO`; at least `PREFIX_MIN_CHARS`):
  when exactly one entry's own code starts with it, that code matches (90); other completions are
  suggestions, own codes before aliases.

Unknown codes. A value in a code context (`"Code": "…"`, `err_code`, `sub_code`, `stat:`), a Chinese carrier
status (`MK:0001`) or an `isv.`/`isp.` name that matches nothing exactly is reported in `Lookup.unknown`
(masked): the catalogue does not have it. Its near spellings are only suggestions (a typed `isv.` name may
still be a confident typo), and the text is not searched by meaning.

Meaning cut-offs: a query's coverage is the share of its words' weight (IDF times field weight: title 3,
code words 2.5, aliases 2, description and message meanings 1; two query words side by side in one field add
half again) found in an entry, capped at 1. Words are stemmed and domain synonyms merged (`_SYNONYM_GROUPS`:
balance/credit/funds, long/length, sender/senderid, signature/sign, number/phone/mobile/recipient,
limit/cap/quota/throttle/rate, …); chat words ("thanks", "fixed", "look") are stop words. An entry needs
`MEANING_MIN_MATCHED` (2) of the query's words, or for a one-word question that word in its title, code or
aliases. `MEANING_CONFIDENT` (0.40) makes a match (at most `MEANING_TOP`, only for questions of at least
`MEANING_MIN_WORDS` content words and at least one plain word), `MEANING_SUGGEST` (0.20) a suggestion. A
question with a negation ("not delivered", "fails") never gets a success entry. Inputs longer than
`MEANING_MAX_CHARS` are pastes, not questions, and are never searched by meaning.

Modes. Explicit (someone asked): everything above, plus suggestions when unsure. An ordinary word that is also
a code (`OK`, `expired`, `DELIVERED`, `rejected`) counts only when the question is essentially that word
("/smscode expired", "what does DELIVERED mean?") or in a code context; in a sentence ("sms not delivered to
india", "the request looks ok") it is just a word, and never beside a code-shaped one. A receipt word that is
no English word (`DELIVRD`, `REJECTD`) counts anywhere. Passive (the bot overheard): only exact, alias,
numeric, range and message matches, and ordinary words only in a code context (`stat:EXPIRED`,
`"ErrorCode":"success"`, `code=OK`); a multi-word code in free text counts only when it is at least four words
long ("please do not disturb" is chat). Passive mode also needs:

- SMPP words near a status number (`Extraction.smpp_near`): "exit status 0x58" or "usb error code 0xb" is
  not an SMPP command_status. Explicit mode asks the same, except for a number asked about ("0x00000058",
  "48"); a short question without SMPP words only gets a suggestion. Values from 0x80000000 up are command
  ids and never statuses.
- A message field around a known message (`Message:`, `"msg"`, `sub_msg`, `ErrorMessage`,
  `ResponseDescription`, …), unless the message is specific on its own: at least `MESSAGE_MIN_WORDS` (5)
  words in English ("Specified access key is not found."), at least `MESSAGE_MIN_CJK_CHARS` (8) characters in
  Chinese (CJK characters and Latin letters count one each: 触发小时级流控Permits:5 is; 系统错误 and
  账户余额不足 are not). "ERROR: Invalid Password for user postgres" is not an SMPP bind failing.
- A sign of Alibaba Cloud (`_ALIBABA_SIGN`, not denied as in "not alibaba") for code names other clouds use
  too (`Entry.shared_name`: InvalidAccessKeyId, SignatureDoesNotMatch, Throttling, InternalError, …): an AWS
  or Azure error is not ours to explain. Explicit answers keep them and add `SHARED_NAME_NOTE`.

Messages. A known message beside a code (within `MESSAGE_NEAR_LINES`) is that code's message: it adds a note
(a Chinese message explained in English; a flow-control window and cap) instead of a second match.

Order. Several codes come back in order of first appearance, each entry once with its count (distinct lines)
and evidence (capped at `MAX_EVIDENCE`). A code string in several families returns every family: the context
decides first (`stat:` → smpp-state; a dysmsapi body with `BizId` or `isv.` codes → cn-api;
`ResponseCode`/`Segments` → intl-api; a receipt body, `ErrorCode` beside `To`/`MessageId`/`SendDate`, →
intl-receipt), then the family whose code is written in the same case (`EXPIRED` → smpp-state, `expired` →
intl-receipt), then FamilyId order.

What was looked up (`Lookup.tried`, shown when nothing matched) lists only words that survive masking of the
text around them, so `AccessKeySecret=…` or `john.smith@…` never come back one token at a time.

All work is linear in the input, and bounded: the input is cut at `bot.normalize.MAX_INPUT_CHARS`, tokens at
`MAX_CANDIDATES`, fuzzy look-ups at `MAX_FUZZY_LOOKUPS`, occurrences of one message at `MAX_MESSAGE_HITS`.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.catalog import Catalog, Entry, FamilyId, KnownMessage, Outcome
from bot.extract import (
    CODE_KEYS,
    FIELD_KEYS,
    MESSAGE_KEYS,
    RECEIPT_KEYS,
    Candidate,
    Context,
    Extraction,
    Fact,
    extract,
    fold_code,
    fold_key,
    has_other_forms,
    is_carrier_status,
    is_code_shaped,
    is_fuzzy_worthy,
    lookup_forms,
)
from bot.normalize import normalize_text
from bot.redact import mask_sensitive
from bot.results import Evidence, How, Lookup, Match, Mode

FUZZY_CONFIDENT = 88.0
FUZZY_SUGGEST = 75.0
FUZZY_MIN_CHARS = 5
FUZZY_SUGGEST_GAP = 8.0
MEANING_CONFIDENT = 0.40
MEANING_SUGGEST = 0.20
MEANING_TOP = 3
MEANING_MIN_WORDS = 2  # a one-word question ("err") is too thin to assert a meaning; it only suggests
MEANING_MAX_CHARS = 400  # a longer input is a paste, not a question in words: no search by meaning
MAX_EVIDENCE = 5
MAX_NOTES = 8
MAX_SUGGESTIONS = 5
MAX_FUZZY_LOOKUPS = 200
MAX_MESSAGE_HITS = 50
MAX_TRIED = 20
MAX_UNKNOWN = 5
NUMBER_QUESTION_WORDS = 6  # explicit: a status number outside SMPP text is offered in a question this short
MESSAGE_MIN_WORDS = 5  # passive: an English message with no message key around it must be this long
MESSAGE_MIN_CJK_CHARS = 8  # ... and a Chinese one this many characters (CJK and Latin letters count one each)
PREFIX_MIN_CHARS = 8  # explicit: a code typed short of its end ("isv.business limit") is completed
MEANING_MIN_MATCHED = 2  # query words an entry must share with a question to be offered by meaning
TRIED_WINDOW = 300  # characters either side of a tried word that are masked to see whether it survives
SHARED_NAME_NOTE = (
    "This code name is also used by other clouds (AWS, Azure); this answer is for Alibaba Cloud's gateway."
)
QUERY_CHARS = 1000  # Lookup.query keeps this much of the normalised input
MASK_MARGIN = 200  # text masked beyond a cut, so that what is kept was masked whole
SHORT_INPUT_CHARS = 1000  # explicit mode joins neighbouring words ("qps limit control") in inputs this short
SHORT_QUESTION_WORDS = 8  # a question this short is also fuzzy-matched as a whole
MESSAGE_NEAR_LINES = 3  # a message with a code this close is that code's message, not a match of its own
HINT_NEAR_LINES = 12  # keys this close to a code say which family it belongs to
FLOW_NEAR_LINES = 6  # a flow-control cap this close to a code explains it

_SCORE = {
    How.EXACT: 100.0,
    How.ALIAS: 95.0,
    How.NUMERIC: 95.0,
    How.RANGE: 70.0,
    How.ALIBABA_NUMBER: 90.0,
    How.MESSAGE: 85.0,
}
TRUNCATED_SCORE = 90.0  # stat:UNDELIVERED read as the receipt word UNDELIV
PREFIX_SCORE = 90.0  # the one catalogue code that starts with what was typed
PREFIX_SUGGEST_SCORE = 84.0  # one of several codes that start with it
ALIBABA_SUGGEST_SCORE = 68.0  # a bare number in Alibaba's numbering: below the standard reading
_HOW_RANK = {how: i for i, how in enumerate(How)}
_FAMILY_RANK = {fid: i for i, fid in enumerate(FamilyId)}

_WORDS = re.compile(r"[A-Za-z0-9_]+(?:[.\-][A-Za-z0-9_]+)*")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_EDGE_PUNCT = " .。!！?？:：;；,，\"'"
_MESSAGE_TAIL = re.compile(r"[^\n\"',;}\]]{0,60}")


def fold_message(text: str) -> str:
    """The key a message text is compared by: case, spacing, numbers and end punctuation do not count."""
    text = _DIGITS.sub("#", text.casefold())
    return _SPACES.sub(" ", text).strip(_EDGE_PUNCT)


def phrase_words(text: str) -> str:
    """The words of a phrase, case-folded and joined by single spaces ("DON'T DISTURB" → "don t disturb")."""
    return " ".join(_WORDS.findall(text.casefold()))


# --- the index ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Phrase:
    words: str  # phrase_words() of the text
    size: int  # number of words
    entry: Entry
    how: How
    message: KnownMessage | None


@dataclass(frozen=True, slots=True)
class _CjkMessage:
    needle: str  # the message up to its first digit, case-folded ("触发小时级流控permits:")
    entry: Entry
    message: KnownMessage


class CodeIndex:
    """Look-up tables for one catalogue; built once (`index_for`) and read by every `find_codes` call."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.exact: dict[str, list[Entry]] = {}
        self.alias: dict[str, list[Entry]] = {}
        self.values: dict[int, Entry] = {}
        self.ranges: list[tuple[int, int, Entry]] = []
        self.messages: dict[str, list[tuple[Entry, KnownMessage]]] = {}
        self.phrases: dict[str, list[_Phrase]] = {}
        self.cjk_messages: list[_CjkMessage] = []
        self.alibaba_numbers: dict[int, Entry] = {}
        self.short_forms: dict[str, list[Entry]] = {}  # folded 7-letter receipt words (undeliv)
        fuzzy: dict[str, list[tuple[Entry, How]]] = {}
        shaped: set[str] = set()  # folded codes and aliases written like codes (QPS_LIMIT_CONTROL, isv.X)
        for entry in catalog:
            own = fold_code(entry.code)
            shaped.update(fold_code(c) for c in (entry.code, *entry.aliases) if is_code_shaped(c))
            _add(self.exact, own, entry)
            self._add_phrase(entry.code, entry, How.EXACT, None)
            if entry.value_range is None:
                fuzzy.setdefault(own, []).append((entry, How.EXACT))
            for alias in [*entry.aliases, entry.short_form or ""]:
                key = fold_code(alias)
                if not key or key == own or entry in self.alias.get(key, ()):
                    continue
                _add(self.alias, key, entry)
                self._add_phrase(alias, entry, How.ALIAS, None)
                fuzzy.setdefault(key, []).append((entry, How.ALIAS))
            if entry.value is not None:
                self.values[entry.value] = entry
            if entry.value_range is not None:
                self.ranges.append((entry.value_range[0], entry.value_range[1], entry))
            for known in entry.messages:
                self.messages.setdefault(fold_message(known.text), []).append((entry, known))
                if _CJK.search(known.text):
                    needle = known.text.casefold()
                    digit = _DIGITS.search(needle)
                    if digit and digit.start() >= 4:
                        needle = needle[: digit.start()]
                    self.cjk_messages.append(_CjkMessage(needle, entry, known))
                else:
                    self._add_phrase(known.text, entry, How.MESSAGE, known)
            if entry.alibaba_smpp_code is not None:
                self.alibaba_numbers.setdefault(entry.alibaba_smpp_code, entry)
            if entry.short_form:
                _add(self.short_forms, fold_code(entry.short_form), entry)
        self.ranges.sort(key=lambda r: (r[1] - r[0], r[0]))  # narrowest range first
        # A long paste's free words worth keeping (extract's vocabulary): codes and aliases shaped like
        # codes, and the first words of multi-word codes and messages. An ordinary word that is also a code
        # (ok, expired) is not: in a paste it counts only in a code context, and values of code keys are
        # always kept. So 17,000 lines of "request N ok" cannot use up the candidate cap before the code.
        self.vocabulary = frozenset(self.phrases) | frozenset(shaped)
        self.fuzzy_keys = list(fuzzy)
        self.fuzzy_targets = [fuzzy[k] for k in self.fuzzy_keys]
        # for completing a code typed short of its end: keys in order, and whether each is an entry's own code
        self.sorted_keys = sorted(self.fuzzy_keys)
        self.own_keys = frozenset(
            k for k, targets in fuzzy.items() if any(h is How.EXACT for _, h in targets)
        )
        self._positions = {k: i for i, k in enumerate(self.fuzzy_keys)}
        self._meaning: _MeaningIndex | None = None

    @property
    def meaning(self) -> _MeaningIndex:
        """The word index for questions in words, built on the first such question (keeps start-up fast)."""
        if self._meaning is None:
            self._meaning = _MeaningIndex(list(self.catalog))
        return self._meaning

    def _add_phrase(self, text: str, entry: Entry, how: How, message: KnownMessage | None) -> None:
        words = phrase_words(text)
        size = words.count(" ") + 1
        if size < 2:
            return
        first = fold_code(words.split(" ", 1)[0])
        self.phrases.setdefault(first, []).append(_Phrase(words, size, entry, how, message))

    def completions(self, key: str) -> list[str]:
        """Catalogue keys (codes and aliases, folded) that start with `key` and are longer, shortest first."""
        i = bisect.bisect_right(self.sorted_keys, key)
        found: list[str] = []
        while i < len(self.sorted_keys) and self.sorted_keys[i].startswith(key) and len(found) < 20:
            found.append(self.sorted_keys[i])
            i += 1
        return sorted(found, key=lambda k: (len(k), k))

    def targets(self, key: str) -> list[tuple[Entry, How]]:
        return self.fuzzy_targets[self._positions[key]]

    def by_number(self, value: int) -> tuple[Entry, How] | None:
        entry = self.values.get(value)
        if entry is not None:
            return entry, How.NUMERIC
        for low, high, ranged in self.ranges:
            if low <= value <= high:
                return ranged, How.RANGE
        return None


def _add(table: dict[str, list[Entry]], key: str, entry: Entry) -> None:
    table.setdefault(key, []).append(entry)


# Alibaba's international pages number their API codes in an "SMPP error code" column (reference E.7). The
# catalogue keeps that number in the entry's note as "... column lists <CODE or 'this code'> as <N>".
_INDEXES: dict[int, tuple[weakref.ref[Catalog], CodeIndex]] = {}


def index_for(catalog: Catalog) -> CodeIndex:
    """The index of `catalog`, built on first use and kept for as long as the catalogue lives."""
    held = _INDEXES.get(id(catalog))
    if held is not None and held[0]() is catalog:
        return held[1]
    index = CodeIndex(catalog)
    key = id(catalog)
    cache = _INDEXES  # bound now: module globals may already be gone when the callback runs at exit
    _INDEXES[key] = (weakref.ref(catalog, lambda _ref: cache.pop(key, None)), index)
    return index


# --- meaning ---------------------------------------------------------------------------------------

_STOP_WORDS = (
    "a an the of for on in to my our your their its it is are was were be been am i we you they me us "
    "this that "
    "these those what which who whom why how when where does do did done mean means meaning please help "
    "with by at or and as from about can could would should will shall there here any some got get gets "
    "getting keep keeps error errors code codes sms issue problem hi hey thanks thank "
    "after before into than then so if but just also only very too request requests "
    "anyone someone somebody anybody everyone nobody something anything everything "
    # chat around a question: none of these says which code is meant
    "thx cheers fix fixed fixes work works worked working look looks looking hello great cool nice "
    "awesome sorry ok okay yes yeah smscode bot"
)
_STOP = frozenset(_STOP_WORDS.split())
# Words that say something did not happen: a question holding one is about a failure, so entries that mean
# success are never offered for it by meaning ("sms not delivered" is not DELIVERED).
_NEGATION_WORDS = (
    "not no never cannot unable without fail failed fails failing failure didn doesn isn wasn aren won "
    "hasn haven couldn undelivered"
)
_NEGATIONS = frozenset(_NEGATION_WORDS.split())
_NEGATED_STEMS = frozenset({"not", "no", "never", "cannot", "unable", "without"})
_IRREGULAR = {
    "daily": "day",
    "hourly": "hour",
    "monthly": "month",
    "weekly": "week",
    "yearly": "year",
    "sent": "send",
    "per": "per",
    "numbers": "number",
}
# Domain words people use for the same thing; each group is read as its first word, in the index and in
# questions alike ("balance empty" finds "amount not enough"; "sender" finds "senderid"; "throttled" finds
# "limit"). Stems are taken of every word, so the groups can be written in plain English.
_SYNONYM_GROUPS = (
    "balance credit credits fund funds money amount arrears overdue recharge topup prepaid",
    "insufficient enough empty exhausted depleted",
    "length long longer lengthy size character characters chars",
    "sender senderid originator",
    "signature sign signname",
    "number phone mobile recipient msisdn handset",
    "limit cap quota throttle throttled throttling rate frequency",
    "exceed exceeded many excess over maximum",
    "single one same individual",
    "reject rejected refused blocked denied deny",
)
_MEANING_WORD = re.compile(r"[a-z][a-z0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")
_LINK = re.compile(r"(?i)(?<![a-z])(?:https?|ftp)://[^\s\"'<>]{0,4000}")
_W_TITLE, _W_CODE, _W_ALIAS, _W_TEXT = 3.0, 2.5, 2.0, 1.0


def _plain_stem(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)] + repl
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


_SYNONYMS = {
    _plain_stem(word): _plain_stem(group.split()[0]) for group in _SYNONYM_GROUPS for word in group.split()
}


def _stem(word: str) -> str:
    stem = _plain_stem(word)
    return _SYNONYMS.get(stem, stem)


def meaning_words(text: str) -> list[str]:
    """Content words of free text, stemmed and with synonyms merged, in order."""
    return [_stem(w) for w in _MEANING_WORD.findall(text.casefold()) if w not in _STOP]


def is_negated(text: str) -> bool:
    """Whether a question says something did not happen ("not delivered", "why does it fail")."""
    return any(w in _NEGATIONS for w in _MEANING_WORD.findall(text.casefold()))


def _code_words(code: str) -> list[str]:
    words: list[str] = []
    for part in re.split(r"[_.\s'\-]+", code):
        words.extend(_CAMEL.findall(part) if not part.isupper() else [part])
    return [_stem(w.casefold()) for w in words if w and w.casefold() not in _STOP]


@dataclass(frozen=True, slots=True)
class _MeaningHit:
    entry: Entry
    coverage: float  # share of the question's word weight found in the entry, 0 to 1
    words: frozenset[str]  # the question's words found in the entry
    named: bool  # some question word is in the entry's title, code or aliases (not only its description)

    @property
    def matched(self) -> int:
        """Question words found in the entry, a negation ("not") only beside a word that says what."""
        content = len(self.words - _NEGATED_STEMS)
        return len(self.words) if content else 0


_PAIR_FACTOR = 0.5  # two question words side by side in an entry's text ("one number") add half again


class _MeaningIndex:
    """A small inverted index of entry texts, for questions asked in words."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = entries
        self.postings: dict[str, list[tuple[int, float]]] = {}
        self.pair_postings: dict[tuple[str, str], list[tuple[int, float]]] = {}
        for i, entry in enumerate(entries):
            doc: dict[str, float] = {}
            pairs: dict[tuple[str, str], float] = {}
            fields: list[tuple[list[str], float]] = [
                (meaning_words(entry.title), _W_TITLE),
                (_code_words(entry.code), _W_CODE),
                *((_code_words(a), _W_ALIAS) for a in entry.aliases),
                (meaning_words(entry.description), _W_TEXT),
                *((meaning_words(m.meaning), _W_TEXT) for m in entry.messages),
            ]
            for words, weight in fields:
                for w in words:
                    if doc.get(w, 0.0) < weight:
                        doc[w] = weight
                for pair in itertools.pairwise(words):
                    if pair[0] != pair[1] and pairs.get(pair, 0.0) < weight:
                        pairs[pair] = weight
            for w, weight in doc.items():
                self.postings.setdefault(w, []).append((i, weight))
            for pair, weight in pairs.items():
                self.pair_postings.setdefault(pair, []).append((i, weight))
        n = max(len(entries), 1)
        self.idf = {w: math.log(1.0 + n / len(p)) for w, p in self.postings.items()}
        self.max_idf = math.log(1.0 + n)

    def words(self, text: str) -> list[str]:
        """The distinct content words of a question (links dropped: a URL is not a question)."""
        return list(dict.fromkeys(meaning_words(_LINK.sub(" ", text))))[:40]

    def search(self, text: str) -> list[_MeaningHit]:
        """Entries by coverage of the question's words, best first.

        An entry scores each question word it holds (IDF times the weight of the best field holding it),
        and half again for two question words that stand side by side in one of its fields, so that
        "too many messages to one number" prefers "messages ... to one number" over "recipients in one
        batch". Coverage is that score over what the question's words could score in a title.
        """
        sequence = meaning_words(_LINK.sub(" ", text))[:60]
        words = list(dict.fromkeys(sequence))[:40]
        if not words:
            return []
        # "sender id" also looks for "senderid", as code words are written glued; a glued pair counts for
        # both of its words
        terms: dict[str, tuple[str, ...]] = {w: (w,) for w in words}
        for a, b in itertools.pairwise(words):
            glued = _stem(a + b)
            if glued in self.idf and glued not in terms:
                terms[glued] = (a, b)
        denominator = _W_TITLE * sum(self.idf.get(w, self.max_idf) for w in words)
        scores: dict[int, float] = {}
        found: dict[int, set[str]] = {}
        named: set[int] = set()
        for term, sources in terms.items():
            idf = self.idf.get(term)
            if idf is None:
                continue
            for i, weight in self.postings[term]:
                scores[i] = scores.get(i, 0.0) + idf * weight
                found.setdefault(i, set()).update(sources)
                if weight >= _W_ALIAS:
                    named.add(i)
        for pair in dict.fromkeys(itertools.pairwise(sequence)):
            postings = self.pair_postings.get(pair)
            if not postings:
                continue
            bonus = _PAIR_FACTOR * (self.idf.get(pair[0], 0.0) + self.idf.get(pair[1], 0.0)) / 2
            for i, weight in postings:
                if i in scores:
                    scores[i] += bonus * weight
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return [
            _MeaningHit(self.entries[i], min(1.0, s / denominator), frozenset(found[i]), i in named)
            for i, s in ranked[:12]
        ]


# --- hits and their assembly ----------------------------------------------------------------------


@dataclass(slots=True)
class _Hit:
    entry: Entry
    how: How
    score: float
    line: int
    start: int
    snippet_of: Candidate | None  # where to cut the evidence snippet from
    text: str  # the candidate text that produced it
    origin: str  # "code", "message", "fuzzy", "meaning"
    family_rank: int = 0
    wordy: bool = False  # an ordinary word matched in free text (explicit mode only)
    message: KnownMessage | None = None
    notes: list[str] = field(default_factory=list)


_GROUP = {"code": 0, "message": 0, "fuzzy": 1, "meaning": 2}

_HINT_KEYS: dict[str, FamilyId] = {
    "bizid": FamilyId.CN_API,
    "responsecode": FamilyId.INTL_API,
    "responsedescription": FamilyId.INTL_API,
    "segments": FamilyId.INTL_API,
    "errordescription": FamilyId.INTL_RECEIPT,
    "senddate": FamilyId.INTL_RECEIPT,
    "receivedate": FamilyId.INTL_RECEIPT,
    "smssize": FamilyId.INTL_RECEIPT,
    "stat": FamilyId.SMPP_STATE,
    "dlvrd": FamilyId.SMPP_STATE,
    "commandstatus": FamilyId.SMPP_STATUS,
}
# An international receipt carries its code in ErrorCode beside the recipient and message id; an API
# response says ResponseCode. ErrorCode with one of these on the line is a receipt body.
_RECEIPT_BODY_KEYS = frozenset({"to", "messageid", "senddate", "receivedate", "smssize", "status"})

# Signs that a text comes from Alibaba Cloud, for code names other clouds use too (`shared_name` entries:
# InvalidAccessKeyId, SignatureDoesNotMatch, Throttling, InternalError, ...). Any one is enough:
# - a product or domain name: aliyun (aliyuncs.com hosts, aliyunsdkcore, error-center.aliyun.com and the
#   api.aliyun.com/troubleshoot link of a "Recommend" field), alibaba / alibabacloud (SDKs), alicloud,
#   dysmsapi, 阿里云;
# - an isv./isp. code, an SDK.* code, an AccessKey id (LTAI…), an x-acs-* header, Aliyun.Acs (C# SDK);
# - SMS API words: SendSms, SendBatchSms, SendMessageToGlobe, BatchSendMessageToGlobe,
#   SendMessageWithTemplate, QuerySendDetails, TemplateCode, SignName, BizId;
# - Tea SDK names: TeaException, tea_openapi, darabonba.
_ALIBABA_SIGN = re.compile(
    r"(?i)aliyun|alibaba|alicloud|dysms|阿里云|(?<![a-z0-9])(?:isv|isp)\.[a-z]|(?<![a-z0-9.])sdk\.[a-z]"
    r"|(?-i:LTAI)[A-Za-z0-9]{8}|x-acs-|(?<![a-z])(?:send(?:batch)?sms|(?:batch)?sendmessagetoglobe"
    r"|sendmessagewithtemplate|querysenddetails|templatecode|signname|bizid)(?![a-z])"
    r"|teaexception|tea_openapi|darabonba"
)
_DENIED = re.compile(r"(?i)(?<![a-z])(?:not|no|non|isn't|without)[ \t-]{1,3}$")
MAX_SIGNS = 50  # signs of Alibaba read before giving up (all denied)
# Words of a question's frame around the one thing asked ("what does EXPIRED mean?", "/smscode expired",
# "we got OK?"). Anything else beside an ordinary word makes it a sentence, where the word is just a word.
_FRAME_WORDS = (
    "what whats which does do did is are was mean means meaning the a an this that code codes status state "
    "stat error errors explain smscode sms message messages please pls about of for hi hey help tell me "
    "we i got get getting see seeing"
)
_FRAME = frozenset(_FRAME_WORDS.split())


class _Reader:
    """One lookup's working state: the extraction, the index, and the hits found so far."""

    def __init__(self, extraction: Extraction, index: CodeIndex, mode: Mode) -> None:
        self.ex = extraction
        self.index = index
        self.mode = mode
        self.explicit = mode is Mode.EXPLICIT
        self.hits: list[_Hit] = []
        self.suggestions: list[_Hit] = []
        self.unknown: dict[str, Candidate] = {}  # codes in a code context that nothing matched exactly
        self.suggest_only: set[str] = set()  # fuzzy keys whose close spellings may only be suggestions
        self._line_starts: list[int] | None = None
        self._hint_lines: dict[int, set[FamilyId]] | None = None
        self._orders: dict[tuple[bool, int], list[FamilyId]] = {}  # by (receipt?, window version)
        self._alibaba: bool | None = None
        self._message_spans: list[tuple[int, int]] | None = None
        self._window_counts: dict[FamilyId, int] = {}
        self._window_line: int | None = None
        self._window_version = 0

    @property
    def alibaba(self) -> bool:
        """Whether the text shows a sign of Alibaba Cloud (see `_ALIBABA_SIGN`); searched on first use.

        A sign that is denied ("not alibaba", "non-Aliyun") does not count.
        """
        if self._alibaba is None:
            text = self.ex.text
            self._alibaba = False
            for n, sign in enumerate(_ALIBABA_SIGN.finditer(text)):
                if n >= MAX_SIGNS:
                    break
                if not _DENIED.search(text, max(0, sign.start() - 12), sign.start()):
                    self._alibaba = True
                    break
        return self._alibaba

    def in_message_value(self, start: int) -> bool:
        """Whether `start` is in the value of a message-named key (Message, msg, sub_msg, ErrorMessage…)."""
        if self._message_spans is None:
            self._message_spans = [
                (c.start, c.end)
                for c in self.ex.candidates
                if c.context is Context.MESSAGE and c.key in MESSAGE_KEYS
            ]
        spans = self._message_spans
        i = bisect.bisect_right(spans, (start, len(self.ex.text) + 1)) - 1
        return i >= 0 and spans[i][0] <= start < max(spans[i][1], spans[i][0] + 1)

    # line numbers for offsets found outside the extractor (CJK message search)
    def line_of(self, offset: int) -> int:
        if self._line_starts is None:
            text = self.ex.text
            starts = [0]
            pos = text.find("\n")
            while pos >= 0:
                starts.append(pos + 1)
                pos = text.find("\n", pos + 1)
            self._line_starts = starts
        return bisect.bisect_right(self._line_starts, offset)

    def family_order(self, context: Context, line: int) -> list[FamilyId]:
        """Families the context points to, strongest first (ties keep FamilyId order)."""
        if self._hint_lines is None:
            hints: dict[int, set[FamilyId]] = {}
            for ln, keys in self.ex.keys_by_line.items():
                fams = {_HINT_KEYS[k] for k in keys if k in _HINT_KEYS}
                if "errorcode" in keys and keys & _RECEIPT_BODY_KEYS:
                    fams.add(FamilyId.INTL_RECEIPT)
                if fams:
                    hints.setdefault(ln, set()).update(fams)
            for cand in self.ex.candidates:
                low = cand.text[:4].casefold()
                if low in ("isv.", "isp.") or cand.text.casefold().startswith("dysmsapi"):
                    hints.setdefault(cand.line, set()).add(FamilyId.CN_API)
            self._hint_lines = hints
        counts = self._window(line)
        memo = (context is Context.RECEIPT, self._window_version)
        known = self._orders.get(memo)
        if known is not None:
            return known
        order: list[FamilyId] = []
        if context is Context.RECEIPT:
            order.append(FamilyId.SMPP_STATE)
        order += sorted((f for f, n in counts.items() if n > 0), key=lambda f: (-counts[f], _FAMILY_RANK[f]))
        self._orders[memo] = order
        return order

    def _window(self, line: int) -> dict[FamilyId, int]:
        """Family hints on the lines within HINT_NEAR_LINES of `line`, counted per family.

        Codes are read in line order, so the window usually slides forward a line or two: the lines that
        enter are added and those that leave are taken away, and a long paste costs O(lines), not
        O(lines x window)."""
        hints = self._hint_lines or {}
        counts, last = self._window_counts, self._window_line
        if last == line:
            return counts
        if last is not None and 0 < line - last <= 2 * HINT_NEAR_LINES:
            delta: dict[FamilyId, int] = {}
            for ln in range(last + 1, line + 1):
                for fam in hints.get(ln + HINT_NEAR_LINES, ()):
                    delta[fam] = delta.get(fam, 0) + 1
                for fam in hints.get(ln - HINT_NEAR_LINES - 1, ()):
                    delta[fam] = delta.get(fam, 0) - 1
            changed = {f: d for f, d in delta.items() if d}
            for fam, d in changed.items():
                counts[fam] = counts.get(fam, 0) + d
            if changed:  # the same hints in and out (a log of like lines): the order already known holds
                self._window_version += 1
        else:
            counts.clear()
            for ln in range(line - HINT_NEAR_LINES, line + HINT_NEAR_LINES + 1):
                for fam in hints.get(ln, ()):
                    counts[fam] = counts.get(fam, 0) + 1
            self._window_version += 1
        self._window_line = line
        return counts

    def add(
        self,
        entries: Sequence[Entry],
        how: How,
        cand: Candidate,
        *,
        text: str | None = None,
        origin: str = "code",
        context: Context | None = None,
        score: float | None = None,
        wordy: bool = False,
        message: KnownMessage | None = None,
        suggestion: bool = False,
    ) -> list[_Hit]:
        order: list[FamilyId] = []
        written = cand.text if text is None else text
        if context is Context.RECEIPT and cand.key in RECEIPT_KEYS:
            # a `stat:` field holds an SMPP message state: the receipt code spelled alike (expired) is
            # only a "see also" there, not a second finding
            states = [e for e in entries if e.family is FamilyId.SMPP_STATE]
            entries = states or entries
        several = len({e.family for e in entries}) > 1
        if several or context is Context.RECEIPT:
            order = self.family_order(context or cand.context, cand.line)
        added: list[_Hit] = []
        for entry in entries:
            if entry.family in order:
                rank = order.index(entry.family)
            else:
                # the same letters in several families: the one written in the same case comes first
                # (EXPIRED is the SMPP state; expired is the international receipt code), then FamilyId order
                same_case = not several or written in (entry.code, entry.short_form, *entry.aliases)
                rank = len(order) + (0 if same_case else len(_FAMILY_RANK)) + _FAMILY_RANK[entry.family]
            hit = _Hit(
                entry=entry,
                how=how,
                score=_SCORE.get(how, 0.0) if score is None else score,
                line=cand.line,
                start=cand.start,
                snippet_of=cand,
                text=written,
                origin=origin,
                family_rank=rank,
                wordy=wordy,
                message=message,
            )
            (self.suggestions if suggestion else self.hits).append(hit)
            added.append(hit)
        return added

    # --- the passes ---

    def read_candidates(self, fuzzy_queue: dict[str, Candidate]) -> None:
        index = self.index
        for cand in self.ex.candidates:
            ctx = cand.context
            if ctx is Context.STATUS or ctx is Context.NUMBER:
                self._read_number(cand)
                continue
            if ctx is Context.MESSAGE:
                if not self.explicit and cand.key not in MESSAGE_KEYS:
                    continue
                for entry, known in index.messages.get(fold_message(cand.text), ()):
                    self.add([entry], How.MESSAGE, cand, origin="message", message=known)
                continue
            exact = index.exact.get(cand.folded, ())
            alias = index.alias.get(cand.folded, ())
            if exact or alias:
                self._code_hit(cand, cand.text, None, exact, alias)
                continue
            if has_other_forms(cand.text) and self._read_other_forms(cand):
                continue
            if self._read_truncated(cand):
                continue
            self._queue_unmatched(cand, fuzzy_queue)

    def _read_other_forms(self, cand: Candidate) -> bool:
        index = self.index
        for form, implied in lookup_forms(cand.text)[1:]:
            key = fold_code(form)
            exact = index.exact.get(key, ())
            alias = index.alias.get(key, ())
            if exact or alias:
                self._code_hit(cand, form, implied, exact, alias)
                return True
        return False

    def _read_truncated(self, cand: Candidate) -> bool:
        """`stat:UNDELIVERED`: a word starting with a state's 7-letter receipt word (UNDELIV) is that state.

        Read in a receipt, and in explicit mode for a capitalised word, never for a lower-case one.
        """
        word = cand.text
        if len(word) <= 7 or cand.folded[:7] not in self.index.short_forms or not word.isalpha():
            return False
        if cand.context is not Context.RECEIPT and not (self.explicit and word.isupper()):
            return False
        entries = self.index.short_forms.get(cand.folded[:7], ())
        if not entries:
            return False
        short = entries[0].short_form or ""
        strong = cand.context.strong
        for hit in self.add(
            entries, How.ALIAS, cand, score=TRUNCATED_SCORE, wordy=not strong, context=cand.context
        ):
            hit.notes.append(
                f"{mask_sensitive(word)} was read as the receipt word {short}, the 7-letter form of "
                f"{hit.entry.code}."
            )
        return True

    def _queue_unmatched(self, cand: Candidate, fuzzy_queue: dict[str, Candidate]) -> None:
        """Nothing matched: note an unknown code, and queue a near-spelling look-up (explicit mode).

        Unknown: a value in a code context (a code key, `stat:`), a carrier status (`MK:0001`), or an
        `isv.`/`isp.` name unless a near spelling of it is a confident typo. Called for every unmatched word
        of a paste, so the common case (a free word) is decided first and cheaply.
        """
        text = cand.text
        # A code field: a code key, or a receipt's `stat:` label. A capitalised word that merely stands on a
        # receipt line (DEBUG, SMSC, INFO on a Kannel DLR line) is read as a possible state, not a field.
        in_field = cand.context is Context.KEY or (
            cand.context is Context.RECEIPT and (cand.key in RECEIPT_KEYS or cand.key in ("status", "state"))
        )
        if cand.in_url or (not self.explicit and not in_field and text[3:4] != "." and ":" not in text):
            return  # passive: a free word that is no isv./isp. name or carrier status can only be a word
        if ":" in text and is_carrier_status(text):
            self.unknown.setdefault(cand.folded, cand)
            return
        # a code's shape, not a verification code or a word under a "code" key (TemplateParam={"code":"ab12"})
        keyed = in_field and (
            is_code_shaped(text) or (text.isupper() and sum(c.isalpha() for c in text) >= 4)
        )
        if keyed:
            self.unknown.setdefault(cand.folded, cand)
            self.suggest_only.add(cand.folded)
        elif text[3:4] == "." and text[:3].casefold() in ("isv", "isp") and len(text) > 5:
            self.unknown.setdefault(cand.folded, cand)  # unless read_fuzzy finds a confident typo
        if self.explicit and len(cand.folded) >= FUZZY_MIN_CHARS and (keyed or is_fuzzy_worthy(text)):
            fuzzy_queue.setdefault(cand.folded, cand)

    def _code_hit(
        self,
        cand: Candidate,
        form: str,
        implied: Context | None,
        exact: Sequence[Entry],
        alias: Sequence[Entry],
    ) -> None:
        effective = implied or cand.context
        if implied is Context.ENUM and "state" in cand.text[: len(cand.text) - len(form)].casefold():
            effective = Context.RECEIPT  # MessageState.EXPIRED: an SMPP message state, as after stat:
        shaped = is_code_shaped(form)
        if not effective.strong and not shaped and not self.explicit:
            return  # passive: an ordinary word outside a code context is chat, not a code
        # explicit: an ordinary word in free text counts only when it is the whole question (see find_codes);
        # a receipt word that is no English word (DELIVRD, REJECTD) counts anywhere
        wordy = effective is Context.TOKEN and not shaped and not self._is_receipt_word(form, alias)
        if exact:
            self.add(exact, How.EXACT, cand, text=form, context=effective, wordy=wordy)
        if alias:
            self.add(alias, How.ALIAS, cand, text=form, context=effective, wordy=wordy)

    def _is_receipt_word(self, form: str, alias: Sequence[Entry]) -> bool:
        """DELIVRD, UNDELIV, REJECTD: a 7-letter receipt word that is not an English word (EXPIRED is)."""
        folded = fold_code(form)
        return any(
            e.short_form is not None and fold_code(e.short_form) == folded and fold_code(e.code) != folded
            for e in alias
        )

    def _read_number(self, cand: Candidate) -> None:
        """A command_status number. Passive: only near an SMPP word. Explicit: a number asked about
        ("0x00000058", "48", "Alibaba SMPP error code 48"), or one near an SMPP word; in a short question
        without SMPP words ("exit status 0x58") only a suggestion; elsewhere nothing (`pc=0x0`)."""
        if cand.number is None:
            return
        if cand.context is Context.NUMBER and not self.explicit:
            return  # passive: a number nobody asked about is not a status
        whole = cand.text.strip() == self.ex.text.strip()
        asked = cand.context is Context.NUMBER and (whole or cand.radix == 10)
        smpp = self.ex.smpp_near(cand.line)
        if not smpp and not asked and (not self.explicit or len(self.ex.candidates) > NUMBER_QUESTION_WORDS):
            return  # "exit status 0x58", "usb error code 0xb": a status number, but not an SMPP one
        found = self.index.by_number(cand.number)
        other = self.index.alibaba_numbers.get(cand.number) if cand.radix == 10 else None
        # Alibaba's numbering is read for a number someone asked about; a decimal status only gets a note
        alibaba_first = asked and other is not None and self.alibaba
        note = None
        if other is not None:
            standard = "a reserved value" if found is None or found[1] is How.RANGE else found[0].code
            note = (
                f"{cand.number} is ambiguous: as a standard SMPP command_status it is {standard}, but "
                f"Alibaba's international pages number their own codes too, and there {cand.number} is "
                f"{other.code}. On an Alibaba SMPP link, check which of the two the number means."
            )
        if found is not None:
            entry, how = found
            score = _SCORE[how] if cand.radix == 16 or how is How.RANGE else 92.0
            # a bare decimal is only a guess, and so is a number outside any SMPP text unless it is the
            # whole question ("0x00000058")
            suggestion = (asked and cand.radix == 10) or alibaba_first or not (smpp or asked)
            for hit in self.add([entry], how, cand, score=score, suggestion=suggestion):
                if how is How.RANGE:
                    hit.notes.append(
                        f"command_status {cand.number} (0x{cand.number:08X}) has no name of its own: "
                        "it falls in this range, so its meaning depends on the SMSC."
                    )
                if note:
                    hit.notes.append(note)
        if asked and other is not None:
            score = _SCORE[How.ALIBABA_NUMBER] if alibaba_first else ALIBABA_SUGGEST_SCORE
            for hit in self.add([other], How.ALIBABA_NUMBER, cand, score=score, suggestion=not alibaba_first):
                hit.notes.append(note or "")

    def read_phrases(self) -> None:
        """Multi-word codes, aliases and English messages, wherever they start."""
        phrases = self.index.phrases
        text = self.ex.text
        for cand in self.ex.candidates:
            if cand.context is Context.MESSAGE or cand.context is Context.STATUS:
                continue
            options = phrases.get(cand.folded)
            if not options:
                continue
            line_end = text.find("\n", cand.start)
            if line_end < 0:
                line_end = len(text)
            longest = max(len(p.words) for p in options)
            seen = phrase_words(text[cand.start : min(line_end, cand.start + 3 * longest + 40)])
            for phrase in options:
                if not (seen == phrase.words or seen.startswith(phrase.words + " ")):
                    continue
                in_value = bool(cand.key)
                if not self.explicit:
                    if phrase.how is How.MESSAGE:
                        # "ERROR: Invalid Password for user postgres" is not an SMPP bind failing: a
                        # message needs a message field around it, or enough words to be specific
                        if phrase.size < MESSAGE_MIN_WORDS and not self.in_message_value(cand.start):
                            continue
                    elif phrase.size < 4 and not in_value:
                        continue  # passive: "please do not disturb" is chat; a sentence-long text is not
                origin = "message" if phrase.how is How.MESSAGE else "code"
                self.add(
                    [phrase.entry],
                    phrase.how,
                    cand,
                    text=text[cand.start : cand.start + len(phrase.words) + 8].split("\n", 1)[0],
                    origin=origin,
                    message=phrase.message,
                    context=Context.KEY if in_value else cand.context,
                )

    def read_cjk_messages(self) -> None:
        if not self.ex.cjk_lines:
            return
        folded = self.ex.text.casefold()
        if len(folded) != len(self.ex.text):  # casefold changed lengths (ß, ligatures): search the original
            folded = self.ex.text
        for cjk in self.index.cjk_messages:
            specific = self.explicit or _cjk_size(cjk.needle) >= MESSAGE_MIN_CJK_CHARS
            pos = folded.find(cjk.needle)
            seen = 0
            while pos >= 0 and seen < MAX_MESSAGE_HITS:
                end = pos + len(cjk.needle)
                # 系统错误，请稍后再试 in chat is not a paste: a short message needs a message field around it
                if not specific and not self.in_message_value(pos):
                    pos = folded.find(cjk.needle, end)
                    continue
                # the message as written runs on to its closing quote or the end of the clause
                rest = _MESSAGE_TAIL.match(self.ex.text, end)
                written_end = rest.end() if rest else end
                line = self.line_of(pos)
                cand = Candidate(
                    self.ex.text[pos:written_end], Context.MESSAGE, line, pos, written_end, self.ex.text
                )
                self.add([cjk.entry], How.MESSAGE, cand, origin="message", message=cjk.message)
                seen += 1
                pos = folded.find(cjk.needle, end)

    def read_ngrams(self) -> None:
        """Explicit mode: a code typed as separate words ("qps limit control") on a short line."""
        text = self.ex.text
        by_line: dict[int, list[Candidate]] = {}
        for cand in self.ex.candidates:
            if cand.context in (Context.TOKEN, Context.KEY, Context.EXCEPTION, Context.RECEIPT):
                by_line.setdefault(cand.line, []).append(cand)
        for words in by_line.values():
            if len(words) < 2:
                continue
            for i in range(len(words)):
                joined = words[i].folded
                for j in range(i + 1, min(i + 6, len(words))):
                    gap = text[words[j - 1].end : words[j].start]
                    if gap.strip(" \t_-"):
                        break
                    joined += words[j].folded
                    exact = self.index.exact.get(joined, ())
                    alias = self.index.alias.get(joined, ())
                    if exact or alias:
                        span = text[words[i].start : words[j].end]
                        if exact:
                            self.add(exact, How.EXACT, words[i], text=span)
                        if alias:
                            self.add(alias, How.ALIAS, words[i], text=span)

    def read_fuzzy(self, queue: dict[str, Candidate]) -> None:
        if not queue:
            return
        # imported on the first fuzzy look-up: most lookups (and every passive one) never need it
        import rapidfuzz.fuzz  # noqa: PLC0415
        import rapidfuzz.process  # noqa: PLC0415

        matched = {id(h.entry) for h in self.hits if h.origin == "code"}
        index = self.index
        for n, (key, cand) in enumerate(queue.items()):
            if n >= MAX_FUZZY_LOOKUPS:
                break
            only_suggest = key in self.suggest_only
            if self._read_prefix(key, cand, matched, only_suggest=only_suggest):
                continue
            results = rapidfuzz.process.extract(
                key,
                index.fuzzy_keys,
                scorer=rapidfuzz.fuzz.ratio,
                processor=None,
                limit=8,
                score_cutoff=FUZZY_SUGGEST,
            )
            kept = [
                (choice, score, pos)
                for choice, score, pos in results
                if abs(len(choice) - len(key)) <= max(3, len(choice) // 4)
                and not _bridges_negation(key, choice, score)
            ]
            if not kept:
                continue
            best = kept[0][1]
            for _choice, score, pos in kept:
                if best >= FUZZY_CONFIDENT and score < best - FUZZY_SUGGEST_GAP:
                    break  # a clear winner: far-behind spellings are not worth a "did you mean"
                for entry, _how in index.fuzzy_targets[pos]:
                    if id(entry) in matched:
                        continue
                    confident = score >= FUZZY_CONFIDENT and score >= best - 2.0 and not only_suggest
                    self.add(
                        [entry],
                        How.FUZZY,
                        cand,
                        origin="fuzzy",
                        score=min(99.0, round(score, 1)),
                        suggestion=not confident,
                    )
            if best >= FUZZY_CONFIDENT and not only_suggest:
                self.unknown.pop(key, None)  # a typo of a known code, not a code the catalogue lacks

    def _read_prefix(self, key: str, cand: Candidate, matched: set[int], *, only_suggest: bool) -> bool:
        """A code typed short of its end ("isv.business limit", "QPS_LIMIT_CONTRO").

        When exactly one entry's own code (not an alias) starts with it, that code matches; every other
        completion is a suggestion, own codes first, shorter first.
        """
        if len(key) < PREFIX_MIN_CHARS:
            return False
        completions = self.index.completions(key)
        if not completions:
            return False
        own = [k for k in completions if k in self.index.own_keys]
        sure = len(own) == 1 and not only_suggest
        ordered = own + [k for k in completions if k not in self.index.own_keys]
        for i, choice in enumerate(ordered[:MAX_SUGGESTIONS]):
            confident = sure and i == 0
            for entry, _how in self.index.targets(choice):
                if id(entry) in matched:
                    continue
                score = PREFIX_SCORE if confident else PREFIX_SUGGEST_SCORE - i
                self.add([entry], How.FUZZY, cand, origin="fuzzy", score=score, suggestion=not confident)
        if sure:
            self.unknown.pop(key, None)
        return True

    def read_meaning(self, question: str) -> None:
        """Free words against the catalogue's texts, for a question that names no code.

        Overlap: at least `MEANING_MIN_MATCHED` of the question's words found in the entry ("not" counts
        only beside a word that says what), or, for a one-word question, that word in the entry's title,
        code or aliases (not only in its description). Confident: overlap, at least `MEANING_MIN_WORDS`
        words in the question and at least one of them a plain word (not only identifiers such as
        `deliver_sm_resp`), and coverage of `MEANING_CONFIDENT` or more (at most `MEANING_TOP`).
        Suggested: overlap and coverage of `MEANING_SUGGEST` or more. Chat ("thanks, that fixed it",
        "can you look at this?") has no content words left and gets nothing. A question with a negation
        ("not delivered", "fails") is never answered with an entry that means success.
        """
        meaning = self.index.meaning
        words = meaning.words(question)
        content = [w for w in words if w not in _NEGATED_STEMS]
        if not content:
            return
        negated = is_negated(question)
        plain = any(
            c.context is Context.TOKEN and not c.in_url and not is_code_shaped(c.text)
            for c in self.ex.candidates
        )
        first = Candidate(question.strip()[:80], Context.TOKEN, 1, 0, 0, self.ex.text)
        taken = 0
        for found in meaning.search(question):
            if found.coverage < MEANING_SUGGEST:
                break
            if negated and found.entry.outcome is Outcome.SUCCESS:
                continue
            overlap = found.matched >= MEANING_MIN_MATCHED
            if not overlap and not (len(content) == 1 and found.named):
                continue
            confident = (
                overlap
                and plain
                and len(words) >= MEANING_MIN_WORDS
                and found.coverage >= MEANING_CONFIDENT
                and taken < MEANING_TOP
            )
            score = round(40.0 + 35.0 * found.coverage, 1)
            for hit in self.add(
                [found.entry], How.MEANING, first, origin="meaning", score=score, suggestion=not confident
            ):
                hit.snippet_of = None
            taken += confident


def _cjk_size(text: str) -> int:
    """How long a Chinese message is: CJK characters and Latin letters, one each."""
    return sum(1 for ch in text if ch.isalpha())


_NEGATING_PREFIXES = ("not", "non", "un", "in", "no", "dis")


def _bridges_negation(key: str, choice: str, score: float) -> bool:
    """Whether a near spelling owes its closeness to a negating prefix (UNDELIVERED → DELIVERED).

    NOT_DELIVERED and DELIVERED mean opposite things however alike they look: when one side starts with
    a negating prefix the other lacks, and dropping that prefix makes the two at least as close, the pair
    is not a typo.
    """
    import rapidfuzz.fuzz  # noqa: PLC0415 (already loaded by the fuzzy pass that calls this)

    bare_key = key[4:] if key[:4] in ("isv.", "isp.") else key
    bare_choice = choice[4:] if choice[:4] in ("isv.", "isp.") else choice
    for prefix in _NEGATING_PREFIXES:
        on_key, on_choice = bare_key.startswith(prefix), bare_choice.startswith(prefix)
        if on_key == on_choice:
            continue
        a = bare_key[len(prefix) :] if on_key else bare_key
        b = bare_choice[len(prefix) :] if on_choice else bare_choice
        if rapidfuzz.fuzz.ratio(a, b) >= score:
            return True
    return False


def _flow_note(fact: Fact, written: str = "") -> str:
    plural = "message" if fact.value == 1 else "messages"
    said = f'"{mask_sensitive(written)}": ' if written else ""
    if fact.window:
        return (
            f"{said}{fact.window}-level flow control was hit; the cap is {fact.value} {plural} per "
            f"{fact.window} ({fact.text})."
        )
    return f"{said}flow control was hit; the cap for its window is {fact.value} {plural} ({fact.text})."


def _message_note(hit: _Hit, *, alone: bool) -> str | None:
    known = hit.message
    if known is None:
        return None
    written = hit.text.strip()
    # How it matched (by the message, with no code beside it) is the renderer's how-line; a note only
    # adds what the message means when it is not in English.
    if alone:
        return f'"{mask_sensitive(known.text)}" means: {known.meaning}' if _CJK.search(known.text) else None
    if not _CJK.search(known.text):
        return None
    if _DIGITS.findall(known.text) != _DIGITS.findall(written):
        # the catalogue's meaning speaks of its own numbers ("cap of 5"); the flow note gives the real one
        return None
    return f'"{mask_sensitive(written)}" means: {known.meaning}'


@dataclass
class _Merged:
    entry: Entry
    first: _Hit
    how: How
    score: float
    group: int
    lines: list[int] = field(default_factory=list)
    seen_lines: set[int] = field(default_factory=set)
    evidence: list[Evidence] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str | None) -> None:
        if text and len(self.notes) < MAX_NOTES and text not in self.notes:
            self.notes.append(text)


def _merge(hits: list[_Hit], original_line: Callable[[int], int]) -> list[_Merged]:
    """One item per entry; `original_line` maps a line of the read text to the input's (for a cut input)."""
    merged: dict[int, _Merged] = {}
    for hit in hits:
        key = id(hit.entry)
        item = merged.get(key)
        if item is None:
            item = merged[key] = _Merged(hit.entry, hit, hit.how, hit.score, _GROUP[hit.origin])
        elif _HOW_RANK[hit.how] < _HOW_RANK[item.how] or (hit.how is item.how and hit.score > item.score):
            item.how, item.score = hit.how, hit.score
        for note in hit.notes:
            item.note(note)
        if hit.line not in item.seen_lines:
            item.seen_lines.add(hit.line)
            item.lines.append(hit.line)
            if len(item.evidence) < MAX_EVIDENCE:
                snippet = hit.snippet_of.snippet if hit.snippet_of is not None else mask_sensitive(hit.text)
                item.evidence.append(Evidence(original_line(hit.line), snippet))
    return list(merged.values())


def _order_key(item: _Merged) -> tuple[int, int, float, int, int]:
    first = item.first
    # codes by first appearance; near spellings of one word and answers by meaning, best score first
    return (
        item.group,
        first.start,
        -item.score if item.group else 0.0,
        _HOW_RANK[first.how],
        first.family_rank,
    )


def _to_match(item: _Merged) -> Match:
    return Match(
        entry=item.entry,
        score=item.score,
        how=item.how,
        evidence=item.evidence,
        count=max(1, len(item.lines)),
        # masked before it is cut: a phone number cut in half would no longer look like one
        matched_text=mask_sensitive(item.first.text.strip()[: 120 + MASK_MARGIN])[:120],
        notes=item.notes,
    )


def _assemble(reader: _Reader, input_line: Callable[[int], int]) -> tuple[list[Match], list[Match]]:
    """Matches and suggestions, best first; `input_line` gives the input's line of a read line (evidence)."""
    hits = reader.hits
    if reader.explicit and any(not h.wordy for h in hits if h.origin == "code"):
        # the question holds a real code: an ordinary word beside it ("is this ok?") is not asked about
        hits = [h for h in hits if not h.wordy]
    code_hits = sorted((h for h in hits if h.origin == "code"), key=lambda h: (h.start, h.family_rank))
    # a code inside a link (a troubleshoot URL's q=Code) counts only when it is not also written out
    written = {id(h.entry) for h in code_hits if not (h.snippet_of is not None and h.snippet_of.in_url)}
    code_hits = [
        h for h in code_hits if id(h.entry) not in written or h.snippet_of is None or not h.snippet_of.in_url
    ]
    message_hits = [h for h in hits if h.origin == "message"]
    code_entries = {id(h.entry) for h in code_hits}
    code_lines = sorted({h.line for h in code_hits})

    def code_near(line: int) -> bool:
        i = bisect.bisect_left(code_lines, line - MESSAGE_NEAR_LINES)
        return i < len(code_lines) and code_lines[i] <= line + MESSAGE_NEAR_LINES

    alone = [h for h in message_hits if id(h.entry) not in code_entries and not code_near(h.line)]
    merged = _merge(code_hits, input_line)
    by_entry = {id(m.entry): m for m in merged}
    flow_lines = {f.line for f in reader.ex.facts if f.kind == "flow"}
    written_on: dict[int, str] = {}
    explained: set[tuple[int, int]] = set()
    for hit in sorted(message_hits, key=lambda h: (h.start, -len(h.text))):
        target = by_entry.get(id(hit.entry))
        if hit.line in flow_lines:  # the flow-control note explains this message, with the paste's own cap
            written_on.setdefault(hit.line, hit.text.strip())
            continue
        if target is not None and (id(hit.entry), id(hit.message)) not in explained:
            note = _message_note(hit, alone=False)
            if note:
                explained.add((id(hit.entry), id(hit.message)))
                target.note(note)
    for item in _merge(sorted(alone, key=lambda h: h.start), input_line):
        item.note(_message_note(item.first, alone=True))
        merged.append(item)
        by_entry[id(item.entry)] = item
    confident = [m for m in merged if m.group == 0]
    if not confident:
        fuzzy_hits = [h for h in hits if h.origin == "fuzzy"]
        merged += _merge(sorted(fuzzy_hits, key=lambda h: (h.start, -h.score)), input_line)
        if not fuzzy_hits:
            merged += _merge([h for h in hits if h.origin == "meaning"], input_line)
    merged.sort(key=_order_key)
    _attach_facts(reader.ex.facts, merged, written_on, reader.index.alibaba_numbers)

    taken = {id(m.entry) for m in merged}
    suggestions: list[_Merged] = []
    if reader.explicit:
        pool = [h for h in reader.suggestions if id(h.entry) not in taken]
        pool.sort(key=lambda h: (-h.score, h.start, h.family_rank))
        suggestions = _merge(pool, input_line)[:MAX_SUGGESTIONS]
    return [_to_match(m) for m in merged], [_to_match(m) for m in suggestions]


def _attach_facts(
    facts: list[Fact], merged: list[_Merged], written_on: dict[int, str], alibaba_numbers: dict[int, Entry]
) -> None:
    if not facts or not merged:
        return
    at_line: dict[int, list[_Merged]] = {}
    for item in merged:
        for line in item.lines or [item.first.line]:
            at_line.setdefault(line, []).append(item)
    for fact in facts:
        if fact.kind == "flow":
            # the nearest code explains the cap (the same line first, then one line away, and so on)
            for distance in range(FLOW_NEAR_LINES + 1):
                near = at_line.get(fact.line - distance) or at_line.get(fact.line + distance)
                if near:
                    near[0].note(_flow_note(fact, written_on.get(fact.line, "")))
                    break
        elif fact.kind == "receipt_err" and fact.value:
            note = (
                f"{fact.text} is the SMSC's own error number: there is no universal table for it, "
                "and the stat word decides the outcome."
            )
            other = alibaba_numbers.get(fact.value)
            if other is not None:
                note += (
                    f" On an Alibaba SMPP link it may be Alibaba's own number for {other.code} "
                    f"({fact.value} in the international pages' 'SMPP error code' column)."
                )
            for item in at_line.get(fact.line, ()):
                if item.entry.family is FamilyId.SMPP_STATE:
                    item.note(note)


def find_codes(text: str, catalog: Catalog, mode: Mode = Mode.EXPLICIT) -> Lookup:
    """Find every catalogue code in `text` (see the module docstring for the rules)."""
    normalized = normalize_text(text)
    index = index_for(catalog)
    short = len(normalized.text) <= SHORT_INPUT_CHARS
    # a long paste keeps only words that can match; a short question keeps all (for "qps limit control")
    extraction = extract(
        normalized.text,
        vocabulary=None if short else index.vocabulary,
        # passive mode has no fuzzy step: an unknown word matters only if a glued or enum form may match
        keep_unknown=is_fuzzy_worthy if mode is Mode.EXPLICIT else has_other_forms,
    )
    reader = _Reader(extraction, index, mode)
    fuzzy_queue: dict[str, Candidate] = {}
    reader.read_candidates(fuzzy_queue)
    reader.read_phrases()
    reader.read_cjk_messages()
    if reader.explicit:
        if short:
            reader.read_ngrams()
        _settle_words(reader)
        code_keys = {id(h.entry) for h in reader.hits if h.origin in ("code", "message")}
        if not code_keys:
            _queue_short_question(extraction, fuzzy_queue)
            reader.read_fuzzy(fuzzy_queue)
            if (
                not any(h.origin == "fuzzy" for h in reader.hits)
                and not reader.unknown  # a code we do not know is not a question in words
                and len(extraction.text) <= MEANING_MAX_CHARS
            ):
                reader.read_meaning(extraction.text)
    _settle_shared_names(reader)
    matches, suggestions = _assemble(reader, normalized.original_line)
    survives = _Survival(extraction.text)
    return Lookup(
        query=mask_sensitive(normalized.text.strip()[: QUERY_CHARS + MASK_MARGIN])[:QUERY_CHARS],
        mode=mode,
        matches=matches,
        suggestions=suggestions,
        # what was looked up is only shown when nothing was found
        tried=[] if matches else _tried(extraction, survives),
        unknown=[
            mask_sensitive(c.text)
            for c in sorted(reader.unknown.values(), key=lambda c: c.start)
            if survives(c)
        ][:MAX_UNKNOWN],
        truncated=normalized.truncated,
        dropped_chars=normalized.dropped_chars,
    )


def _settle_words(reader: _Reader) -> None:
    """Explicit mode: an ordinary word that is also a code (OK, expired, DELIVERED) counts only alone.

    "/smscode expired" and "what does DELIVERED mean?" ask about the code; in "sms not delivered to india"
    or "the request looks ok" the words are just words (the question may still be searched by meaning).
    Beside a real code ("is isv.X ok to retry?") they never count.
    """
    wordy = [h for h in reader.hits if h.wordy]
    if not wordy:
        return
    real_code = any(not h.wordy for h in reader.hits if h.origin == "code")
    asked = {fold_code(h.text) for h in wordy}
    rest = {
        c.folded
        for c in reader.ex.candidates
        if c.folded and c.context is not Context.MESSAGE and c.text.casefold() not in _FRAME
    }
    if real_code or not rest <= asked:
        reader.hits = [h for h in reader.hits if not h.wordy]


def _settle_shared_names(reader: _Reader) -> None:
    """Code names other clouds use too (`shared_name`): passive mode needs a sign of Alibaba Cloud.

    Without one, a passive read drops them (an AWS SignatureDoesNotMatch is not ours to explain); an
    explicit answer keeps them and says whose code it explains.
    """
    if not any(h.entry.shared_name for h in itertools.chain(reader.hits, reader.suggestions)):
        return
    if reader.alibaba:
        return
    if not reader.explicit:
        reader.hits = [h for h in reader.hits if not h.entry.shared_name]
        return
    for hit in itertools.chain(reader.hits, reader.suggestions):
        if hit.entry.shared_name and SHARED_NAME_NOTE not in hit.notes:
            hit.notes.append(SHARED_NAME_NOTE)


def _queue_short_question(extraction: Extraction, queue: dict[str, Candidate]) -> None:
    """A short question is also tried as one code: "qps limt control", "DONT DISTRUB".

    Of its single words, only code-shaped ones (`_` or `.`, CamelCase, long capitals) are tried: ordinary
    English words ("thanks", "anyone") and links are not near spellings of anything.
    """
    words = [c for c in extraction.candidates if c.context is not Context.MESSAGE]
    if not words or len(words) > SHORT_QUESTION_WORDS or words[0].line != words[-1].line:
        return
    if any(c.in_url for c in words):
        return
    span = extraction.text[words[0].start : words[-1].end]
    key = fold_code(span)
    if len(key) >= FUZZY_MIN_CHARS:
        queue.setdefault(
            key, Candidate(span, Context.TOKEN, words[0].line, words[0].start, words[-1].end, extraction.text)
        )
    for cand in words:
        key = fold_code(cand.text)
        if len(key) >= FUZZY_MIN_CHARS + 1 and is_fuzzy_worthy(cand.text):
            queue.setdefault(key, cand)


class _Survival:
    """Whether a candidate's text is still there once its surroundings are masked.

    Masking reads context (`AccessKeySecret=…`, `name@host`) that a lone token no longer has, so a token is
    only echoed when it survives masking of the text around it (`TRIED_WINDOW` characters either side).
    """

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        self._text = text

    def __call__(self, cand: Candidate) -> bool:
        text = self._text
        line_start = text.rfind("\n", 0, cand.start) + 1
        line_end = text.find("\n", cand.end)
        if line_end < 0:
            line_end = len(text)
        left = max(line_start, cand.start - TRIED_WINDOW)
        right = min(line_end, cand.end + TRIED_WINDOW)
        return cand.text in mask_sensitive(text[left:right])


_KEY_NAMES = CODE_KEYS | FIELD_KEYS | MESSAGE_KEYS


def _tried(extraction: Extraction, survives: _Survival) -> list[str]:
    strong: list[Candidate] = []
    other: list[Candidate] = []
    seen: set[str] = set()
    for cand in extraction.candidates:
        if cand.context is Context.MESSAGE or cand.in_url or cand.text in seen:
            continue
        if fold_key(cand.text) in _KEY_NAMES:
            continue  # a field name ("Code", "Message") is where codes are looked for, not one looked up
        seen.add(cand.text)
        (strong if cand.context.strong or is_code_shaped(cand.text) else other).append(cand)
        if len(strong) >= MAX_TRIED:
            break
    shown: list[str] = []
    for cand in itertools.chain(strong, other[: 2 * MAX_TRIED]):
        if len(shown) >= MAX_TRIED:
            break
        if survives(cand):  # AccessKeySecret=… and john.smith@… are never echoed
            shown.append(mask_sensitive(cand.text))
    return shown


# --- the JSON shape of `smscode explain --json` ------------------------------------------------------


def match_to_dict(match: Match, catalog: Catalog) -> dict[str, Any]:
    """One match as the plain dict `smscode explain --json` prints."""
    entry = match.entry
    return {
        "family": entry.family.value,
        "code": entry.code,
        "title": entry.title,
        "score": round(match.score, 1),
        "how": match.how.value,
        "count": match.count,
        "stage": catalog.stage_of(entry).value,
        "outcome": entry.outcome.value,
        "retry": entry.retry.value,
        "actors": [a.value for a in entry.actors],
        "evidence": [{"line": ev.line, "snippet": ev.snippet} for ev in match.evidence],
        "notes": list(match.notes),
    }


def lookup_to_dict(lookup: Lookup, catalog: Catalog) -> dict[str, Any]:
    """The whole lookup as `smscode explain --json` prints it."""
    return {
        "matches": [match_to_dict(m, catalog) for m in lookup.matches],
        "suggestions": [match_to_dict(m, catalog) for m in lookup.suggestions],
        "unknown": list(lookup.unknown),
        "truncated": lookup.truncated,
        "dropped_chars": lookup.dropped_chars,
    }
