"""Assertions on what the fake Slack recorded: limits, no pings or links from echoed text."""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import urlsplit

from bot.catalog import load_catalog
from bot.limits import check_message
from tests.conftest import ROOT
from tests.fake_slack import Record, iter_texts

# Markup that would ping people if echoed text carried it through.
PINGS = re.compile(r"<!(?:channel|here|everyone|subteam\^)|<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
LINKS = re.compile(r"<(https?://[^|>]+)")


@functools.cache
def doc_hosts() -> frozenset[str]:
    """Hosts of the catalogue's documentation links: the only links an answer may carry."""
    catalog = load_catalog(ROOT / "catalog")
    return frozenset(urlsplit(catalog.doc_url_of(entry)).hostname or "" for entry in catalog)


def assert_clean(record: Record) -> None:
    """Within Slack's limits; nothing can ping anyone, and the only links are the catalogue's docs."""
    problems = check_message(record.payload) if record.payload.get("blocks") is not None else []
    assert problems == [], problems
    for text in iter_texts(record):
        assert not PINGS.search(text), f"ping in outgoing text: {text[:200]!r}"
        for url in LINKS.findall(text):
            assert urlsplit(url).hostname in doc_hosts(), f"link from user text: {url!r}"


def action_ids(record: Record) -> list[str]:
    ids: list[str] = []
    for block in record.body.get("blocks") or ():
        for element in block.get("elements") or ():
            if isinstance(element, dict) and element.get("action_id"):
                ids.append(str(element["action_id"]))
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and accessory.get("action_id"):
            ids.append(str(accessory["action_id"]))
    return ids


def button_value(record: Record, prefix: str) -> tuple[str, str]:
    """(action_id, value) of the first button whose action_id starts with `prefix`."""
    for block in record.body.get("blocks") or ():
        elements: list[Any] = list(block.get("elements") or ())
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and str(element.get("action_id", "")).startswith(prefix):
                return str(element["action_id"]), str(element.get("value", ""))
    raise AssertionError(f"no button {prefix}* in {action_ids(record)}")


def refs_of(record: Record) -> list[str]:
    metadata = record.body.get("metadata") or {}
    return list((metadata.get("event_payload") or {}).get("refs") or [])
