"""Events: @mentions answered in their thread, and pasted logs answered once per thread (passive)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_sdk.web import WebClient

from bot.catalog import Catalog
from bot.matching import find_codes
from bot.render import render_help, render_message
from bot.results import Lookup, Match, Mode
from bot.settings import Settings
from bot.slack.lanes import AnswerPool
from bot.slack.replies import (
    REPLIES_MAX_PAGES,
    REPLIES_PAGE,
    USER_SUBTYPES,
    ThreadMemory,
    answered_refs,
    errors_to_handler,
    explained_above,
    is_own_message,
    mentions_bot,
    message_text,
    post_answer,
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


def _codes(matches: Sequence[Match]) -> list[str]:
    return list(dict.fromkeys(match.entry.code for match in matches))


def _by_a_bot(event: dict[str, Any]) -> bool:
    """Written by a bot or an app (bot_id; a workflow's bot_profile; the bot_message subtype)."""
    return bool(event.get("bot_id") or event.get("bot_profile") or event.get("subtype") == "bot_message")


def _in_thread(event: dict[str, Any]) -> bool:
    """A reply inside a thread (a thread's parent has thread_ts == ts)."""
    return bool(event.get("thread_ts")) and event.get("thread_ts") != event.get("ts")


def explain_thread(
    messages: list[dict[str, Any]], context: BoltContext, catalog: Catalog, event: dict[str, Any]
) -> Lookup:
    """Codes in the thread's messages before this one, the bot's own answers left out."""
    ts = float(event["ts"])
    earlier = [
        message_text(m)
        for m in messages
        if float(m.get("ts") or 0) < ts and not is_own_message(m, context.bot_user_id, context.bot_id)
    ]
    # Confident codes only: chat around a log should not turn into "did you mean" guesses.
    return find_codes("\n".join(earlier), catalog, mode=Mode.PASSIVE)


class EventListeners:
    """The event listeners, sharing one memory of which codes were explained in which thread."""

    def __init__(self, catalog: Catalog, settings: Settings) -> None:
        self.catalog = catalog
        self.settings = settings
        self.memory = ThreadMemory(ttl=THREAD_MEMORY_TTL)

    def handle_app_mention(self, event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        if _by_a_bot(event):
            # Another bot mentioning this one (an alert template, a relay): answering could loop.
            log.info(
                "mention by a bot ignored (channel=%s bot=%s)", event.get("channel"), event.get("bot_id")
            )
            return
        channel, ts = str(event["channel"]), str(event["ts"])
        thread_ts = str(event.get("thread_ts") or ts)
        asked = strip_bot_mention(message_text(event), context.bot_user_id)
        lookup = find_codes(asked, self.catalog, mode=Mode.EXPLICIT)
        source = "mention"
        if not lookup.matches and _in_thread(event):
            # "@smscode" under a pasted log: explain the codes in the thread's earlier messages.
            messages = thread_messages(client, channel, thread_ts)
            from_thread = explain_thread(messages, context, self.catalog, event)
            explained = self.memory.known(channel, thread_ts) | answered_refs(
                messages, context.bot_user_id, context.bot_id
            )
            new = [m for m in from_thread.matches if m.entry.ref not in explained]
            if from_thread.matches and not new:
                # Everything here was explained already: point up instead of repeating it.
                post_answer(client, channel, thread_ts, explained_above(_codes(from_thread.matches)), [])
                log.info("mention: the thread's %d code(s) were explained above", len(from_thread.matches))
                return
            if new:  # only what the thread has not had explained yet
                lookup, source = dataclasses.replace(from_thread, matches=new), "thread"
        # A bare "@smscode" with nothing to explain gets the usage.
        payload = (
            render_message(lookup, self.catalog)
            if lookup.matches or lookup.suggestions or asked
            else render_help()
        )
        post_answer(client, channel, thread_ts, payload, _refs(lookup))
        self.memory.remember(channel, thread_ts, _refs(lookup))
        log.info(
            "mention: %d match(es) from %s, %d suggestion(s) (channel=%s user=%s)",
            len(lookup.matches),
            source,
            len(lookup.suggestions),
            channel,
            event.get("user"),
        )

    def handle_message(self, event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        if not self.settings.smscode_passive_replies:
            return
        if (
            _by_a_bot(event)
            or not event.get("user")
            or is_own_message(event, context.bot_user_id, context.bot_id)
        ):
            return  # other bots (no bot-to-bot loops) and the bot itself
        text = str(event.get("text") or "")
        if mentions_bot(text, context.bot_user_id):
            return  # app_mention answers it; answering here too would reply twice
        lookup = find_codes(text, self.catalog, mode=Mode.PASSIVE)
        if not lookup.worth_a_passive_reply:
            return  # chat, not a log, or only successes: stay quiet
        channel, ts = str(event["channel"]), str(event["ts"])
        thread_ts = str(event.get("thread_ts") or ts)
        refs = _refs(lookup)
        already: set[str] = set()
        if _in_thread(event) and not set(refs) <= self.memory.known(channel, thread_ts):
            # Memory may be empty after a restart: the metadata on earlier answers is the record.
            already = answered_refs(
                thread_messages(client, channel, thread_ts), context.bot_user_id, context.bot_id
            )
        fresh = self.memory.claim(channel, thread_ts, refs, also_known=already)
        fresh_set = set(fresh)
        new = dataclasses.replace(
            lookup, matches=[m for m in lookup.matches if m.entry.ref in fresh_set], suggestions=[]
        )
        if not new.worth_a_passive_reply:
            # Nothing new, or nothing new but successes (DELIVRD beside a failure explained
            # before). Successes stay unclaimed: a later failure beside them explains them too.
            self.memory.release(channel, thread_ts, fresh)
            log.info("passive: %d code(s), nothing new worth a reply (channel=%s)", len(refs), channel)
            return
        payload = render_message(new, self.catalog)
        try:
            post_answer(client, channel, thread_ts, payload, fresh)
        except Exception:
            self.memory.release(channel, thread_ts, fresh)  # not explained after all; a later paste may try
            raise
        log.info("passive: explained %d of %d code(s) (channel=%s)", len(fresh), len(refs), channel)

    def handle_message_other(self, event: dict[str, Any]) -> None:
        """Edits, deletions, joins, bot posts: acknowledged and ignored (unhandled would log and 404)."""


def passive_middleware(
    pool: AnswerPool, listener: Callable[..., None], *, enabled: bool = True
) -> Callable[..., BoltResponse]:
    """Listener middleware: queue `listener` as passive work instead of as one of Bolt's listeners.

    It answers Slack's HTTP request itself (the 200 an event listener's auto-ack would give); the
    pool runs the reply only when no explicit answer is waiting, and drops it when its backlog is
    full.
    """
    run = errors_to_handler(listener)

    def to_passive_queue(req: BoltRequest, event: dict[str, Any]) -> BoltResponse:
        if enabled:
            pool.submit_passive(lambda: run(req), f"channel={event.get('channel')} ts={event.get('ts')}")
        return BoltResponse(status=200, body="")

    return to_passive_queue


def register(app: App, catalog: Catalog, settings: Settings, pool: AnswerPool) -> None:
    """Listen for app_mention and for message events (message.channels, message.groups)."""
    listeners = EventListeners(catalog, settings)
    app.event("app_mention")(listeners.handle_app_mention)
    # Pasted logs are passive work (after every explicit answer); mentions are explicit.
    app.event(
        "message",
        matchers=[lambda event: event.get("subtype") in USER_SUBTYPES],
        # Switched off (SMSCODE_PASSIVE_REPLIES=false): acknowledged, never queued.
        middleware=[
            passive_middleware(pool, listeners.handle_message, enabled=settings.smscode_passive_replies)
        ],
    )(listeners.handle_message)
    app.event("message")(listeners.handle_message_other)
