"""Buttons on answers: Share in channel, "did you mean" picks, and Details on multi-code answers."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import App, Respond
from slack_sdk.errors import SlackApiError
from slack_sdk.web import WebClient

from bot.catalog import Catalog
from bot.render import (
    ACTION_DETAILS,
    ACTION_PICK,
    ACTION_SHARE,
    lookup_from_share_value,
    parse_ref,
    render_entry,
    render_error,
    render_message,
)
from bot.settings import Settings
from bot.slack.replies import ack_at_once, delete_original, errors_to_handler, send_response

SHARE_ACTION = re.compile(rf"^{re.escape(ACTION_SHARE)}$")
PICK_ACTION = re.compile(rf"^{re.escape(ACTION_PICK)}:\d+$")
DETAILS_ACTION = re.compile(rf"^{re.escape(ACTION_DETAILS)}:\d+$")

# chat.postMessage errors meaning "the bot is not in this conversation": a channel it was never
# invited to, or a DM / group DM between people, which a bot cannot join.
NOT_A_MEMBER = frozenset({"not_in_channel", "channel_not_found"})
GONE = "That code is not in the catalogue any more. Run `/smscode` again."

log = logging.getLogger("smscode.slack")


def register(app: App, catalog: Catalog, settings: Settings) -> None:
    """Listen for the three button kinds the renderer puts on answers."""

    def handle_share(
        body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        # Ephemeral messages are not in action payloads: the button value carries the answer.
        lookup = lookup_from_share_value(str(action.get("value") or ""), catalog)
        payload = render_message(lookup, catalog)
        channel = str((body.get("channel") or {}).get("id") or "")
        try:
            # A normal bot message first: it has a ts, can be threaded on and is what people expect.
            client.chat_postMessage(
                channel=channel,
                text=payload["text"],
                blocks=payload["blocks"],
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            if error.response.get("error") not in NOT_A_MEMBER:
                raise  # the error handler logs it and tells the user; the private answer stays
            # The response_url posts as the app wherever the command itself worked, member or not.
            log.info("share: bot not in channel=%s, posting through response_url", channel)
            send_response(respond, payload, response_type="in_channel", replace_original=False)
        delete_original(respond)  # only once the public copy exists
        log.info("share: %d match(es) shared (channel=%s)", len(lookup.matches), channel)

    def handle_pick(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        entry = parse_ref(str(action.get("value") or ""), catalog)
        private = bool((body.get("container") or {}).get("is_ephemeral"))
        payload = render_entry(entry, catalog, shareable=private) if entry else render_error(GONE)
        send_response(respond, payload, replace_original=True)

    def handle_details(action: dict[str, Any], respond: Respond) -> None:
        entry = parse_ref(str(action.get("value") or ""), catalog)
        payload = render_entry(entry, catalog) if entry else render_error(GONE)
        # Only the person who clicked sees it; the shared answer stays as it is.
        send_response(respond, payload, response_type="ephemeral", replace_original=False)

    app.action(SHARE_ACTION, middleware=[ack_at_once])(errors_to_handler(handle_share))
    app.action(PICK_ACTION, middleware=[ack_at_once])(errors_to_handler(handle_pick))
    app.action(DETAILS_ACTION, middleware=[ack_at_once])(errors_to_handler(handle_details))
