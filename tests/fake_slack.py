"""A local fake of Slack's Web API and response_url endpoints that records what Slack would receive.

Runs a ThreadingHTTPServer on 127.0.0.1 with an ephemeral port. Answers the methods the bot
calls (auth.test, chat.*, conversations.replies, views.publish) plus `/response/<id>` for
response_url, records each request's path, headers and parsed body, and can be told to fail:
429 with Retry-After, `ok: false` with an error, a dead response_url, slow answers.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
TEAM_ID = "T0TEAM"
RESPONSE_URL = "response_url"  # the method name records of /response/<id> carry


@dataclass
class Record:
    """One request the fake received."""

    method: str  # "chat.postMessage", or RESPONSE_URL for /response/<id>
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int = 200  # the HTTP status the fake answered with
    error: str | None = None  # the `error` of an `ok: false` answer
    at: float = field(default_factory=time.monotonic)

    @property
    def payload(self) -> dict[str, Any]:
        """The message fields (text, blocks) as Slack would get them."""
        return {k: self.body[k] for k in ("text", "blocks") if k in self.body}


@dataclass
class _Fault:
    times: int | None  # None: every call
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    delay: float = 0.0

    def take(self) -> bool:
        if self.times is None:
            return True
        if self.times <= 0:
            return False
        self.times -= 1
        return True


def _parse_value(value: str) -> Any:
    # WebClient sends some arguments (blocks, metadata) as JSON strings inside form bodies.
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeSlack:
    """The fake server. Use as a context manager, or start() and stop()."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.records: list[Record] = []
        self.threads: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._ts = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: tests read the records instead

            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # ----- lifecycle

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    def start(self) -> FakeSlack:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut down; later calls to the fake are refused (the "Slack is down" case)."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----- test controls

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls of `method` with 429 and Retry-After."""
        self._add(method, _Fault(times, status=429, error="ratelimited", retry_after=retry_after))

    def fail(self, method: str, error: str, times: int | None = None) -> None:
        """Answer `method` with 200 and `ok: false, error: <error>` (every call unless `times`)."""
        self._add(method, _Fault(times, error=error))

    def http_error(self, method: str, status: int, times: int | None = None) -> None:
        """Answer `method` (or RESPONSE_URL) with a bare HTTP status, e.g. 404 for an expired response_url."""
        self._add(method, _Fault(times, status=status))

    def slow(self, method: str, seconds: float, times: int | None = None) -> None:
        self._add(method, _Fault(times, delay=seconds))

    def set_thread(self, channel: str, thread_ts: str, messages: list[dict[str, Any]]) -> None:
        """What conversations.replies returns for this thread (the parent first)."""
        with self._lock:
            self.threads[(channel, thread_ts)] = [dict(m) for m in messages]

    def _add(self, method: str, fault: _Fault) -> None:
        with self._lock:
            self._faults.setdefault(method, []).append(fault)

    # ----- reading records

    def calls(self, method: str | None = None) -> list[Record]:
        with self._lock:
            return [r for r in self.records if method is None or r.method == method]

    def posts(self) -> list[Record]:
        """Every accepted request that would have shown a message: chat.* posts and response_url bodies."""
        names = {"chat.postMessage", "chat.postEphemeral", "chat.update", RESPONSE_URL}
        with self._lock:
            return [r for r in self.records if r.method in names and r.status == 200 and r.error is None]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 10.0,
        where: Callable[[Record], bool] | None = None,
    ) -> list[Record]:
        """Poll until `count` matching calls were recorded; the listeners run after the ack."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.calls(method) if where is None or where(r)]
            if len(found) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        if len(found) < count:
            seen = [(r.method, r.path) for r in self.calls()]
            raise AssertionError(f"expected {count} {method} call(s), got {len(found)}; all calls: {seen}")
        return found

    # ----- serving

    def _next_ts(self) -> str:
        return f"1700000100.{next(self._ts):06d}"

    def _fault_for(self, method: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults.get(method, []):
                if fault.take():
                    return fault
        return None

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        body: dict[str, Any] = {k: _parse_value(v) for k, v in parse_qsl(url.query)}
        content_type = request.headers.get("Content-Type", "")
        if raw and "json" in content_type:
            parsed = json.loads(raw)
            if isinstance(parsed, dict):
                body.update(parsed)
        elif raw:
            body.update({k: _parse_value(v) for k, v in parse_qsl(raw.decode())})
        if url.path == "/_fake/stats":  # counts per method, for a fake running in another process
            with self._lock:
                counts: dict[str, Any] = {}
                for r in self.records:
                    counts[r.method] = counts.get(r.method, 0) + 1
            self._send(request, 200, counts)
            return
        if url.path.startswith("/response/"):
            method = RESPONSE_URL
        elif url.path.startswith("/api/"):
            method = url.path.removeprefix("/api/")
        else:
            self._send(request, 404, {"ok": False, "error": "unknown_path"})
            return
        record = Record(method=method, path=url.path, headers=dict(request.headers.items()), body=body)
        fault = self._fault_for(method)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None:
            record.status, record.error = fault.status, fault.error
        with self._lock:
            self.records.append(record)
        if fault is not None and fault.status != 200:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            answer = (
                {"ok": False, "error": fault.error} if fault.error else {"ok": False, "error": "http_error"}
            )
            if method == RESPONSE_URL:
                self._send(request, fault.status, "expired_url", headers)
            else:
                self._send(request, fault.status, answer, headers)
            return
        if fault is not None and fault.error:
            self._send(request, 200, {"ok": False, "error": fault.error})
            return
        self._send(request, 200, self._answer(method, body))

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.test/",
                "team": "Fake",
                "user": "smscode",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            ts = self._next_ts()
            channel = str(body.get("channel"))
            message: dict[str, Any] = {
                "type": "message",
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "text": body.get("text", ""),
                "ts": ts,
            }
            if body.get("metadata"):
                message["metadata"] = body["metadata"]
            if body.get("thread_ts"):
                message["thread_ts"] = body["thread_ts"]
                with self._lock:
                    self.threads.setdefault((channel, str(body["thread_ts"])), []).append(message)
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method in {"chat.update", "chat.delete"}:
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if method == "conversations.replies":
            with self._lock:
                messages = [
                    dict(m) for m in self.threads.get((str(body.get("channel")), str(body.get("ts"))), [])
                ]
            if str(body.get("include_all_metadata")).lower() not in {"1", "true"}:
                for m in messages:
                    m.pop("metadata", None)  # as Slack: metadata only when asked for
            return {
                "ok": True,
                "messages": messages,
                "has_more": False,
                "response_metadata": {"next_cursor": ""},
            }
        return {"ok": True}

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler,
        status: int,
        answer: dict[str, Any] | str,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = (json.dumps(answer) if isinstance(answer, dict) else answer).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json" if isinstance(answer, dict) else "text/plain")
        request.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            request.send_header(key, value)
        request.end_headers()
        request.wfile.write(data)


def iter_texts(record: Record) -> Iterator[str]:
    """Every string in a recorded body, for "no <!channel> anywhere" checks."""

    def walk(value: Any) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)

    yield from walk(record.body)


if __name__ == "__main__":  # python -m tests.fake_slack: for benchmarks and for poking at the bot by hand
    with FakeSlack() as server:
        print(server.api_url, flush=True)  # the first line is the URL, for scripts
        print("fake Slack Web API; GET /_fake/stats for call counts (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
