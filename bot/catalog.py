"""The code catalogue: pydantic models for every entry and a strict loader for `catalog/*.toml`."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    ValidationError,
    model_validator,
)

# Words that mark a field as not written yet. A catalogue with any of them does not load.
# ("placeholder" itself is a real word here: template variables are placeholders.)
_PLACEHOLDER = re.compile(r"\b(?:TODO|TBD|FIXME|XXX)\b|(?i:lorem ipsum|to be written|fill in later)")


def _not_placeholder(value: str) -> str:
    if _PLACEHOLDER.search(value):
        raise ValueError("contains placeholder text")
    return value


Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_not_placeholder)
]
Sentence = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=12), AfterValidator(_not_placeholder)
]


class FamilyId(StrEnum):
    """The code families, in the order answers list them when a code string exists in several."""

    INTL_API = "intl-api"
    INTL_RECEIPT = "intl-receipt"
    SMPP_STATE = "smpp-state"
    CN_API = "cn-api"
    OPENAPI = "openapi"
    SMPP_STATUS = "smpp-status"


class Stage(StrEnum):
    """Where in a message's life a code is reported."""

    API = "api"  # the synchronous answer to a send or query call
    RECEIPT = "receipt"  # the asynchronous delivery receipt (callback, SmsReport, MNS)
    SMPP = "smpp"  # an SMPP link: a PDU's command_status or a deliver_sm receipt state
    GATEWAY = "gateway"  # the Alibaba Cloud OpenAPI gateway in front of every product
    SDK = "sdk"  # raised inside an SDK; the server never answered


class Retry(StrEnum):
    """Whether sending again can help."""

    FIX_FIRST = "fix_first"  # the same request fails again until its cause is fixed
    AFTER_RESET = "after_reset"  # a quota or rate window; retry once it resets
    BACKOFF = "backoff"  # transient; retry with exponential backoff and a cap
    WAIT = "wait"  # not final yet; wait for the final state, do not resend
    NOT_APPLICABLE = "not_applicable"  # a success; nothing to retry


class Outcome(StrEnum):
    """What the code says about the message."""

    SUCCESS = "success"
    PENDING = "pending"
    FAILED = "failed"


class Actor(StrEnum):
    """Who has to act to fix it."""

    INTEGRATION = "integration"  # the team's own code and configuration
    CONSOLE_ADMIN = "console_admin"  # the Alibaba Cloud account admin, in the console
    RECIPIENT = "recipient"
    CARRIER = "carrier"  # the destination operator or the SMSC on the far side
    ALIBABA_SUPPORT = "alibaba_support"
    NOBODY = "nobody"  # a success or an intermediate state


RETRY_TEXT: dict[Retry, str] = {
    Retry.FIX_FIRST: "Do not retry until the cause is fixed",
    Retry.AFTER_RESET: "Retry after the limit window resets",
    Retry.BACKOFF: "Retry with exponential backoff",
    Retry.WAIT: "Not final: wait for the final status, do not resend",
    Retry.NOT_APPLICABLE: "Nothing to retry",
}

ACTOR_TEXT: dict[Actor, str] = {
    Actor.INTEGRATION: "your integration",
    Actor.CONSOLE_ADMIN: "the account admin (console)",
    Actor.RECIPIENT: "the recipient",
    Actor.CARRIER: "the carrier",
    Actor.ALIBABA_SUPPORT: "Alibaba Cloud support",
    Actor.NOBODY: "nobody",
}

OUTCOME_TEXT: dict[Outcome, str] = {
    Outcome.SUCCESS: "success",
    Outcome.PENDING: "still in progress",
    Outcome.FAILED: "failed",
}

STAGE_TEXT: dict[Stage, str] = {
    Stage.API: "API response",
    Stage.RECEIPT: "delivery receipt",
    Stage.SMPP: "SMPP",
    Stage.GATEWAY: "OpenAPI gateway",
    Stage.SDK: "SDK (client side)",
}


class KnownMessage(BaseModel):
    """A message text the platform returns with a code, and what it says in plain English."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: Text
    meaning: Text


class Entry(BaseModel):
    """One code of one family, with everything an answer needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Text
    family: FamilyId
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=100)]
    description: Sentence
    remediation: Annotated[list[Sentence], Field(min_length=1)]
    retry: Retry
    outcome: Outcome
    actors: Annotated[list[Actor], Field(min_length=1)]
    aliases: list[Text] = Field(default_factory=list)
    related: list[Text] = Field(default_factory=list)  # "family:code" references, checked at load
    messages: list[KnownMessage] = Field(default_factory=list)
    stage: Stage | None = None  # defaults to the family's stage
    doc_url: HttpUrl | None = None  # defaults to the family's page
    # Facts that only some families have.
    short_form: str | None = None  # smpp-state: the 7-letter receipt word (DELIVRD)
    message_state: int | None = None  # smpp-state: the numeric message_state (none for provider words)
    value: int | None = None  # smpp-status: the command_status value
    value_range: tuple[int, int] | None = None  # smpp-status: a reserved or vendor range
    http_status: list[int] = Field(default_factory=list)  # openapi: HTTP statuses seen with it
    # intl-api: the number Alibaba's own "SMPP error code" column pairs with the code. It is Alibaba's
    # numbering, not a standard command_status (20 is OK there but ESME_RMSGQFUL in SMPP v3.4).
    alibaba_smpp_code: int | None = None
    # The same code string is used by other platforms (AWS, Azure, S3 ...): a message not addressed to
    # the bot must show some sign of Alibaba Cloud before this entry is offered for it.
    shared_name: bool = False
    note: str | None = None  # a caveat worth showing (uncertain facts, ambiguity)

    @model_validator(mode="after")
    def _check_family_facts(self) -> Entry:
        # message_state may be absent: provider-extension words (NOROUTE, BUFFRED ...) have none.
        if self.family is FamilyId.SMPP_STATE and self.short_form is None:
            raise ValueError("an smpp-state entry needs short_form")
        if self.family is FamilyId.SMPP_STATUS and (self.value is None) == (self.value_range is None):
            raise ValueError("an smpp-status entry needs exactly one of value and value_range")
        if self.value_range is not None and self.value_range[0] > self.value_range[1]:
            raise ValueError("value_range must be (low, high)")
        return self

    @property
    def key(self) -> tuple[FamilyId, str]:
        return (self.family, self.code)

    @property
    def ref(self) -> str:
        return f"{self.family.value}:{self.code}"

    @property
    def hex(self) -> str | None:
        return None if self.value is None else f"0x{self.value:08X}"


class FamilyFile(BaseModel):
    """The shape of one `catalog/<family>.toml` file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    family: FamilyId
    name: Text
    stage: Stage
    doc_url: HttpUrl
    summary: Sentence
    entries: Annotated[list[dict[str, Any]], Field(min_length=1)]


@dataclass(frozen=True)
class Family:
    """A loaded family: its facts and its entries, in file order."""

    id: FamilyId
    name: str
    stage: Stage
    doc_url: str
    summary: str
    entries: tuple[Entry, ...]


class CatalogError(Exception):
    """The catalogue cannot be loaded; the message names the file, the entry and the field."""


@dataclass
class Catalog:
    """All families, with look-ups by key and by code string."""

    families: dict[FamilyId, Family]
    _by_key: dict[tuple[FamilyId, str], Entry] = field(default_factory=dict, repr=False)
    _by_code: dict[str, list[Entry]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for fam in self.families.values():
            for entry in fam.entries:
                self._by_key[entry.key] = entry
                self._by_code.setdefault(entry.code.casefold(), []).append(entry)

    def __iter__(self) -> Iterator[Entry]:
        for fam in self.families.values():
            yield from fam.entries

    def __len__(self) -> int:
        return len(self._by_key)

    def get(self, family: FamilyId | str, code: str) -> Entry | None:
        return self._by_key.get((FamilyId(family), code))

    def by_code(self, code: str) -> list[Entry]:
        """Every entry whose code is `code`, ignoring case, in family order."""
        return list(self._by_code.get(code.casefold(), ()))

    def resolve(self, ref: str) -> Entry | None:
        """Look up a `family:code` reference."""
        family, _, code = ref.partition(":")
        try:
            return self.get(family, code)
        except ValueError:
            return None

    def stage_of(self, entry: Entry) -> Stage:
        return entry.stage or self.families[entry.family].stage

    def doc_url_of(self, entry: Entry) -> str:
        return str(entry.doc_url) if entry.doc_url else self.families[entry.family].doc_url


def default_catalog_dir() -> Path:
    """The catalogue shipped with the package (installed), or `catalog/` of a source checkout.

    A wheel installs `catalog/` as `bot/catalog_data/` (see pyproject.toml); an editable install
    keeps it in the folder beside `bot/`.
    """
    here = Path(__file__).resolve().parent
    installed = here / "catalog_data"
    return installed if installed.is_dir() else here.parent / "catalog"


def _describe(err: ValidationError) -> str:
    parts = []
    for e in err.errors(include_url=False):
        where = ".".join(str(p) for p in e["loc"]) or "(entry)"
        parts.append(f"field '{where}': {e['msg']}")
    return "; ".join(parts)


def _load_family(path: Path) -> Family:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"{path.name}: cannot read: {exc}") from None
    try:
        head = FamilyFile.model_validate(raw)
    except ValidationError as exc:
        raise CatalogError(f"{path.name}: {_describe(exc)}") from None
    entries = []
    for index, item in enumerate(head.entries, start=1):
        label = f"entry {index}" + (f" ({item['code']!r})" if isinstance(item.get("code"), str) else "")
        if "family" in item:
            raise CatalogError(f"{path.name}: {label}: field 'family' is set by the file, not the entry")
        try:
            entries.append(Entry.model_validate({**item, "family": head.family}))
        except ValidationError as exc:
            raise CatalogError(f"{path.name}: {label}: {_describe(exc)}") from None
    return Family(
        id=head.family,
        name=head.name,
        stage=head.stage,
        doc_url=str(head.doc_url),
        summary=head.summary,
        entries=tuple(entries),
    )


def _check_catalog(families: Iterable[Family], files: dict[FamilyId, str], *, check_related: bool) -> None:
    seen: dict[tuple[FamilyId, str], str] = {}
    codes: dict[str, list[Entry]] = {}
    all_entries = [e for fam in families for e in fam.entries]
    for entry in all_entries:
        where = f"{files[entry.family]}: entry {entry.code!r}"
        k = (entry.family, entry.code.casefold())
        if k in seen:
            raise CatalogError(f"{where}: field 'code': duplicate code in family {entry.family.value}")
        seen[k] = entry.code
        codes.setdefault(entry.code.casefold(), []).append(entry)
    for entry in all_entries:
        where = f"{files[entry.family]}: entry {entry.code!r}"
        own = {entry.code.casefold()}
        for alias in entry.aliases:
            folded = alias.casefold()
            if folded in own:
                raise CatalogError(f"{where}: field 'aliases': {alias!r} repeats the entry's own code")
            clash = [other for other in codes.get(folded, []) if other is not entry]
            if clash:
                raise CatalogError(
                    f"{where}: field 'aliases': {alias!r} collides with the code of "
                    f"{clash[0].family.value}:{clash[0].code}"
                )
        for ref in entry.related if check_related else ():
            family, sep, code = ref.partition(":")
            if not sep or (family, code) not in {
                (e.family.value, e.code) for e in codes.get(code.casefold(), [])
            }:
                raise CatalogError(f"{where}: field 'related': {ref!r} is not a known family:code")
            if ref == entry.ref:
                raise CatalogError(f"{where}: field 'related': an entry cannot relate to itself")


def load_catalog(directory: Path | str | None = None, *, check_related: bool = True) -> Catalog:
    """Load and validate every `*.toml` family file; raise CatalogError with a readable message.

    `check_related=False` skips the cross-family reference check, to validate one file on its own.
    """
    base = Path(directory) if directory is not None else default_catalog_dir()
    paths = sorted(base.glob("*.toml"))
    if not paths:
        raise CatalogError(f"{base}: no catalogue files (*.toml) found")
    loaded: dict[FamilyId, Family] = {}
    files: dict[FamilyId, str] = {}
    for path in paths:
        fam = _load_family(path)
        if fam.id in loaded:
            raise CatalogError(
                f"{path.name}: field 'family': {fam.id.value} is also defined in {files[fam.id]}"
            )
        loaded[fam.id] = fam
        files[fam.id] = path.name
    _check_catalog(loaded.values(), files, check_related=check_related)
    ordered = {fid: loaded[fid] for fid in FamilyId if fid in loaded}
    return Catalog(families=ordered)
