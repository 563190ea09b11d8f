"""Events: @mentions answered in their thread, and pasted logs answered once per thread (passive)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk.web import WebClient

from bot.catalog import Catalog
from bot.matching import find_codes
from bot.render import render_help, render_message
from bot.results import Lookup, Mode
from bot.settings import Settings
from bot.slack.replies import (
    REPLIES_MAX_PAGES,
    REPLIES_PAGE,
    USER_SUBTYPES,
    ThreadMemory,
    answer_metadata,
    answered_refs,
    is_own_message,
    mentions_bot,
    message_text,
    strip_bot_mention,
)

# How long the in-memory record of "codes explained in this thread" lasts. The answers' metadata
# in Slack is the lasting record; memory is the fast path and closes the race between two
# messages of one thread that arrive together.
THREAD_MEMORY_TTL = 24 * 3600

log = logging.getLogger("smscode.slack")


def thread_messages(client: WebClient, channel: str, thread_ts: str) -> list[dict[str, Any]]:
    """A thread's messages, oldest first, with metadata, read in bounded pages."""
    messages: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(REPLIES_MAX_PAGES):
        page = client.conversations_replies(
            channel=channel, ts=thread_ts, limit=REPLIES_PAGE, include_all_metadata=True, cursor=cursor
        )
        messages.extend(m for m in page.get("messages") or () if isinstance(m, dict))
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            break
    return messages


def _refs(lookup: Lookup) -> list[str]:
    return [match.entry.ref for match in lookup.matches]


def _in_thread(event: dict[str, Any]) -> bool:
    """A reply inside a thread (a thread's parent has thread_ts == ts)."""
    return bool(event.get("thread_ts")) and event.get("thread_ts") != event.get("ts")


def post_answer(
    client: WebClient, channel: str, thread_ts: str, payload: dict[str, Any], refs: Sequence[str]
) -> None:
    """Reply in the thread, recording the explained refs in the message's metadata."""
    client.chat_postMessage(
        channel=channel,
        thread_ts=thread_ts,
        text=payload["text"],
        blocks=payload["blocks"],
        metadata=answer_metadata(refs),
        unfurl_links=False,
        unfurl_media=False,
    )


def explain_thread(
    client: WebClient, context: BoltContext, catalog: Catalog, event: dict[str, Any]
) -> Lookup:
    """Codes in the thread's messages before this one, the bot's own answers left out."""
    ts = float(event["ts"])
    earlier = [
        message_text(m)
        for m in thread_messages(client, str(event["channel"]), str(event["thread_ts"]))
        if float(m.get("ts") or 0) < ts and not is_own_message(m, context.bot_user_id, context.bot_id)
    ]
    # Confident codes only: chat around a log should not turn into "did you mean" guesses.
    return find_codes("\n".join(earlier), catalog, mode=Mode.PASSIVE)


def register(app: App, catalog: Catalog, settings: Settings) -> None:
    """Listen for app_mention and for message events (message.channels, message.groups)."""
    memory = ThreadMemory(ttl=THREAD_MEMORY_TTL)

    def handle_app_mention(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        channel, ts = str(event["channel"]), str(event["ts"])
        thread_ts = str(event.get("thread_ts") or ts)
        asked = strip_bot_mention(message_text(event), context.bot_user_id)
        lookup = find_codes(asked, catalog, mode=Mode.EXPLICIT)
        source = "mention"
        if not lookup.matches and _in_thread(event):
            # "@smscode" under a pasted log: explain the codes in the thread's earlier messages.
            from_thread = explain_thread(client, context, catalog, event)
            if from_thread.matches:
                lookup, source = from_thread, "thread"
        # A bare "@smscode" with nothing to explain gets the usage.
        payload = (
            render_message(lookup, catalog)
            if lookup.matches or lookup.suggestions or asked
            else render_help()
        )
        post_answer(client, channel, thread_ts, payload, _refs(lookup))
        memory.remember(channel, thread_ts, _refs(lookup))
        log.info(
            "mention: %d match(es) from %s, %d suggestion(s) (channel=%s user=%s)",
            len(lookup.matches),
            source,
            len(lookup.suggestions),
            channel,
            event.get("user"),
        )

    def handle_message(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        if not settings.smscode_passive_replies:
            return
        if (
            event.get("bot_id")
            or not event.get("user")
            or is_own_message(event, context.bot_user_id, context.bot_id)
        ):
            return  # other bots (no bot-to-bot loops) and the bot itself
        text = str(event.get("text") or "")
        if mentions_bot(text, context.bot_user_id):
            return  # app_mention answers it; answering here too would reply twice
        lookup = find_codes(text, catalog, mode=Mode.PASSIVE)
        if not lookup.matches:
            return  # chat, not a log: stay quiet
        channel, ts = str(event["channel"]), str(event["ts"])
        thread_ts = str(event.get("thread_ts") or ts)
        refs = _refs(lookup)
        already: set[str] = set()
        if _in_thread(event) and not set(refs) <= memory.known(channel, thread_ts):
            # Memory may be empty after a restart: the metadata on earlier answers is the record.
            already = answered_refs(
                thread_messages(client, channel, thread_ts), context.bot_user_id, context.bot_id
            )
        fresh = memory.claim(channel, thread_ts, refs, also_known=already)
        if not fresh:
            log.info(
                "passive: %d code(s), all explained in this thread already (channel=%s)", len(refs), channel
            )
            return
        fresh_set = set(fresh)
        new = dataclasses.replace(
            lookup, matches=[m for m in lookup.matches if m.entry.ref in fresh_set], suggestions=[]
        )
        payload = render_message(new, catalog)
        try:
            post_answer(client, channel, thread_ts, payload, fresh)
        except Exception:
            memory.release(channel, thread_ts, fresh)  # not explained after all; a later paste may try
            raise
        log.info("passive: explained %d of %d code(s) (channel=%s)", len(fresh), len(refs), channel)

    def handle_message_other(event: dict[str, Any]) -> None:
        """Edits, deletions, joins, bot posts: acknowledged and ignored (unhandled would log and 404)."""

    app.event("app_mention")(handle_app_mention)
    app.event("message", matchers=[lambda event: event.get("subtype") in USER_SUBTYPES])(handle_message)
    app.event("message")(handle_message_other)
