"""The Bolt app factory: a WebClient with retry handlers, event dedupe, one error handler, all listeners."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Hashable, Mapping
from typing import Any
from urllib.error import URLError

from cachetools import TTLCache
from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import WebClient

from bot.catalog import Catalog
from bot.render import render_error
from bot.settings import Settings
from bot.slack import actions, commands, events, shortcuts
from bot.slack.lanes import AnswerPool
from bot.slack.replies import (
    USER_SUBTYPES,
    CheckedRespond,
    ResponseUrlError,
    UntrustedResponseUrl,
    mentions_bot,
    send_response,
)

log = logging.getLogger("smscode.slack")

# What the user reads when their request failed on Slack's side; by Slack error code.
CANNOT_POST = "I can't post in this channel. Add me with /invite (pick smscode) and try again."
USER_MESSAGES: dict[str, str] = {
    "not_in_channel": CANNOT_POST,
    "channel_not_found": "I can't see this conversation. Add me with /invite, or use /smscode.",
    "is_archived": "This channel is archived, so I can't post in it.",
    "ratelimited": "Slack is rate-limiting me right now. Please try again in a minute.",
    "msg_too_long": "That answer was too long for Slack. Try asking about one code at a time.",
    "response_url": "Slack's reply link for this request expired. Run `/smscode` again for a fresh answer.",
    "network": "I couldn't reach Slack just now. Please try again in a moment.",
}
GENERIC_MESSAGE = "Something went wrong while answering. Please try again."

# Slack retries an event whose 2xx did not arrive within 3 s. For a retry of an event this process
# has not seen, `http_timeout` means the first delivery most likely reached us (or the process we
# replaced during a restart) and was answered, so it is skipped. Every other reason
# (connection_failed, ssl_error, http_error, ...) means the first delivery never got an answer
# through, so the retry is processed: better one late answer than none.
SKIP_UNSEEN_RETRY_REASONS = frozenset({"http_timeout"})


# Set in the request context by the first middleware after Bolt's signature check (see
# `make_verified_marker`). A request without it never reached that point: the error handler must
# not act on its body, which anyone could have written.
VERIFIED = "smscode_verified"

# Error codes meaning "the response_url cannot be used": tell the user some other way, if at all.
RESPONSE_URL_CODES = frozenset({"response_url", "untrusted_response_url"})


def make_verified_marker(api_url: str) -> Callable[..., None]:
    """The `before_authorize` middleware: Bolt runs it right after RequestVerification.

    It marks the request as verified (Socket Mode requests arrive over the app's own authenticated
    WebSocket, so they count as verified too) and replaces `respond` with one that only calls
    response_urls on Slack's hosts.
    """

    def mark_verified(context: BoltContext, next: Callable[[], None]) -> None:
        context[VERIFIED] = True
        if context.response_url:
            context["respond"] = CheckedRespond(
                response_url=context.response_url,
                api_url=api_url,
                proxy=context.client.proxy,
                ssl=context.client.ssl,
            )
        next()

    return mark_verified


class EventDeduper:
    """Remembers handled event ids and (channel, ts) pairs for a while, in this process only.

    Memory is per process: run one process per app (one gunicorn worker, or one Socket Mode
    worker). Several processes would each answer a retry that landed on them; that would need a
    shared store such as Redis with a unique key, which one small bot does not need.
    """

    def __init__(self, ttl: float, maxsize: int = 50_000) -> None:
        self._seen: TTLCache[Hashable, bool] = TTLCache(maxsize=maxsize, ttl=ttl)
        self._lock = threading.Lock()

    def claim(self, keys: list[Hashable]) -> bool:
        """True when no key was seen before. Records every key either way, atomically."""
        with self._lock:
            fresh = not any(key in self._seen for key in keys)
            for key in keys:
                self._seen[key] = True
            return fresh


def _header(req: BoltRequest, name: str) -> str | None:
    values = req.headers.get(name)
    return values[0] if values else None


def dedupe_keys(body: Mapping[str, Any], bot_user_id: str | None) -> list[Hashable]:
    """The keys that identify one answerable event: its event_id and, for messages, (channel, ts).

    A message that mentions the bot is left to `app_mention` (the message listener skips it), so
    only the mention claims that (channel, ts); any other pairing of the two for one message still
    produces one answer, whichever arrives first.
    """
    keys: list[Hashable] = []
    if event_id := body.get("event_id"):
        keys.append(("event_id", event_id))
    event = body.get("event") or {}
    channel, ts = event.get("channel"), event.get("ts")
    if not (channel and ts):
        return keys
    if event.get("type") == "app_mention" or (
        event.get("type") == "message"
        and event.get("subtype") in USER_SUBTYPES
        and not event.get("bot_id")
        and not mentions_bot(str(event.get("text") or ""), bot_user_id)
    ):
        keys.append(("message", channel, ts))
    return keys


def make_dedupe_middleware(deduper: EventDeduper) -> Callable[..., BoltResponse | None]:
    def dedupe_events(
        req: BoltRequest, body: dict[str, Any], context: BoltContext, next: Callable[[], None]
    ) -> BoltResponse | None:
        if body.get("type") != "event_callback":
            next()
            return None
        retry_num = _header(req, "x-slack-retry-num")
        retry_reason = _header(req, "x-slack-retry-reason")
        where = _describe(body)
        if not deduper.claim(dedupe_keys(body, context.bot_user_id)):
            log.info("skipped duplicate event (%s, retry=%s reason=%s)", where, retry_num, retry_reason)
            return BoltResponse(status=200, body="")
        if retry_num and retry_reason in SKIP_UNSEEN_RETRY_REASONS:
            log.info(
                "skipped retry of an event not seen here (%s, retry=%s reason=%s)",
                where,
                retry_num,
                retry_reason,
            )
            return BoltResponse(status=200, body="")
        next()
        return None

    return dedupe_events


def _describe(body: Mapping[str, Any]) -> str:
    """Where a request came from, for logs: surface, ids, never message text."""
    event = body.get("event") or {}
    kind = body.get("type") or ("slash_command" if body.get("command") else "unknown")
    if kind == "event_callback":
        surface = f"event:{event.get('type')}" + (f"/{event['subtype']}" if event.get("subtype") else "")
    elif kind == "block_actions":
        ids = [str(a.get("action_id")) for a in body.get("actions") or ()]
        surface = "action:" + ",".join(ids)
    elif kind in {"message_action", "shortcut"}:
        surface = f"shortcut:{body.get('callback_id')}"
    elif kind == "slash_command":
        surface = f"command:{body.get('command')}"
    else:
        surface = str(kind)
    team = body.get("team_id") or (body.get("team") or {}).get("id")
    channel = event.get("channel") or body.get("channel_id") or (body.get("channel") or {}).get("id")
    user = event.get("user") or body.get("user_id") or (body.get("user") or {}).get("id")
    parts = [surface, f"team={team}", f"channel={channel}", f"user={user}"]
    if body.get("event_id"):
        parts.append(f"event_id={body['event_id']}")
    return " ".join(parts)


def _error_code(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or f"http_{error.response.status_code}")
    if isinstance(error, ResponseUrlError):
        return "response_url"
    if isinstance(error, UntrustedResponseUrl):
        return "untrusted_response_url"
    if isinstance(error, URLError | TimeoutError | socket.timeout | ConnectionError):
        return "network"
    return "internal"


def _is_explicit(body: Mapping[str, Any]) -> bool:
    """Someone asked (command, button, shortcut, mention): worth telling them about a failure."""
    event = body.get("event")
    return not (isinstance(event, Mapping) and event.get("type") == "message")


def handle_error(
    error: Exception, body: dict[str, Any], context: BoltContext, client: WebClient
) -> BoltResponse | None:
    """The one error handler: log with context (never message text), then tell the user if possible.

    A request that failed before its signature was verified (Bolt's check itself can raise on a
    malformed header) gets 401 and nothing else: its body is not Slack's, so no call is made on its
    behalf and nothing from it is logged.
    """
    if not context.get(VERIFIED):
        log.warning(
            "refused a request that failed before its signature was verified (%s)", type(error).__name__
        )
        return BoltResponse(status=401, body={"error": "invalid request"})
    code = _error_code(error)
    where = _describe(body)
    if code == "internal":
        log.error("failed to answer (%s): %s", where, type(error).__name__, exc_info=error)
    else:
        log.warning("Slack call failed: %s (%s)", code, where)
    if not _is_explicit(body):
        return None  # a passive reply nobody asked for: logging is enough
    payload = render_error(USER_MESSAGES.get(code, GENERIC_MESSAGE))
    try:
        if context.response_url and context.respond is not None and code not in RESPONSE_URL_CODES:
            send_response(context.respond, payload, response_type="ephemeral", replace_original=False)
            return None
        event = body.get("event") or {}
        channel = event.get("channel") or body.get("channel_id") or (body.get("channel") or {}).get("id")
        user = event.get("user") or body.get("user_id") or (body.get("user") or {}).get("id")
        if channel and user:
            thread_ts = event.get("thread_ts") or event.get("ts")
            client.chat_postEphemeral(
                channel=channel,
                user=user,
                text=payload["text"],
                blocks=payload.get("blocks"),
                thread_ts=thread_ts,
            )
    except Exception as again:  # the user could not be told either; the log above has the cause
        log.warning("could not tell the user about the failure: %s (%s)", _error_code(again), where)
    return None


class _ClientTokenNotice(logging.Filter):
    """Drops Bolt's start-up warning that `token` is unused because a `client` was given.

    Bolt reads SLACK_BOT_TOKEN from the environment by itself and warns when a client is passed as
    well; here the client carries that same token (from settings), so the warning only misleads.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


class BoundedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack-sdk's 429 handler (sleeps Retry-After, then retries), for short waits only.

    It sleeps in a listener thread, after the ack, so it never delays an acknowledgement; but the
    answer threads are few, so a long Retry-After gives up instead: the call fails with
    `ratelimited`, and the error handler logs it and tells the user.
    """

    def __init__(self, max_retry_count: int = 2, max_wait: int = 10) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or not super()._can_retry(
            state=state, request=request, response=response, error=error
        ):
            return False
        for name, values in response.headers.items():
            if name.lower() == "retry-after" and values:
                try:
                    return int(values[0]) <= self.max_wait
                except ValueError:
                    return True
        return True


def build_client(settings: Settings) -> WebClient:
    """A WebClient for settings.slack_api_url that waits out short 429s and retries Slack's 5xx answers."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = WebClient(token=token, base_url=settings.slack_api_url, timeout=10)
    # Appended to the default (one connection-error retry).
    client.retry_handlers.append(BoundedRateLimitRetryHandler(max_retry_count=2, max_wait=10))
    client.retry_handlers.append(ServerErrorRetryHandler(max_retry_count=1))
    return client


def create_app(
    settings: Settings,
    catalog: Catalog,
    client: WebClient | None = None,
    *,
    answer_pool: AnswerPool | None = None,
) -> App:
    """Build a fresh Bolt app with every listener; no global state, so tests build their own.

    Answers run after the ack on `answer_pool` (SMSCODE_LISTENER_THREADS threads unless one is
    given, e.g. by tests that wait for it to drain): explicit answers (commands, buttons, the
    shortcut, mentions) first, passive replies to pasted logs only with a thread to spare.
    """
    pool = answer_pool or AnswerPool(workers=settings.smscode_listener_threads)
    # Bolt logs whole request bodies (message text) at INFO, e.g. on a bad signature: its loggers
    # stay at WARNING unless DEBUG was asked for.
    bolt_logger = logging.getLogger("smscode.bolt")
    bolt_logger.setLevel(logging.DEBUG if settings.log_level == "DEBUG" else logging.WARNING)
    if not any(isinstance(f, _ClientTokenNotice) for f in bolt_logger.filters):
        bolt_logger.addFilter(_ClientTokenNotice())
    app = App(
        client=client or build_client(settings),
        signing_secret=(
            settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
        ),
        # Acknowledge first, work afterwards: the listener runs on the executor after ack().
        process_before_response=False,
        listener_executor=pool,
        logger=bolt_logger,
        before_authorize=make_verified_marker(settings.slack_api_url),
    )
    app.use(make_dedupe_middleware(EventDeduper(ttl=settings.smscode_dedupe_ttl)))
    app.error(handle_error)
    commands.register(app, catalog, settings)
    actions.register(app, catalog, settings)
    shortcuts.register(app, catalog, settings)
    events.register(app, catalog, settings, pool)
    return app
