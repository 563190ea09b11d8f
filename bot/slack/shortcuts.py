"""The "Explain SMS codes" message shortcut: a private answer about any message, for whoever used it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, Respond

from bot.catalog import Catalog
from bot.matching import find_codes
from bot.render import render_error, render_message
from bot.results import Mode
from bot.settings import Settings
from bot.slack.actions import with_thread
from bot.slack.replies import ack_at_once, errors_to_handler, message_text, send_response

EXPLAIN_MESSAGE = "smscode_explain_message"
NO_TEXT = (
    "That message has no text I can read (I don't open files or images). "
    "Paste the error text after /smscode instead."
)

log = logging.getLogger("smscode.slack")


def register(app: App, catalog: Catalog, settings: Settings) -> None:
    """Listen for the message shortcut named in manifest.yml."""

    def handle_message_shortcut(shortcut: dict[str, Any], respond: Respond) -> None:
        # Someone chose the shortcut on this message, so it is an explicit question about it.
        message = shortcut.get("message") or {}
        text = message_text(message)  # its text, blocks and attachments: alerts hide logs there
        if not text.strip():
            send_response(respond, render_error(NO_TEXT), response_type="ephemeral", replace_original=False)
            log.info(
                "message shortcut: no text to read (channel=%s)", (shortcut.get("channel") or {}).get("id")
            )
            return
        lookup = find_codes(text, catalog, mode=Mode.EXPLICIT)
        payload = render_message(lookup, catalog, shareable=True)
        # A message inside a thread: sharing the answer puts it in that thread, next to the message.
        thread_ts = str(message.get("thread_ts") or "")
        if thread_ts and thread_ts != message.get("ts"):
            payload = with_thread(payload, thread_ts)
        send_response(respond, payload, response_type="ephemeral", replace_original=False)
        log.info(
            "message shortcut: %d match(es), %d suggestion(s) (channel=%s user=%s)",
            len(lookup.matches),
            len(lookup.suggestions),
            (shortcut.get("channel") or {}).get("id"),
            (shortcut.get("user") or {}).get("id"),
        )

    app.shortcut({"callback_id": EXPLAIN_MESSAGE, "type": "message_action"}, middleware=[ack_at_once])(
        errors_to_handler(handle_message_shortcut)
    )
