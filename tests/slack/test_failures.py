"""Slack failing: 429 with Retry-After, 5xx, ok:false, an expired response_url, Slack unreachable."""

from __future__ import annotations

import logging

import pytest

from bot.catalog import Catalog
from bot.render import render_error
from bot.slack.app import CANNOT_POST, USER_MESSAGES
from bot.slack.lanes import AnswerPool
from tests.fake_slack import RESPONSE_URL, FakeSlack
from tests.slack.checks import assert_clean
from tests.slack.harness import CHANNEL, USER, ServedApp, mention, message

LOG = 'send failed {"Code":"QPS_LIMIT_CONTROL"}'
CANARY = "CANARY-7f3a9"  # stands for customer text that must never reach INFO logs


def test_a_429_is_waited_out_and_the_answer_posted_once(served: ServedApp, fake: FakeSlack) -> None:
    fake.rate_limit("chat.postMessage", times=1, retry_after=1)
    served.event(message(LOG, ts="1700000020.000100"))
    limited, accepted = fake.wait_for("chat.postMessage", count=2, timeout=15)
    assert limited.status == 429
    assert accepted.status == 200
    assert accepted.at - limited.at >= 0.9  # slack-sdk slept Retry-After before trying again
    served.drain()
    assert len(fake.posts()) == 1


def test_a_server_error_is_retried(served: ServedApp, fake: FakeSlack) -> None:
    fake.http_error("chat.postMessage", 503, times=1)
    served.event(mention("QPS_LIMIT_CONTROL", ts="1700000021.000100"))
    fake.wait_for("chat.postMessage", count=2, timeout=15)
    served.drain()
    assert len(fake.posts()) == 1


def test_not_in_channel_tells_the_user_how_to_invite_the_bot(
    served: ServedApp, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("chat.postMessage", "not_in_channel")
    served.event(mention("QPS_LIMIT_CONTROL", ts="1700000022.000100", user=USER))
    [told] = fake.wait_for("chat.postEphemeral")
    assert told.body["channel"] == CHANNEL
    assert told.body["user"] == USER
    assert told.body["text"] == render_error(CANNOT_POST)["text"]
    assert_clean(told)
    served.drain()
    assert any("not_in_channel" in r.getMessage() and CHANNEL in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("error", ["channel_not_found", "is_archived"])
def test_other_ok_false_errors_are_logged_and_told(served: ServedApp, fake: FakeSlack, error: str) -> None:
    fake.fail("chat.postMessage", error)
    served.event(mention("QPS_LIMIT_CONTROL", ts="1700000023.000100", user=USER))
    [told] = fake.wait_for("chat.postEphemeral")
    assert told.body["text"] == render_error(USER_MESSAGES[error])["text"]


def test_a_failed_passive_reply_is_only_logged(
    served: ServedApp, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("chat.postMessage", "is_archived")
    served.event(message(LOG, ts="1700000024.000100"))
    fake.wait_for("chat.postMessage")
    served.drain()
    assert fake.calls("chat.postEphemeral") == []  # nobody asked: no notice to the poster
    assert any("is_archived" in r.getMessage() for r in caplog.records)


def test_an_expired_response_url_is_logged_and_the_user_told_another_way(
    served: ServedApp, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.http_error(RESPONSE_URL, 404)
    reply = served.command("QPS_LIMIT_CONTROL")
    assert reply.status == 200
    [told] = fake.wait_for("chat.postEphemeral")
    assert told.body["user"] == USER
    assert told.body["text"] == render_error(USER_MESSAGES["response_url"])["text"]
    served.drain()
    assert any("response_url" in r.getMessage() for r in caplog.records)


def test_slack_unreachable_is_logged_without_crashing(
    served: ServedApp, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.stop()  # connection refused from now on, for the Web API and response_url alike
    assert served.command("QPS_LIMIT_CONTROL").status == 200
    assert served.event(message(LOG, ts="1700000025.000100")).status == 200
    assert served.event(mention("QPS_LIMIT_CONTROL", ts="1700000025.000200")).status == 200
    assert served.get("/healthz").status == 200  # the server is still up
    served.drain()
    failures = [
        r.getMessage() for r in caplog.records if r.name == "smscode.slack" and r.levelno >= logging.WARNING
    ]
    assert any("network" in m for m in failures), failures


def test_info_logs_never_contain_message_text(
    served: ServedApp, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(
        logging.DEBUG, logger="smscode"
    )  # our own loggers at their most talkative short of DEBUG
    caplog.set_level(logging.INFO)
    text = f"{CANARY} +8613812345678 {LOG}"
    served.command(text)
    served.event(message(text, ts="1700000026.000100"))
    served.event(mention(text, ts="1700000026.000200"))
    served.message_shortcut(text)
    served.command(text, signature="v0=" + "0" * 64)  # Bolt logs bodies of bad requests at INFO
    fake.fail("chat.postMessage", "not_in_channel")
    served.event(mention(text, ts="1700000026.000300"))
    fake.wait_for(RESPONSE_URL, count=2)
    served.drain()
    infos = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert infos  # it did log
    for record in infos:
        logged = record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        assert CANARY not in logged, logged
        assert "13812345678" not in logged, logged


def test_a_long_retry_after_gives_up_and_tells_the_user(served: ServedApp, fake: FakeSlack) -> None:
    # Waiting a minute would hold one of the few answer threads; the user hears about it instead.
    fake.rate_limit("chat.postMessage", times=1, retry_after=60)
    served.event(mention("QPS_LIMIT_CONTROL", ts="1700000027.000100", user=USER))
    [told] = fake.wait_for("chat.postEphemeral")
    assert told.body["text"] == render_error(USER_MESSAGES["ratelimited"])["text"]
    served.drain()
    assert len(fake.calls("chat.postMessage")) == 1  # no second try


def test_a_slow_slack_never_delays_the_ack(served: ServedApp, fake: FakeSlack) -> None:
    fake.slow(RESPONSE_URL, 2.0)
    fake.slow("chat.postMessage", 2.0)
    assert served.command("QPS_LIMIT_CONTROL").status == 200
    assert served.event(message(LOG, ts="1700000028.000100")).status == 200
    # Both acks are back while the fake is still sitting on the answers (it records after the delay).
    assert fake.calls(RESPONSE_URL) == []
    assert fake.calls("chat.postMessage") == []
    fake.wait_for(RESPONSE_URL)
    fake.wait_for("chat.postMessage")


# ----- explicit answers never wait behind passive replies (QA W3)


def test_an_explicit_answer_never_waits_behind_passive_replies(served: ServedApp, fake: FakeSlack) -> None:
    # Two pasted logs while Slack is slow: before, they held both answer threads, and the
    # /smscode below waited for one to come free.
    fake.slow("chat.postMessage", 0.8, times=2)
    for i in range(2):
        served.event(message(LOG, ts=f"1700000029.00010{i}", channel=f"C0PASTE{i}"))
    served.command("QPS_LIMIT_CONTROL", response_id="asked")
    fake.wait_for(RESPONSE_URL)
    # The fake records a call once its delay is over: no passive reply is through yet.
    assert fake.calls("chat.postMessage") == []
    fake.wait_for("chat.postMessage", count=2)  # the passive replies still go out, one after another


def test_passive_replies_beyond_the_backlog_are_dropped_and_logged(
    fake: FakeSlack, catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    lane = AnswerPool(max_passive_pending=2)
    app = ServedApp(fake, catalog, answer_pool=lane)
    try:
        fake.slow("chat.postMessage", 0.5, times=1)
        for i in range(5):
            assert app.event(message(LOG, ts=f"1700000029.00020{i}", channel=f"C0BURST{i}")).status == 200
        app.drain()
    finally:
        app.close()
    assert len(fake.calls("chat.postMessage")) == 2
    assert lane.dropped == 3
    # One warning for the burst, not one per dropped reply.
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "dropped" in r.getMessage()]
    assert len(warnings) == 1


def test_a_passive_reply_that_waited_too_long_is_dropped(fake: FakeSlack, catalog: Catalog) -> None:
    lane = AnswerPool(max_wait=0.2)
    app = ServedApp(fake, catalog, answer_pool=lane)
    try:
        fake.slow("chat.postMessage", 0.5, times=1)
        app.event(message(LOG, ts="1700000029.000300", channel="C0SLOW1"))
        app.event(message(LOG, ts="1700000029.000301", channel="C0SLOW2"))  # waits 0.5 s behind the first
        app.drain()
    finally:
        app.close()
    assert len(fake.calls("chat.postMessage")) == 1
    assert lane.dropped == 1
