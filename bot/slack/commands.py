"""`/smscode TEXT`: a private answer with a Share button; `/smscode help` or nothing: usage and examples."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, Respond

from bot.catalog import Catalog
from bot.matching import find_codes
from bot.render import render_help, render_message
from bot.results import Mode
from bot.settings import Settings
from bot.slack.replies import ack_at_once, errors_to_handler, send_response

COMMAND = "/smscode"
HELP_WORDS = frozenset({"", "help", "-h", "--help", "?"})

log = logging.getLogger("smscode.slack")


def register(app: App, catalog: Catalog, settings: Settings) -> None:
    """Listen for the slash command named in manifest.yml."""

    def handle_command(command: dict[str, Any], respond: Respond) -> None:
        text = str(command.get("text") or "")
        if text.strip().casefold() in HELP_WORDS:
            payload = render_help()
            log.info(
                "slash command: help (channel=%s user=%s)", command.get("channel_id"), command.get("user_id")
            )
        else:
            lookup = find_codes(text, catalog, mode=Mode.EXPLICIT)
            payload = render_message(lookup, catalog, shareable=True)
            log.info(
                "slash command: %d match(es), %d suggestion(s), %d chars (channel=%s user=%s)",
                len(lookup.matches),
                len(lookup.suggestions),
                len(text),
                command.get("channel_id"),
                command.get("user_id"),
            )
        send_response(respond, payload, response_type="ephemeral")

    app.command(COMMAND, middleware=[ack_at_once])(errors_to_handler(handle_command))
