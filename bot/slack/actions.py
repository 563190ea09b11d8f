"""Buttons on answers: Share in channel, "did you mean" picks, and Details on multi-code answers."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from slack_bolt import App, BoltResponse, Respond
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
from bot.results import Lookup
from bot.settings import Settings
from bot.slack.replies import (
    Claims,
    ack_at_once,
    answer_metadata,
    delete_original,
    errors_to_handler,
    post_answer,
    send_response,
)

SHARE_ACTION = re.compile(rf"^{re.escape(ACTION_SHARE)}$")
PICK_ACTION = re.compile(rf"^{re.escape(ACTION_PICK)}:\d+$")
DETAILS_ACTION = re.compile(rf"^{re.escape(ACTION_DETAILS)}:\d+$")

# chat.postMessage errors meaning "the bot is not in this conversation": a channel it was never
# invited to, or a DM / group DM between people, which a bot cannot join.
NOT_A_MEMBER = frozenset({"not_in_channel", "channel_not_found"})
GONE = "That code is not in the catalogue any more. Run `/smscode` again."
CANNOT_SHARE = "This answer can no longer be shared; run /smscode again."
SHARED_NOTE = "Shared in the channel. This private copy could not be removed; you can dismiss it."

# The private answer's actions blocks (Share, "did you mean" picks) carry the thread a shared copy
# belongs in, when the answer explains a message inside a thread (the message shortcut). The
# block_id is the edge's to set: it comes back in every action payload, the renderer's share value
# stays about the answer only, and a pick that replaces the answer keeps it.
THREAD_BLOCK = "smscode_thread:"
THREAD_TS = re.compile(r"[0-9]{1,12}\.[0-9]{1,9}")

# How long "this private answer was shared" is remembered: an ephemeral message does not survive
# a reload of the Slack client, so a day outlives any private copy a user could still click.
SHARED_TTL = 24 * 3600
# Two clicks on one button within this window are one click (a double-click on Details or a pick).
REPEAT_WINDOW = 5.0

log = logging.getLogger("smscode.slack")


def click_key(body: Mapping[str, Any], action: Mapping[str, Any]) -> Hashable:
    """What identifies one button on one message for one user: a double-click gives the same key.

    The container's message_ts names the message (an ephemeral one has one too); the value is part
    of the key because a pick can replace a private answer with another one under the same ts.
    """
    container = body.get("container") or {}
    message = container.get("message_ts") or body.get("response_url") or ""
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    user = (body.get("user") or {}).get("id")
    value = hashlib.sha256(str(action.get("value") or "").encode()).hexdigest()
    return (str(action.get("action_id")), channel, message, user, value)


def with_thread(payload: dict[str, Any], thread_ts: str | None) -> dict[str, Any]:
    """The payload with each actions block naming the thread a shared copy belongs in."""
    if not thread_ts or not THREAD_TS.fullmatch(thread_ts):
        return payload
    actions = [b for b in payload.get("blocks") or () if isinstance(b, dict) and b.get("type") == "actions"]
    for i, block in enumerate(actions):
        block["block_id"] = f"{THREAD_BLOCK}{thread_ts}:{i}"  # block_ids are unique within a message
    return payload


def share_thread(body: Mapping[str, Any], action: Mapping[str, Any]) -> str | None:
    """The thread a shared copy goes in: the private answer's own thread, or the one its block names."""
    block_id = str(action.get("block_id") or "")
    candidates = [
        str((body.get("container") or {}).get("thread_ts") or ""),
        block_id.removeprefix(THREAD_BLOCK).partition(":")[0] if block_id.startswith(THREAD_BLOCK) else "",
    ]
    return next((ts for ts in candidates if THREAD_TS.fullmatch(ts)), None)


def skip_repeated_clicks(claims: Claims) -> Callable[..., BoltResponse | None]:
    """Listener middleware (after the ack): a second click on the same button within the window is dropped."""

    def once_per_click(
        body: dict[str, Any], action: dict[str, Any], next: Callable[[], None]
    ) -> BoltResponse | None:
        if not claims.claim(click_key(body, action)):
            log.info("action: repeated click on %s ignored", action.get("action_id"))
            return BoltResponse(status=200, body="")
        next()
        return None

    return once_per_click


def post_shared(
    client: WebClient,
    respond: Respond,
    payload: dict[str, Any],
    *,
    channel: str,
    thread_ts: str | None,
    refs: list[str],
) -> None:
    """Post a shared answer for everyone, with the metadata that stops its thread repeating codes."""
    try:
        # A normal bot message first: it has a ts, can be threaded on and is what people expect.
        post_answer(client, channel, thread_ts, payload, refs)
    except SlackApiError as error:
        if error.response.get("error") not in NOT_A_MEMBER:
            raise  # the error handler logs it and tells the user; the private answer stays
        # The response_url posts as the app wherever the command itself worked, member or not.
        log.info("share: bot not in channel=%s, posting through response_url", channel)
        send_response(
            respond,
            payload,
            response_type="in_channel",
            replace_original=False,
            thread_ts=thread_ts,
            metadata=answer_metadata(refs),
        )


def remove_private_copy(
    client: WebClient, respond: Respond, channel: str, user: str, thread_ts: str | None
) -> None:
    """Delete the private answer once it was shared; failing that, only log it and say so privately.

    The answer is public, which is what was asked, so a failed delete (the response_url expired
    after 30 minutes or 5 uses) is no error for the user. The private copy stays, and its Share
    button does nothing any more (the share was claimed).
    """
    try:
        delete_original(respond)
    except Exception as error:
        log.warning("share: shared, but the private copy could not be removed (%s)", type(error).__name__)
        try:
            note = render_error(SHARED_NOTE)
            client.chat_postEphemeral(
                channel=channel, user=user, text=note["text"], blocks=note["blocks"], thread_ts=thread_ts
            )
        except Exception as again:
            log.warning("share: could not send the 'shared' note either (%s)", type(again).__name__)


def register(app: App, catalog: Catalog, settings: Settings) -> None:
    """Listen for the three button kinds the renderer puts on answers."""
    shared = Claims(ttl=SHARED_TTL)
    repeats = Claims(ttl=REPEAT_WINDOW)

    def read_share_value(value: str) -> Lookup | None:
        """The answer a Share button carries, or None when it cannot be read back."""
        try:
            lookup = lookup_from_share_value(value, catalog)
        except Exception as error:  # a forged or damaged value: never post what cannot be read
            log.warning("share: unreadable share value (%s)", type(error).__name__)
            return None
        return lookup if lookup.matches else None

    def handle_share(
        body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        # Ephemeral messages are not in action payloads: the button value carries the answer.
        lookup = read_share_value(str(action.get("value") or ""))
        if lookup is None:
            send_response(
                respond, render_error(CANNOT_SHARE), response_type="ephemeral", replace_original=False
            )
            return
        key = click_key(body, action)
        if not shared.claim(key):  # a double-click, or the private copy's button after a share
            log.info("share: this private answer was shared already; ignored")
            return
        payload = render_message(lookup, catalog)
        refs = [match.entry.ref for match in lookup.matches]
        channel = str((body.get("channel") or {}).get("id") or "")
        user = str((body.get("user") or {}).get("id") or "")
        thread_ts = share_thread(body, action)
        try:
            post_shared(client, respond, payload, channel=channel, thread_ts=thread_ts, refs=refs)
        except Exception:
            shared.release(key)  # not shared after all: the button may be tried again
            raise
        log.info(
            "share: %d match(es) shared (channel=%s thread=%s)", len(lookup.matches), channel, bool(thread_ts)
        )
        remove_private_copy(client, respond, channel, user, thread_ts)

    def handle_pick(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        entry = parse_ref(str(action.get("value") or ""), catalog)
        private = bool((body.get("container") or {}).get("is_ephemeral"))
        payload = render_entry(entry, catalog, shareable=private) if entry else render_error(GONE)
        send_response(respond, with_thread(payload, share_thread(body, action)), replace_original=True)

    def handle_details(action: dict[str, Any], respond: Respond) -> None:
        entry = parse_ref(str(action.get("value") or ""), catalog)
        payload = render_entry(entry, catalog) if entry else render_error(GONE)
        # Only the person who clicked sees it; the shared answer stays as it is.
        send_response(respond, payload, response_type="ephemeral", replace_original=False)

    once = skip_repeated_clicks(repeats)
    app.action(SHARE_ACTION, middleware=[ack_at_once])(errors_to_handler(handle_share))
    app.action(PICK_ACTION, middleware=[ack_at_once, once])(errors_to_handler(handle_pick))
    app.action(DETAILS_ACTION, middleware=[ack_at_once, once])(errors_to_handler(handle_details))
