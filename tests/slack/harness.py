"""Serve the real app over HTTP on 127.0.0.1 and drive it with correctly signed Slack requests."""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_sdk.signature import SignatureVerifier

from bot.catalog import Catalog
from bot.serve import build_wsgi_app
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.lanes import AnswerPool
from tests.fake_slack import BOT_USER_ID, TEAM_ID, FakeSlack

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-test-token"
APP_ID = "A0SMSCODE"
CHANNEL = "C0INCIDENT"
USER = "U0ALICE"


def make_settings(fake: FakeSlack, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake.api_url,
        "log_level": "INFO",
    }
    values.update(overrides)
    return Settings(**values)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]
    seconds: float


class ServedApp:
    """The app from create_app, behind build_wsgi_app, on an in-process threaded WSGI server."""

    _ids = itertools.count(1)

    def __init__(
        self,
        fake: FakeSlack,
        catalog: Catalog,
        settings: Settings | None = None,
        *,
        answer_pool: AnswerPool | None = None,
    ) -> None:
        self.fake = fake
        self.settings = settings or make_settings(fake)
        self.pool = answer_pool or AnswerPool(workers=self.settings.smscode_listener_threads)
        self.app: App = create_app(self.settings, catalog, answer_pool=self.pool)
        self._server = make_server(
            "127.0.0.1",
            0,
            build_wsgi_app(self.app),
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), name="app-under-test", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        self.drain()

    def drain(self) -> None:
        """Wait until every listener started so far has finished (for "nothing was posted" checks).

        Listeners and passive replies run after the ack on the app's answer pool; shutting it down
        waits for them. The app takes no further requests afterwards, so call this last in a test.
        """
        self.pool.shutdown(wait=True)

    # ----- raw requests

    def get(self, path: str) -> Reply:
        return self._send(urllib.request.Request(self.url + path, method="GET"))  # noqa: S310 (127.0.0.1)

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
        path: str = "/slack/events",
    ) -> Reply:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        if signature is None:
            signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body)
        request = urllib.request.Request(  # noqa: S310 (127.0.0.1 only)
            self.url + path,
            data=body,
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": signature,
                **(headers or {}),
            },
        )
        return self._send(request)

    def _send(self, request: urllib.request.Request) -> Reply:
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (127.0.0.1 only)
                body = response.read()
                return Reply(
                    response.status, body, dict(response.headers.items()), time.perf_counter() - started
                )
        except urllib.error.HTTPError as error:
            with error:
                body = error.read()
                return Reply(error.code, body, dict(error.headers.items()), time.perf_counter() - started)

    # ----- Slack payloads

    def command(
        self, text: str, *, response_id: str | None = None, channel: str = CHANNEL, **kw: Any
    ) -> Reply:
        form = {
            "token": "legacy-unused",
            "team_id": TEAM_ID,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "incident",
            "user_id": USER,
            "user_name": "alice",
            "command": "/smscode",
            "text": text,
            "api_app_id": APP_ID,
            "response_url": self.fake.response_url(response_id or f"cmd{next(self._ids)}"),
            "trigger_id": "1337.42.abcd",
        }
        return self.post(urlencode(form).encode(), "application/x-www-form-urlencoded", **kw)

    def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        **kw: Any,
    ) -> Reply:
        body = {
            "token": "legacy-unused",
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": {"channel": CHANNEL, "event_ts": event.get("ts"), **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        }
        headers = dict(kw.pop("headers", {}) or {})
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        return self.post(json.dumps(body).encode(), "application/json", headers=headers, **kw)

    def interaction(self, payload: Mapping[str, Any], **kw: Any) -> Reply:
        form = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(form, "application/x-www-form-urlencoded", **kw)

    def click(
        self,
        action_id: str,
        value: str,
        *,
        response_id: str = "act1",
        ephemeral: bool = True,
        channel: str = CHANNEL,
        user: str = USER,
        block_id: str = "b1",
        message_ts: str = "1700000000.000100",
        thread_ts: str | None = None,
    ) -> Reply:
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        }
        if thread_ts:
            container["thread_ts"] = thread_ts
        return self.interaction(
            {
                "type": "block_actions",
                "user": {"id": user, "username": "alice", "team_id": TEAM_ID},
                "api_app_id": APP_ID,
                "token": "legacy-unused",
                "team": {"id": TEAM_ID, "domain": "fake"},
                "container": container,
                "channel": {"id": channel, "name": "incident"},
                "response_url": self.fake.response_url(response_id),
                "trigger_id": "1337.42.abcd",
                "actions": [
                    {
                        "action_id": action_id,
                        "block_id": block_id,
                        "value": value,
                        "type": "button",
                        "action_ts": str(time.time()),
                    }
                ],
            }
        )

    def message_shortcut(
        self,
        text: str | None,
        *,
        response_id: str = "sc1",
        callback_id: str = "smscode_explain_message",
        message: Mapping[str, Any] | None = None,
    ) -> Reply:
        """The shortcut on a message by U0BOB with `text`, or on `message` as given (bots, threads)."""
        if message is None:
            message = {"type": "message", "user": "U0BOB", "text": text, "ts": "1700000000.000200"}
        return self.interaction(
            {
                "type": "message_action",
                "callback_id": callback_id,
                "trigger_id": "1337.42.abcd",
                "response_url": self.fake.response_url(response_id),
                "team": {"id": TEAM_ID, "domain": "fake"},
                "channel": {"id": CHANNEL, "name": "incident"},
                "user": {"id": USER, "name": "alice"},
                "message_ts": str(message.get("ts") or "1700000000.000200"),
                "message": dict(message),
                "token": "legacy-unused",
                "action_ts": str(time.time()),
            }
        )


def message(
    text: str, *, ts: str, user: str = "U0BOB", thread_ts: str | None = None, **extra: Any
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "message",
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    event.update(extra)
    return event


def mention(text: str, *, ts: str, thread_ts: str | None = None, user: str = "U0BOB") -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER_ID}> {text}".strip(),
        "ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event
