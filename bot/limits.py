"""Slack's message limits, checked on a finished payload: what `slack_sdk.models` does not validate itself.

slack-sdk checks some limits when a block is built (section text ≤ 3000, header ≤ 150, …) but not the number
of blocks in a message, the length of each section field, uniqueness of ids, the top-level `text`, or the
undocumented ~13,200-character ceiling on all block text together (slackapi/bolt-js#2509). `check_message`
checks them all on the plain dict that is about to be sent, so tests can run it over generated inputs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_TEXT_OBJECT = 3000
MAX_MARKDOWN_BLOCK = 12_000
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_BUTTON_URL = 3000
MAX_ID = 255  # block_id and action_id
MAX_TOP_TEXT = 40_000  # Slack truncates the top-level text above this
TARGET_TOP_TEXT = 3000  # what our renderer aims for: a fallback, not a second copy of the answer
MAX_TOTAL_BLOCK_TEXT = 12_000  # ours: safely under the ~13,200 that Slack was seen to reject

_BUTTON_STYLES = {"primary", "danger"}


def _text_of(obj: Any) -> str | None:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return str(obj["text"])
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def iter_block_texts(blocks: list[Any]) -> Iterator[str]:
    """Every piece of visible text in the blocks: text objects, fields, context elements, button labels."""
    for block in _list(blocks):
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("text"), str):  # a `markdown` block carries a bare string
            yield block["text"]
        elif (text := _text_of(block.get("text"))) is not None:
            yield text
        for item in _list(block.get("fields")):
            if (text := _text_of(item)) is not None:
                yield text
        for element in _list(block.get("elements")):
            # Context elements are text objects; actions elements are buttons with a text object inside.
            inner = element.get("text") if isinstance(element, dict) else None
            if (text := _text_of(element) or _text_of(inner)) is not None:
                yield text
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and (text := _text_of(accessory.get("text"))) is not None:
            yield text


def total_block_text(blocks: list[Any]) -> int:
    """The characters of all block text together (the quantity behind Slack's `msg_blocks_too_long`)."""
    return sum(len(text) for text in iter_block_texts(blocks))


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.action_ids: set[str] = set()
        self.block_ids: set[str] = set()

    def add(self, where: str, problem: str) -> None:
        self.problems.append(f"{where}: {problem}")

    def text_object(self, where: str, obj: Any, *, limit: int, plain_only: bool = False) -> None:
        if not isinstance(obj, dict):
            self.add(where, "is not a text object")
            return
        kind = obj.get("type")
        if kind not in ("plain_text", "mrkdwn") or (plain_only and kind != "plain_text"):
            allowed = "plain_text" if plain_only else "plain_text or mrkdwn"
            self.add(where, f"type is {kind!r}, expected {allowed}")
        text = obj.get("text")
        if not isinstance(text, str) or not text.strip():
            self.add(where, "text is empty or missing")
        elif len(text) > limit:
            self.add(where, f"text is {len(text)} characters (max {limit})")
        if kind == "plain_text" and "verbatim" in obj:
            self.add(where, "plain_text cannot be verbatim")

    def identifier(self, where: str, name: str, value: Any, seen: set[str]) -> None:
        if value is None:
            return
        if not isinstance(value, str) or not value:
            self.add(where, f"{name} must be a non-empty string")
        elif len(value) > MAX_ID:
            self.add(where, f"{name} is {len(value)} characters (max {MAX_ID})")
        elif value in seen:
            self.add(where, f"{name} {value!r} is used twice in the message")
        else:
            seen.add(value)

    def element(self, where: str, element: Any) -> None:
        if not isinstance(element, dict):
            self.add(where, "is not an element")
            return
        self.identifier(where, "action_id", element.get("action_id"), self.action_ids)
        if element.get("type") != "button":
            return
        self.text_object(f"{where}.text", element.get("text"), limit=MAX_BUTTON_TEXT, plain_only=True)
        value = element.get("value")
        if value is not None and (not isinstance(value, str) or len(value) > MAX_BUTTON_VALUE):
            size = len(value) if isinstance(value, str) else "not a string"
            self.add(where, f"button value is {size} (max {MAX_BUTTON_VALUE} characters)")
        url = element.get("url")
        if url is not None and (not isinstance(url, str) or len(url) > MAX_BUTTON_URL):
            self.add(where, f"button url is longer than {MAX_BUTTON_URL} characters")
        if "style" in element and element["style"] not in _BUTTON_STYLES:
            self.add(where, f"button style {element['style']!r} is not primary or danger")

    def block(self, where: str, block: Any) -> None:
        if not isinstance(block, dict):
            self.add(where, "is not a block")
            return
        kind = block.get("type")
        where = f"{where} ({kind})"
        self.identifier(where, "block_id", block.get("block_id"), self.block_ids)
        if kind == "section":
            self.section(where, block)
        elif kind == "header":
            self.text_object(f"{where}.text", block.get("text"), limit=MAX_HEADER_TEXT, plain_only=True)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.add(where, "has no elements")
                return
            if len(elements) > MAX_CONTEXT_ELEMENTS:
                self.add(where, f"has {len(elements)} elements (max {MAX_CONTEXT_ELEMENTS})")
            for i, element in enumerate(elements):
                if isinstance(element, dict) and element.get("type") == "image":
                    continue
                self.text_object(f"{where}.elements[{i}]", element, limit=MAX_TEXT_OBJECT)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.add(where, "has no elements")
                return
            if len(elements) > MAX_ACTIONS_ELEMENTS:
                self.add(where, f"has {len(elements)} elements (max {MAX_ACTIONS_ELEMENTS})")
            for i, element in enumerate(elements):
                self.element(f"{where}.elements[{i}]", element)
        elif kind == "markdown":
            text = block.get("text")
            if not isinstance(text, str) or not text:
                self.add(where, "text is empty or missing")
            elif len(text) > MAX_MARKDOWN_BLOCK:
                self.add(where, f"text is {len(text)} characters (max {MAX_MARKDOWN_BLOCK})")
        elif kind not in ("divider", "image", "rich_text", "input", "file", "video", "table"):
            self.add(where, f"unknown block type {kind!r}")

    def section(self, where: str, block: dict[str, Any]) -> None:
        text, fields = block.get("text"), block.get("fields")
        if text is None and not fields:
            self.add(where, "needs text or fields")
        if text is not None:
            self.text_object(f"{where}.text", text, limit=MAX_SECTION_TEXT)
        if fields is not None:
            if not isinstance(fields, list):
                self.add(where, "fields is not a list")
                return
            if len(fields) > MAX_FIELDS:
                self.add(where, f"has {len(fields)} fields (max {MAX_FIELDS})")
            for i, field in enumerate(fields):
                self.text_object(f"{where}.fields[{i}]", field, limit=MAX_FIELD_TEXT)
        if (accessory := block.get("accessory")) is not None:
            self.element(f"{where}.accessory", accessory)


def check_message(payload: dict[str, Any], *, text_limit: int = MAX_TOP_TEXT) -> list[str]:
    """Every Slack limit the message payload breaks, as readable sentences; an empty list means it fits.

    `text_limit` defaults to Slack's own 40,000; pass `TARGET_TOP_TEXT` to hold a payload to our target.
    """
    checker = _Checker()
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        checker.add("text", "the top-level fallback text is empty or missing")
    elif len(text) > text_limit:
        checker.add("text", f"is {len(text)} characters (max {text_limit})")
    blocks = payload.get("blocks", [])
    if not isinstance(blocks, list):
        checker.add("blocks", "is not a list")
        return checker.problems
    if len(blocks) > MAX_BLOCKS:
        checker.add("blocks", f"there are {len(blocks)} blocks (max {MAX_BLOCKS})")
    for i, block in enumerate(blocks):
        checker.block(f"blocks[{i}]", block)
    total = total_block_text(blocks)
    if total > MAX_TOTAL_BLOCK_TEXT:
        checker.add("blocks", f"all block text together is {total} characters (max {MAX_TOTAL_BLOCK_TEXT})")
    return checker.problems
