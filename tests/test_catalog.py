"""The catalogue: completeness against the source page, own wording, family facts, and a strict loader."""

from __future__ import annotations

import itertools
import json
import re
import textwrap
from pathlib import Path

import pytest
from rapidfuzz import fuzz

from bot.catalog import Catalog, CatalogError, FamilyId, Outcome, Retry, load_catalog

from .conftest import DATA

SEED = json.loads((DATA / "seed_codes.json").read_text(encoding="utf-8"))


def seed_rows(family: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = SEED["families"][family]
    return rows


# --- completeness -----------------------------------------------------------------------------


@pytest.mark.parametrize(("family", "count"), [("intl-api", 39), ("intl-receipt", 35), ("smpp-state", 7)])
def test_seed_list_has_the_page_counts(family: str, count: int) -> None:
    assert len(seed_rows(family)) == count


@pytest.mark.parametrize("family", ["intl-api", "intl-receipt", "smpp-state"])
def test_every_source_code_is_present_with_exact_spelling(catalog: Catalog, family: str) -> None:
    codes = {e.code for e in catalog.families[FamilyId(family)].entries}
    missing = [row["code"] for row in seed_rows(family) if row["code"] not in codes]
    assert missing == []


def test_international_families_hold_exactly_the_page_codes(catalog: Catalog) -> None:
    for family in ("intl-api", "intl-receipt"):
        codes = [e.code for e in catalog.families[FamilyId(family)].entries]
        assert sorted(codes) == sorted(str(r["code"]) for r in seed_rows(family))


def test_smpp_states_carry_short_form_and_numeric_state(catalog: Catalog) -> None:
    states = {e.code: e for e in catalog.families[FamilyId.SMPP_STATE].entries}
    for row in seed_rows("smpp-state"):
        columns = row["columns"]
        assert isinstance(columns, list)
        assert states[str(row["code"])].short_form == columns[0]
    expected = {
        "DELIVERED": 2,
        "EXPIRED": 3,
        "DELETED": 4,
        "UNDELIVERABLE": 5,
        "ACCEPTED": 6,
        "UNKNOWN": 7,
        "REJECTED": 8,
    }
    assert {code: states[code].message_state for code in expected} == expected


@pytest.mark.parametrize(
    "code",
    ["EXPIRED_DLR_UNKOWN", "DON'T DISTURB", "Specified AccessKeyId is not found", "success", "expired"],
)
def test_quirky_spellings_are_kept(catalog: Catalog, code: str) -> None:
    assert any(e.code == code for e in catalog)


def test_all_six_families_load_with_related_refs_resolved(catalog: Catalog) -> None:
    assert list(catalog.families) == list(FamilyId)
    for entry in catalog:
        for ref in entry.related:
            assert catalog.resolve(ref) is not None, (entry.ref, ref)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("intl-api:INVALID_SENDERID", "intl-receipt:INVALID_SENDERID"),
        ("intl-receipt:INVALID_SENDERID", "intl-receipt:REJECTED_SENDERID_NOT_AVAILABLE"),
        ("intl-api:SYSTEM_ERROR", "intl-receipt:SYSTEM_ERR"),
        ("intl-receipt:SYSTEM_ERR", "intl-receipt:REJECTED_SYSTEM_ERROR"),
        ("intl-api:MOBILE_NUMBER_ILLEGAL", "cn-api:isv.MOBILE_NUMBER_ILLEGAL"),
        ("intl-api:QPS_LIMIT_CONTROL", "cn-api:isv.BUSINESS_LIMIT_CONTROL"),
        ("cn-api:isv.BUSINESS_LIMIT_CONTROL", "openapi:Throttling.User"),
        ("intl-api:QPS_LIMIT_CONTROL", "smpp-status:ESME_RTHROTTLED"),
    ],
)
def test_required_relations_exist_in_one_direction_or_the_other(catalog: Catalog, a: str, b: str) -> None:
    ea, eb = catalog.resolve(a), catalog.resolve(b)
    assert ea is not None and eb is not None
    assert b in ea.related or a in eb.related


def test_success_codes_say_nothing_to_retry(catalog: Catalog) -> None:
    for entry in catalog:
        if entry.outcome is Outcome.SUCCESS:
            assert entry.retry is Retry.NOT_APPLICABLE, entry.ref


def test_ok_says_the_receipt_decides_delivery(catalog: Catalog) -> None:
    for ref in ("intl-api:OK", "cn-api:OK"):
        entry = catalog.resolve(ref)
        assert entry is not None
        assert re.search(r"receipt", entry.description, re.IGNORECASE), ref


def test_smpp_status_values_are_unique_and_ranges_do_not_overlap(catalog: Catalog) -> None:
    entries = catalog.families[FamilyId.SMPP_STATUS].entries
    values = [e.value for e in entries if e.value is not None]
    assert len(values) == len(set(values))
    spans = sorted(e.value_range for e in entries if e.value_range is not None)
    for (_, hi), (lo, _) in itertools.pairwise(spans):
        assert hi < lo
    for value in values:
        assert not any(lo <= value <= hi for lo, hi in spans), value


# --- our own words ----------------------------------------------------------------------------


def _source_sentences() -> list[str]:
    """Sentences of the source page, from the copy in tests/data (a clone has no ../shared)."""
    sentences: list[str] = []
    for fam in SEED["families"].values():
        for row in fam:
            for cell in row["columns"]:
                sentences.extend(s for s in re.split(r"(?<=[.!?])\s+", str(cell)) if len(s.split()) >= 5)
    return sentences


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def test_no_description_or_step_copies_a_source_sentence(catalog: Catalog) -> None:
    source = [_words(s) for s in _source_sentences()]
    assert len(source) > 60
    copies = []
    for entry in catalog:
        ours = [entry.description, *entry.remediation]
        for text in ours:
            for sentence in re.split(r"(?<=[.!?])\s+", text):
                mine = _words(sentence)
                if len(mine.split()) < 5:
                    continue
                for theirs in source:
                    if theirs in mine or fuzz.ratio(mine, theirs) >= 90:
                        copies.append((entry.ref, sentence, theirs))
    assert copies == []


# --- the loader -------------------------------------------------------------------------------

GOOD_ENTRY = """
[[entries]]
code = "{code}"
title = "A short title"
description = "Something went wrong with the request in a way we can explain."
remediation = ["Fix the request parameter and send it again."]
retry = "fix_first"
outcome = "failed"
actors = ["integration"]
aliases = [{aliases}]
"""


def write_family(directory: Path, name: str, family: str, *entries: str) -> None:
    head = textwrap.dedent(
        f"""
        family = "{family}"
        name = "Test family"
        stage = "api"
        doc_url = "https://example.com/doc"
        summary = "Codes used by the loader tests only."
        """
    )
    (directory / name).write_text(head + "".join(entries), encoding="utf-8")


def entry(code: str, aliases: str = "", **replace: str) -> str:
    text = GOOD_ENTRY.format(code=code, aliases=aliases)
    for field, value in replace.items():
        text = re.sub(rf"^{field} = .*$", f"{field} = {value}", text, flags=re.MULTILINE)
    return text


def test_loader_accepts_a_good_file(tmp_path: Path) -> None:
    write_family(tmp_path, "a.toml", "intl-api", entry("A_CODE"), entry("B_CODE", '"B CODE ALIAS"'))
    assert len(load_catalog(tmp_path)) == 2


def test_loader_rejects_a_duplicate_code(tmp_path: Path) -> None:
    write_family(tmp_path, "a.toml", "intl-api", entry("A_CODE"), entry("a_code"))
    with pytest.raises(CatalogError, match=r"a\.toml: entry 'a_code': field 'code': duplicate"):
        load_catalog(tmp_path)


def test_loader_rejects_an_unknown_family(tmp_path: Path) -> None:
    write_family(tmp_path, "x.toml", "martian-api", entry("A_CODE"))
    with pytest.raises(CatalogError, match=r"x\.toml: field 'family'"):
        load_catalog(tmp_path)


def test_loader_rejects_an_empty_remediation_list(tmp_path: Path) -> None:
    write_family(tmp_path, "a.toml", "intl-api", entry("A_CODE", remediation="[]"))
    with pytest.raises(CatalogError, match=r"a\.toml: entry 1 \('A_CODE'\): field 'remediation'"):
        load_catalog(tmp_path)


def test_loader_rejects_an_alias_colliding_with_another_code(tmp_path: Path) -> None:
    write_family(tmp_path, "a.toml", "intl-api", entry("A_CODE"))
    write_family(tmp_path, "b.toml", "intl-receipt", entry("B_CODE", '"a_code"'))
    with pytest.raises(CatalogError, match=r"b\.toml: entry 'B_CODE': field 'aliases': 'a_code' collides"):
        load_catalog(tmp_path)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("description", '"TODO write this properly later"', "placeholder"),
        ("title", '""', "title"),
        ("retry", '"maybe"', "retry"),
        ("actors", "[]", "actors"),
    ],
)
def test_loader_rejects_empty_or_placeholder_fields(
    tmp_path: Path, field: str, value: str, message: str
) -> None:
    write_family(tmp_path, "a.toml", "intl-api", entry("A_CODE", **{field: value}))
    with pytest.raises(CatalogError, match=message):
        load_catalog(tmp_path)


def test_loader_rejects_unknown_fields_and_broken_toml(tmp_path: Path) -> None:
    write_family(tmp_path, "a.toml", "intl-api", entry("A_CODE") + 'colour = "blue"\n')
    with pytest.raises(CatalogError, match="colour"):
        load_catalog(tmp_path)
    (tmp_path / "a.toml").write_text("family = [", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"a\.toml: cannot read"):
        load_catalog(tmp_path)


def test_loader_rejects_an_unknown_related_ref(tmp_path: Path) -> None:
    write_family(tmp_path, "a.toml", "intl-api", entry("A_CODE") + 'related = ["cn-api:NOPE"]\n')
    with pytest.raises(CatalogError, match=r"field 'related': 'cn-api:NOPE'"):
        load_catalog(tmp_path)


def test_loader_rejects_an_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no catalogue files"):
        load_catalog(tmp_path)
