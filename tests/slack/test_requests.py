"""Requests Bolt must refuse or answer itself: signatures, url_verification, paths, health, forged bodies."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlencode

import pytest
from slack_bolt import BoltRequest

from bot.slack.replies import response_url_allowed
from tests.fake_slack import TEAM_ID, FakeSlack
from tests.slack.harness import CHANNEL, USER, ServedApp


def test_url_verification_echoes_the_challenge(served: ServedApp) -> None:
    body = json.dumps(
        {
            "token": "x",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    reply = served.post(body.encode(), "application/json")
    assert reply.status == 200
    assert b"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in reply.body


def test_a_bad_signature_is_refused(served: ServedApp, fake: FakeSlack) -> None:
    reply = served.command("QPS_LIMIT_CONTROL", signature="v0=" + "0" * 64)
    assert reply.status == 401
    served.drain()
    assert fake.posts() == []


def test_a_stale_signature_is_refused(served: ServedApp, fake: FakeSlack) -> None:
    # Correctly signed, but six minutes old: outside Slack's five-minute replay window.
    reply = served.command("QPS_LIMIT_CONTROL", timestamp=int(time.time()) - 360)
    assert reply.status == 401
    served.drain()
    assert fake.posts() == []


def test_an_unsigned_request_is_refused(served: ServedApp) -> None:
    reply = served.post(b"command=%2Fsmscode&text=x", "application/x-www-form-urlencoded", signature="")
    assert reply.status == 401


def test_healthz_answers_ok(served: ServedApp) -> None:
    reply = served.get("/healthz")
    assert reply.status == 200
    assert reply.body == b"ok\n"


def test_other_paths_are_not_found(served: ServedApp) -> None:
    assert served.get("/").status == 404
    assert served.get("/slack/events").status == 404  # Slack only POSTs here


# ----- unverified requests never reach anything that acts (QA S1)

ATTACKER_EVENT = {
    "type": "event_callback",
    "event_id": "EvFORGED",
    "event": {"type": "app_mention", "channel": "C0VICTIM", "user": "U0VICTIM", "text": "hi", "ts": "1.1"},
}


def _forged_command(fake: FakeSlack) -> bytes:
    form = {
        "command": "/smscode",
        "text": "QPS_LIMIT_CONTROL",
        "user_id": "U0VICTIM",
        "channel_id": "C0VICTIM",
        "response_url": fake.response_url("ATTACKER-CHOSEN"),
    }
    return urlencode(form).encode()


MALFORMED_HEADERS = [
    pytest.param({"X-Slack-Request-Timestamp": "abc"}, id="timestamp-not-a-number"),
    pytest.param({"X-Slack-Request-Timestamp": "1e3"}, id="timestamp-float"),
    pytest.param({"X-Slack-Request-Timestamp": "-1"}, id="timestamp-negative"),
    pytest.param({"X-Slack-Request-Timestamp": "1_700_000_000"}, id="timestamp-underscores"),
    pytest.param({"X-Slack-Signature": "v0=\u00e9"}, id="signature-non-ascii"),
    pytest.param({"X-Slack-Signature": "v0=" + "\u00e9" * 64}, id="signature-non-ascii-full-length"),
    pytest.param({"X-Slack-Signature": "v1=" + "0" * 64}, id="signature-other-version"),
]


@pytest.mark.parametrize("headers", MALFORMED_HEADERS)
@pytest.mark.parametrize("kind", ["command", "event"])
def test_malformed_signing_headers_get_401_and_nothing_else(
    served: ServedApp,
    fake: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str],
    kind: str,
) -> None:
    if kind == "command":
        body, content_type = _forged_command(fake), "application/x-www-form-urlencoded"
    else:
        body, content_type = json.dumps(ATTACKER_EVENT).encode(), "application/json"
    # The signature is computed for the body, so only the malformed header can fail the request.
    reply = served.post(body, content_type, headers=headers)
    assert reply.status == 401
    assert json.loads(reply.body) == {"error": "invalid request"}
    served.drain()
    assert [r.method for r in fake.calls()] == ["auth.test"]  # no response_url, no chat.postEphemeral
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_the_error_handler_refuses_a_request_that_failed_before_verification(
    served: ServedApp, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    # Past the HTTP front door's shape check (a Bolt adapter other than ours, Bolt's own verifier
    # raising on something new): the error handler itself must still answer 401 and do nothing.
    body = _forged_command(fake)
    request = BoltRequest(
        body=body.decode(),
        headers={
            "content-type": ["application/x-www-form-urlencoded"],
            "x-slack-request-timestamp": [str(int(time.time()))],
            "x-slack-signature": ["v0=\u00e9"],
        },
    )
    response = served.app.dispatch(request)
    assert response.status == 401
    served.drain()
    assert [r.method for r in fake.calls()] == ["auth.test"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_a_signed_request_with_a_foreign_response_url_never_calls_it(
    served: ServedApp, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeSlack() as elsewhere:  # same machine, another port: not the configured Slack API
        form = {
            "command": "/smscode",
            "text": "QPS_LIMIT_CONTROL",
            "user_id": USER,
            "channel_id": CHANNEL,
            "team_id": TEAM_ID,
            "response_url": elsewhere.response_url("forwarded"),
        }
        reply = served.post(urlencode(form).encode(), "application/x-www-form-urlencoded")
        assert reply.status == 200
        # The request is Slack's (signed), so the user is told through the Web API instead.
        [told] = fake.wait_for("chat.postEphemeral")
        assert told.body["user"] == USER
        served.drain()
        assert elsewhere.calls() == []
    assert any("untrusted_response_url" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://hooks.slack.com/commands/T0/1/abc", True),
        ("https://HOOKS.SLACK.COM/actions/T0/1/abc", True),
        ("https://hooks.slack-gov.com/commands/T0/1/abc", True),
        ("https://hooks.slack.com:443/commands/T0/1/abc", True),
        ("https://slack.com/api/chat.postMessage", True),  # the configured API's origin
        ("http://hooks.slack.com/commands/T0/1/abc", False),
        ("https://hooks.slack.com:8443/commands/T0/1/abc", False),
        ("https://hooks.slack.com.evil.example/x", False),
        ("https://evil.example/hooks.slack.com/x", False),
        ("https://hooks.slack.com@evil.example/x", False),
        ("https://user:pw@hooks.slack.com/x", False),
        ("https://evil.example\\@hooks.slack.com/x", False),
        ("https://hooks.slack.com:99999/x", False),
        ("https://hooks.slack.com/x y", False),
        ("https://hooks.sl\u0430ck.com/x", False),  # a Cyrillic a
        ("http://127.0.0.1:8080/response/x", False),
        ("file:///etc/passwd", False),
        ("", False),
    ],
)
def test_response_url_allow_list(url: str, allowed: bool) -> None:
    assert response_url_allowed(url, "https://slack.com/api/") is allowed
