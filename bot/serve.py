"""`smscode serve`: run the Slack app in Socket Mode, or over HTTP under gunicorn with `/healthz`."""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.error import URLError

from pydantic import ValidationError
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.catalog import CatalogError, load_catalog
from bot.settings import Settings, describe_settings_error
from bot.slack.app import create_app

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
PROG = "smscode serve"

log = logging.getLogger("smscode.serve")

# The shapes Slack's signing headers always have. Anything else is refused before Bolt sees it:
# Bolt's check raises (instead of answering 401) on a timestamp that is not an integer or on a
# signature with non-ASCII characters, and a request must never get further than that unverified.
TIMESTAMP_SHAPE = re.compile(r"[0-9]{1,15}")
SIGNATURE_SHAPE = re.compile(r"v0=[0-9a-f]{64}")
SIGNING_HEADERS = {
    "HTTP_X_SLACK_REQUEST_TIMESTAMP": TIMESTAMP_SHAPE,
    "HTTP_X_SLACK_SIGNATURE": SIGNATURE_SHAPE,
}
INVALID_REQUEST = json.dumps({"error": "invalid request"}).encode()  # what Bolt answers a bad signature


def signing_headers_malformed(environ: WSGIEnvironment) -> bool:
    """True when a signing header is present but not of Slack's shape (ASCII digits; v0= and 64 hex).

    Missing headers are left to Bolt, which refuses them itself with 401.
    """
    return any(
        (value := environ.get(key)) is not None and not shape.fullmatch(value)
        for key, shape in SIGNING_HEADERS.items()
    )


def build_wsgi_app(app: App) -> WSGIApplication:
    """The WSGI callable gunicorn serves: Slack's requests at /slack/events, and GET /healthz."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def smscode_wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH:
            if environ.get("REQUEST_METHOD") in {"GET", "HEAD"}:
                start_response(
                    "200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")]
                )
                return [b"ok\n"]
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Type", "text/plain")])
            return [b"method not allowed\n"]
        if path == EVENTS_PATH:
            if signing_headers_malformed(environ):
                log.info("refused a request with malformed signing headers")  # as Bolt logs bad signatures
                start_response(
                    "401 Unauthorized",
                    [
                        ("Content-Type", "application/json;charset=utf-8"),
                        ("Content-Length", str(len(INVALID_REQUEST))),
                    ],
                )
                return [INVALID_REQUEST]
            return slack(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"not found\n"]

    return smscode_wsgi


def gunicorn_options(settings: Settings, *, bind: str | None = None) -> dict[str, Any]:
    """Production server settings: one process, many threads.

    One worker because the event dedupe memory and thread memory live in the process: two
    workers could each answer one retried event. Threads give concurrency: requests mostly wait
    on Slack's network round-trips or on ack(), not on the CPU.
    """
    return {
        "bind": bind or f"0.0.0.0:{settings.port}",  # Heroku routes to $PORT on all interfaces
        "workers": 1,
        "worker_class": "gthread",
        "threads": settings.smscode_web_threads,
        "timeout": 30,
        "graceful_timeout": 10,
        "keepalive": 5,
        "preload_app": True,  # the app is built (and its token checked) before gunicorn starts
        "accesslog": None,  # Slack posts many requests; errors and our own INFO lines are enough
        "errorlog": "-",
        "loglevel": settings.log_level.lower(),
        "proc_name": "smscode",
    }


def run_gunicorn(wsgi_app: WSGIApplication, options: dict[str, Any]) -> int:
    """Serve `wsgi_app` with gunicorn, configured in code rather than by command-line flags."""
    # Imported here: gunicorn does not install on Windows, where Socket Mode still works.
    from gunicorn.app.base import BaseApplication  # noqa: PLC0415

    class SmscodeServer(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> WSGIApplication:
            return wsgi_app

    try:
        SmscodeServer().run()
    except SystemExit as stop:  # gunicorn's arbiter exits the process when it halts
        return stop.code if isinstance(stop.code, int) else 1
    return 0


class StartupError(Exception):
    """A start-up check failed: `message` is the one line to print, `status` the exit status."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


class _Silenced(logging.Filter):
    """Drops every record: slack-sdk logs a failed first connection as an ERROR before raising it,
    and start-up reports that failure itself, in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return False


def connect_socket_mode(app: App, settings: Settings) -> SocketModeHandler:
    """Open the Socket Mode connection once, as a start-up check: a refused app token is one line."""
    token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    socket_log = logging.getLogger("smscode.socket")
    # As quiet as Bolt's own loggers (see create_app): reconnects and failures still show.
    socket_log.setLevel(logging.DEBUG if settings.log_level == "DEBUG" else logging.WARNING)
    handler = SocketModeHandler(app, app_token=token, logger=socket_log)
    silenced = _Silenced()
    socket_log.addFilter(silenced)
    try:
        handler.connect()  # type: ignore[no-untyped-call]  # apps.connections.open, then the WebSocket
    except SlackApiError as error:
        handler.close()  # type: ignore[no-untyped-call]
        code = error.response.get("error") or f"HTTP {error.response.status_code}"
        raise StartupError(f"Slack refused SLACK_APP_TOKEN ({code}): check the app-level token") from None
    except Exception as error:  # network, TLS, an unexpected answer: still one line, not a traceback
        handler.close()  # type: ignore[no-untyped-call]
        raise StartupError(
            f"cannot open a Socket Mode connection via {settings.slack_api_url}: {type(error).__name__}: "
            f"{str(error)[:200]}",
            status=1,
        ) from None
    finally:
        socket_log.removeFilter(silenced)
    return handler


def run_socket_mode(handler: SocketModeHandler) -> int:
    """Serve over the open WebSocket until stopped; slack-sdk reconnects by itself."""
    log.info("connected to Slack in Socket Mode")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        handler.close()  # type: ignore[no-untyped-call]
    return 0


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True
    )


def _fail(message: str, status: int = 2) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Run the Slack app: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP on $PORT "
            f"at {EVENTS_PATH} (with GET {HEALTH_PATH})."
        ),
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--http",
        dest="mode",
        action="store_const",
        const="http",
        help="serve HTTP even if SLACK_APP_TOKEN is set",
    )
    mode.add_argument(
        "--socket",
        dest="mode",
        action="store_const",
        const="socket",
        help="use Socket Mode (needs SLACK_APP_TOKEN)",
    )
    parser.add_argument("--port", type=int, help="HTTP port (default: $PORT, else 3000)")
    parser.add_argument("--catalog", type=Path, help="catalogue directory (default: the packaged catalogue)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Start the bot; returns the exit status (2 for missing or bad settings or a broken catalogue)."""
    args = _parser().parse_args(argv)
    try:
        settings = Settings(port=args.port) if args.port is not None else Settings()
    except ValidationError as error:
        return _fail(f"invalid settings: {describe_settings_error(error)}")
    socket_mode = args.mode == "socket" or (args.mode is None and settings.socket_mode)
    missing = settings.missing(socket_mode=socket_mode)
    if missing:
        mode = "Socket Mode" if socket_mode else "HTTP mode"
        return _fail(f"missing environment variable(s) for {mode}: {', '.join(missing)}")
    try:
        catalog = load_catalog(args.catalog)
    except CatalogError as error:
        return _fail(f"the catalogue does not load: {error}")
    try:
        app = create_app(settings, catalog)
    except BoltError as error:  # auth.test refused the token
        return _fail(f"Slack refused SLACK_BOT_TOKEN: {str(error)[:200]}")
    except (SlackClientError, URLError, OSError) as error:
        return _fail(f"cannot reach Slack at {settings.slack_api_url}: {error}", status=1)
    handler = None
    if socket_mode:
        try:
            handler = connect_socket_mode(app, settings)
        except StartupError as error:
            return _fail(str(error), status=error.status)
    # Configured once start-up checks have passed: until then, failures are the one line above.
    configure_logging(settings.log_level)
    log.info("catalogue: %d codes; mode: %s", len(catalog), "socket" if socket_mode else "http")
    if handler is not None:
        return run_socket_mode(handler)
    log.info(
        "serving HTTP on port %d at %s (one process, %d threads)",
        settings.port,
        EVENTS_PATH,
        settings.smscode_web_threads,
    )
    return run_gunicorn(build_wsgi_app(app), gunicorn_options(settings))


if __name__ == "__main__":
    sys.exit(main())
