"""manifest.yml and the listeners stay in step: each surface has a listener, each listener a surface.

The listeners are read from the App that create_app builds (its registered listener matchers), not
from a list kept here: the test asks every listener which manifest surface it would answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from slack_bolt import App, BoltRequest, BoltResponse

from bot.catalog import Catalog
from bot.render import ACTION_DETAILS, ACTION_PICK, ACTION_SHARE
from bot.serve import EVENTS_PATH
from bot.slack.app import create_app
from tests.conftest import ROOT
from tests.fake_slack import FakeSlack
from tests.slack.harness import make_settings

MANIFEST: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))

# Slack's facts (the scope each subscription needs), not our listener list.
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "message.mpim": "mpim:history",
}
CHANNEL_TYPES = {
    "message.channels": "channel",
    "message.groups": "group",
    "message.im": "im",
    "message.mpim": "mpim",
}


def manifest_requests(manifest: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """One sample request body for every surface the manifest subscribes to."""
    features = manifest["features"]
    settings = manifest["settings"]
    for command in features.get("slash_commands", []):
        yield f"command {command['command']}", {"command": command["command"], "text": "", "user_id": "U1"}
    for shortcut in features.get("shortcuts", []):
        kind = "message_action" if shortcut["type"] == "message" else "shortcut"
        yield f"shortcut {shortcut['callback_id']}", {"type": kind, "callback_id": shortcut["callback_id"]}
    for name in settings["event_subscriptions"]["bot_events"]:
        event: dict[str, Any] = {"type": name.partition(".")[0], "text": "", "user": "U1", "ts": "1.0"}
        if name in CHANNEL_TYPES:
            event["channel_type"] = CHANNEL_TYPES[name]
        yield f"event {name}", {"type": "event_callback", "event": event}
    if settings.get("interactivity", {}).get("is_enabled"):
        # Buttons are not listed in a manifest; interactivity covers every action the renderer emits.
        for action_id in (ACTION_SHARE, f"{ACTION_PICK}:0", f"{ACTION_DETAILS}:3"):
            body = {
                "type": "block_actions",
                "actions": [{"action_id": action_id, "type": "button", "value": "x"}],
            }
            yield f"action {action_id}", body


@pytest.fixture
def app(fake: FakeSlack, catalog: Catalog) -> App:
    return create_app(make_settings(fake), catalog)


def _matching(app: App, body: dict[str, Any]) -> list[str]:
    request = BoltRequest(body=body, mode="socket_mode")
    return [
        listener.ack_function.__name__
        for listener in app._listeners
        if listener.matches(req=request, resp=BoltResponse(status=200))
    ]


def test_every_manifest_surface_has_a_listener(app: App) -> None:
    for label, body in manifest_requests(MANIFEST):
        assert _matching(app, body), f"manifest.yml has {label} but no listener answers it"


def test_every_listener_is_in_the_manifest(app: App) -> None:
    samples = list(manifest_requests(MANIFEST))
    for listener in app._listeners:
        name = listener.ack_function.__name__
        assert name.startswith("handle_"), f"listener {name} should be named handle_<surface>"
        answered = [label for label, body in samples if name in _matching(app, body)]
        assert answered, f"listener {name} answers nothing that manifest.yml subscribes to"


def test_scopes_are_exactly_what_the_listeners_need() -> None:
    needed = {"chat:write"}
    features = MANIFEST["features"]
    if features.get("slash_commands") or features.get("shortcuts"):
        needed.add("commands")
    needed |= {EVENT_SCOPES[name] for name in MANIFEST["settings"]["event_subscriptions"]["bot_events"]}
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed


def test_the_manifest_creates_a_working_http_app() -> None:
    features, settings = MANIFEST["features"], MANIFEST["settings"]
    [command] = features["slash_commands"]
    assert command["command"] == "/smscode"
    assert command["should_escape"] is False
    assert command["usage_hint"]
    assert len(MANIFEST["display_information"]["name"]) <= 35
    assert len(MANIFEST["display_information"]["description"]) <= 140
    assert all(len(s["description"]) <= 150 for s in features["shortcuts"])
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is False
    urls = [
        command["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    ]
    assert all(url.endswith(EVENTS_PATH) for url in urls)


def test_the_check_has_teeth(app: App) -> None:
    """Dropping a subscription from the manifest leaves its listener unmatched, and the reverse."""
    trimmed = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    trimmed["settings"]["event_subscriptions"]["bot_events"].remove("app_mention")
    samples = list(manifest_requests(trimmed))
    assert not any("handle_app_mention" in _matching(app, body) for _, body in samples)
    extra = {"type": "event_callback", "event": {"type": "app_home_opened", "user": "U1", "tab": "home"}}
    assert _matching(app, extra) == []
