"""Small helpers the listeners share: sending a rendered payload, reading events, and thread memory."""

from __future__ import annotations

import inspect
import logging
import re
import threading
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from cachetools import TTLCache
from slack_bolt import Ack, BoltRequest
from slack_bolt.context.respond import Respond
from slack_bolt.kwargs_injection import build_required_kwargs
from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock
from slack_sdk.web import WebClient
from slack_sdk.webhook import WebhookResponse

from bot import mrkdwn

# Message subtypes written by a person. Everything else (edits, deletions, joins, bot posts) is
# ignored; `thread_broadcast` is a thread reply also sent to the channel, and `file_share` a
# message with an attached file, both typed by a person.
USER_SUBTYPES: frozenset[str | None] = frozenset({None, "thread_broadcast", "file_share"})

# The metadata event type on every answer the bot posts in a thread, so a later process (after a
# restart, with empty memory) can still tell which codes it already explained there.
ANSWER_EVENT_TYPE = "smscode_answer"

# Bounds on reading a thread back: Slack pages conversations.replies at up to 1,000 messages.
REPLIES_PAGE = 200
REPLIES_MAX_PAGES = 5


log = logging.getLogger("smscode.slack")


def ack_at_once(ack: Ack, next: Callable[[], None]) -> None:
    """Listener middleware: acknowledge in the request thread, before the listener is even queued.

    Bolt runs a command, action or shortcut listener on its executor and polls (every 10 ms, for
    up to 3 s) until that listener calls ack(). Acknowledging here instead answers Slack at once,
    whatever the executor is busy with, so the bot's own work can never delay an acknowledgement.
    Every listener behind it answers through response_url or the Web API, never in the ack.
    """
    ack()
    next()


def errors_to_handler(listener: Callable[..., None]) -> Callable[[BoltRequest], None]:
    """Run a listener, handing its errors to the app's one `@app.error` handler.

    When a listener raises, Bolt's thread runner (slack_bolt/listener/thread_runner.py) sets
    `ack.response = None` even though the ack was given; if that happens before the request thread
    has read the ack, Slack gets nothing for 3 s and shows the user a timeout. Failing fast is
    normal here (an ok:false answer, an expired response_url), so errors go to the same handler
    from here, and Bolt only ever sees listeners that return.
    """
    names = list(inspect.signature(listener).parameters)

    def run(request: BoltRequest) -> None:
        kwargs = build_required_kwargs(
            logger=log,
            required_arg_names=names,
            request=request,
            response=None,
            this_func=listener,
            next_keys_required=False,
        )
        try:
            listener(**kwargs)
        except Exception as error:
            if request.context.ack.response is None:
                request.context.ack()  # never leave Slack waiting, whatever failed
            request.context.listener_runner.listener_error_handler.handle(
                error=error, request=request, response=None
            )

    # Bolt reads the listener's parameter names and its name (the meta-test checks handle_*).
    # functools.wraps would expose the inner signature through __wrapped__, so copy by hand.
    run.__name__ = listener.__name__
    run.__qualname__ = listener.__qualname__
    run.__doc__ = listener.__doc__
    return run


# Where Slack's response_urls live (commercial Slack and GovSlack). The host of the configured
# SLACK_API_URL is allowed too: Slack's own answers come from there, and so do a test fake's.
SLACK_HOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})
_DEFAULT_PORTS = {"https": 443, "http": 80}


def response_url_allowed(url: str, api_url: str) -> bool:
    """True when `url` points at Slack's hooks hosts over HTTPS, or at the configured Web API's origin.

    A response_url comes from the request body. Only a request Slack signed gets this far, but the
    bot still never POSTs its answers (or anything, with its network position) to a host that is
    not Slack's: a leaked signing secret must not turn into a request forwarder.
    """
    if not isinstance(url, str) or not url.isascii() or any(c <= " " or c == "\\" for c in url):
        return False
    try:
        parts, api = urlsplit(url), urlsplit(api_url)
        port, api_port = parts.port, api.port
    except ValueError:  # a port that is not a number, or out of range
        return False
    if parts.username is not None or parts.password is not None:
        return False
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host in SLACK_HOOK_HOSTS and port in (None, 443):
        return True
    if parts.scheme not in _DEFAULT_PORTS or not host:
        return False
    return (parts.scheme, host, port or _DEFAULT_PORTS[parts.scheme]) == (
        api.scheme,
        (api.hostname or "").lower(),
        api_port or _DEFAULT_PORTS.get(api.scheme),
    )


class UntrustedResponseUrl(Exception):
    """A response_url outside Slack's hosts; the bot did not call it."""


class CheckedRespond(Respond):
    """Bolt's `respond()`, refusing response_urls that `response_url_allowed` rejects.

    Installed in the request context right after signature verification, so every listener and the
    error handler get this one; nothing in the bot builds its own webhook client.
    """

    def __init__(self, *, response_url: str | None, api_url: str, **kwargs: Any) -> None:
        super().__init__(response_url=response_url, **kwargs)
        self.api_url = api_url

    def __call__(self, *args: Any, **kwargs: Any) -> WebhookResponse:
        if self.response_url is not None and not response_url_allowed(self.response_url, self.api_url):
            host = urlsplit(self.response_url).hostname if self.response_url.isascii() else "?"
            raise UntrustedResponseUrl(f"response_url host {host!r} is not Slack's; not called")
        return super().__call__(*args, **kwargs)


class ResponseUrlError(Exception):
    """A response_url answered with a non-2xx status (expired after 30 minutes or 5 uses, or gone)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"response_url answered HTTP {status}: {body[:100]}")
        self.status = status
        self.body = body


def send_response(
    respond: Respond,
    payload: Mapping[str, Any],
    *,
    response_type: str | None = None,
    replace_original: bool | None = None,
    delete_original: bool | None = None,
    thread_ts: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> None:
    """POST a rendered payload to the response_url; raise ResponseUrlError on a non-2xx answer.

    slack-sdk's WebhookClient returns failed responses instead of raising, so without this check
    an expired response_url would fail silently and never reach the app's error handler.
    """
    response = respond(
        text=str(payload.get("text", "")),
        blocks=payload.get("blocks"),
        response_type=response_type,
        replace_original=replace_original,
        delete_original=delete_original,
        unfurl_links=False,
        unfurl_media=False,
        thread_ts=thread_ts,
        metadata=metadata,
    )
    if not 200 <= response.status_code < 300:
        raise ResponseUrlError(response.status_code, response.body or "")


def delete_original(respond: Respond) -> None:
    """Remove the message the interaction came from (an ephemeral answer, after sharing it)."""
    response = respond(delete_original=True)
    if not 200 <= response.status_code < 300:
        raise ResponseUrlError(response.status_code, response.body or "")


def mention_pattern(bot_user_id: str | None) -> re.Pattern[str] | None:
    """`<@U123>` or `<@U123|name>` for this bot, as Slack encodes mentions in message text."""
    if not bot_user_id:
        return None
    return re.compile(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>")


def mentions_bot(text: str, bot_user_id: str | None) -> bool:
    pattern = mention_pattern(bot_user_id)
    return bool(pattern and pattern.search(text))


def strip_bot_mention(text: str, bot_user_id: str | None) -> str:
    pattern = mention_pattern(bot_user_id)
    return (pattern.sub(" ", text) if pattern else text).strip()


# Bounds on reading a message's blocks: Slack allows 50 blocks, and rich text nests a few levels.
MAX_BLOCKS_READ = 100
MAX_DEPTH = 8


def _text_object(value: Any) -> str:
    """The text of a Block Kit text object ({"type": "mrkdwn", "text": ...}) or a plain string."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("text"), str):
        return str(value["text"])
    return ""


def _rich_text(element: Any, depth: int = 0) -> str:
    """The words of a rich_text element tree: text runs and link labels (or URLs), lines kept."""
    if depth > MAX_DEPTH or not isinstance(element, Mapping):
        return ""
    kind = element.get("type")
    if kind == "text":
        return str(element.get("text") or "")
    if kind == "link":
        return str(element.get("text") or element.get("url") or "")
    children = element.get("elements")
    if not isinstance(children, list):
        return ""
    inner = "".join(_rich_text(child, depth + 1) for child in children[:MAX_BLOCKS_READ])
    # Sections, code blocks, quotes and list items are lines of their own.
    return (
        inner + "\n" if kind in {"rich_text_section", "rich_text_preformatted", "rich_text_quote"} else inner
    )


def block_texts(blocks: Any, *, rich_text: bool = True) -> list[str]:
    """The readable text of Block Kit blocks: section text and fields, headers, context, rich text."""
    texts: list[str] = []
    if not isinstance(blocks, list):
        return texts
    for block in blocks[:MAX_BLOCKS_READ]:
        if not isinstance(block, Mapping):
            continue
        kind = block.get("type")
        if kind in {"section", "header", "markdown"}:
            texts.append(_text_object(block.get("text")))
            fields = block.get("fields")
            if isinstance(fields, list):
                texts.extend(_text_object(field) for field in fields[:MAX_BLOCKS_READ])
        elif kind == "context":
            elements = block.get("elements")
            if isinstance(elements, list):
                texts.extend(_text_object(element) for element in elements[:MAX_BLOCKS_READ])
        elif kind == "rich_text" and rich_text:
            texts.append(_rich_text(block).strip())
    return [text for text in texts if text]


def _attachment_texts(attachment: Mapping[str, Any]) -> list[str]:
    texts = [attachment.get(key) for key in ("pretext", "title", "text", "fallback")]
    fields = attachment.get("fields")
    for field in fields[:MAX_BLOCKS_READ] if isinstance(fields, list) else ():
        if isinstance(field, Mapping):
            texts.extend([field.get("title"), field.get("value")])
    found = [text for text in texts if isinstance(text, str) and text]
    return found + block_texts(attachment.get("blocks"))


def message_text(message: Mapping[str, Any]) -> str:
    """All the readable text of a message: its text, its blocks and its legacy attachments.

    Alerting bots often put the log in blocks or attachments and only "Alert" in `text`. A part
    already contained in what was read is skipped (a fallback repeats the section it stands for).
    A person's message carries a rich_text block that mirrors its `text` with different encoding,
    so rich text is read only when there is no text, or when a bot wrote the message.
    """
    text = message.get("text")
    parts = [text] if isinstance(text, str) and text else []
    rich = not parts or bool(message.get("bot_id"))
    candidates = block_texts(message.get("blocks"), rich_text=rich)
    for attachment in message.get("attachments") or ():
        if isinstance(attachment, Mapping):
            candidates.extend(_attachment_texts(attachment))
    for candidate in candidates:
        if not any(candidate in part for part in parts):
            parts.append(candidate)
    return "\n".join(parts)


def explained_above(codes: list[str], limit: int = 10) -> dict[str, Any]:
    """A short note for "@smscode" in a thread whose codes the bot already explained there."""
    shown = ", ".join(mrkdwn.code_span(code, 80) for code in codes[:limit])
    more = f" and {len(codes) - limit} more" if len(codes) > limit else ""
    plain = mrkdwn.escape(", ".join(codes[:limit]) + more)
    return {
        "text": f"I explained {plain} above in this thread. Mention me with a code to see it again.",
        "blocks": [
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"I explained {shown}{more} above in this thread. "
                    "Mention me with a code to see it again.",
                    verbatim=True,
                )
            ).to_dict()
        ],
    }


def is_own_message(message: Mapping[str, Any], bot_user_id: str | None, bot_id: str | None) -> bool:
    return bool(
        (bot_user_id and message.get("user") == bot_user_id) or (bot_id and message.get("bot_id") == bot_id)
    )


def answered_refs(
    messages: Iterable[Mapping[str, Any]], bot_user_id: str | None, bot_id: str | None
) -> set[str]:
    """Refs the bot recorded in the metadata of its own answers among `messages`."""
    refs: set[str] = set()
    for message in messages:
        if not is_own_message(message, bot_user_id, bot_id):
            continue
        metadata = message.get("metadata")
        if not isinstance(metadata, Mapping) or metadata.get("event_type") != ANSWER_EVENT_TYPE:
            continue
        payload = metadata.get("event_payload")
        values = payload.get("refs") if isinstance(payload, Mapping) else None
        if isinstance(values, list):
            refs.update(v for v in values if isinstance(v, str))
    return refs


def answer_metadata(refs: Iterable[str]) -> dict[str, Any]:
    return {"event_type": ANSWER_EVENT_TYPE, "event_payload": {"refs": list(refs)}}


class Claims:
    """Keys claimed for a while (check-and-set under one lock), e.g. "this private answer was shared"."""

    def __init__(self, ttl: float, maxsize: int = 10_000) -> None:
        self._seen: TTLCache[Hashable, bool] = TTLCache(maxsize=maxsize, ttl=ttl)
        self._lock = threading.Lock()

    def claim(self, key: Hashable) -> bool:
        """True for the first claim of `key` within the TTL; False for every repeat."""
        with self._lock:
            if key in self._seen:
                return False
            self._seen[key] = True
            return True

    def release(self, key: Hashable) -> None:
        """Forget a claim whose work failed, so the user can try again."""
        with self._lock:
            self._seen.pop(key, None)


class ThreadMemory:
    """Which codes the bot explained in which thread, kept for a while, safe across listener threads.

    `claim` is check-and-set under one lock, so two messages in one thread that arrive together
    cannot both explain the same code.
    """

    def __init__(self, ttl: float, maxsize: int = 20_000) -> None:
        self._threads: TTLCache[tuple[str, str], frozenset[str]] = TTLCache(maxsize=maxsize, ttl=ttl)
        self._lock = threading.Lock()

    def known(self, channel: str, thread_ts: str) -> frozenset[str]:
        with self._lock:
            return self._threads.get((channel, thread_ts), frozenset())

    def claim(
        self, channel: str, thread_ts: str, refs: Iterable[str], *, also_known: Iterable[str] = ()
    ) -> list[str]:
        """Record `refs` as explained here; return, in order, those nobody had explained yet."""
        with self._lock:
            key = (channel, thread_ts)
            known = set(self._threads.get(key, frozenset())) | set(also_known)
            fresh = [ref for ref in dict.fromkeys(refs) if ref not in known]
            self._threads[key] = frozenset(known | set(fresh))
            return fresh

    def release(self, channel: str, thread_ts: str, refs: Iterable[str]) -> None:
        """Forget refs whose answer could not be posted, so a later message may explain them."""
        with self._lock:
            key = (channel, thread_ts)
            if key in self._threads:
                self._threads[key] = self._threads[key] - set(refs)

    def remember(self, channel: str, thread_ts: str, refs: Iterable[str]) -> None:
        with self._lock:
            key = (channel, thread_ts)
            self._threads[key] = self._threads.get(key, frozenset()) | set(refs)


def post_answer(
    client: WebClient, channel: str, thread_ts: str | None, payload: Mapping[str, Any], refs: Sequence[str]
) -> None:
    """Post an answer (in a thread when `thread_ts` is set), recording the explained refs in its metadata."""
    client.chat_postMessage(
        channel=channel,
        thread_ts=thread_ts,
        text=payload["text"],
        blocks=payload["blocks"],
        metadata=answer_metadata(refs),
        unfurl_links=False,
        unfurl_media=False,
    )
