"""Requests Bolt must refuse or answer itself: signatures, url_verification, paths, health."""

from __future__ import annotations

import json
import time

from tests.fake_slack import FakeSlack
from tests.slack.harness import ServedApp


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
