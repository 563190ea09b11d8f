"""Events over HTTP: mentions answered in their thread, pasted logs answered once, duplicates never."""

from __future__ import annotations

from typing import Any

import pytest

from bot.catalog import Catalog
from tests.fake_slack import BOT_ID, BOT_USER_ID, FakeSlack
from tests.slack.checks import assert_clean, refs_of
from tests.slack.harness import CHANNEL, ServedApp, make_settings, mention, message

LOG = """2026-03-02 10:41:07 ERROR send failed: {"Code":"QPS_LIMIT_CONTROL","Message":"QPS limit"}"""
LOG_TWO = "resp Code=QPS_LIMIT_CONTROL then Code=AMOUNT_NOT_ENOUGH on the retry"
QPS = "intl-api:QPS_LIMIT_CONTROL"
AMOUNT = "intl-api:AMOUNT_NOT_ENOUGH"


def _bot_answer(ts: str, thread_ts: str, refs: list[str], text: str = "answer") -> dict[str, Any]:
    return {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
        "metadata": {"event_type": "smscode_answer", "event_payload": {"refs": refs}},
    }


# ----- app_mention


def test_a_mention_with_a_code_is_answered_in_its_thread(served: ServedApp, fake: FakeSlack) -> None:
    reply = served.event(mention("what is QPS_LIMIT_CONTROL?", ts="1700000001.000100"))
    assert reply.status == 200
    [post] = fake.wait_for("chat.postMessage")
    assert post.body["channel"] == CHANNEL
    assert post.body["thread_ts"] == "1700000001.000100"
    assert "QPS_LIMIT_CONTROL" in post.body["text"]
    assert refs_of(post) == [QPS]
    assert_clean(post)


def test_a_mention_inside_a_thread_answers_in_that_thread(served: ServedApp, fake: FakeSlack) -> None:
    served.event(mention("QPS_LIMIT_CONTROL", ts="1700000001.000300", thread_ts="1700000001.000100"))
    [post] = fake.wait_for("chat.postMessage")
    assert post.body["thread_ts"] == "1700000001.000100"


def test_a_bare_mention_under_a_log_explains_the_thread(served: ServedApp, fake: FakeSlack) -> None:
    parent = "1700000002.000100"
    fake.set_thread(
        CHANNEL,
        parent,
        [
            message(LOG, ts=parent),
            # The bot's own earlier message names another code: it must not be explained again.
            _bot_answer("1700000002.000150", parent, [AMOUNT], text="AMOUNT_NOT_ENOUGH means ..."),
            message("@smscode what does this mean?", ts="1700000002.000200", thread_ts=parent),
            message(
                "INVALID_SENDERID later on", ts="1700000002.000900", thread_ts=parent
            ),  # after the mention
        ],
    )
    served.event(mention("what does this mean?", ts="1700000002.000200", thread_ts=parent))
    [post] = fake.wait_for("chat.postMessage")
    [read] = fake.calls("conversations.replies")
    assert read.body["ts"] == parent
    assert read.body["include_all_metadata"] in {"1", "true", True}
    assert post.body["thread_ts"] == parent
    assert refs_of(post) == [QPS]
    assert "QPS_LIMIT_CONTROL" in post.body["text"]
    assert_clean(post)


def test_a_bare_mention_with_nothing_to_explain_answers_with_help(served: ServedApp, fake: FakeSlack) -> None:
    served.event(mention("", ts="1700000003.000100"))
    [post] = fake.wait_for("chat.postMessage")
    assert post.body["thread_ts"] == "1700000003.000100"
    assert "/smscode" in post.body["text"] or "smscode" in str(post.body["blocks"])
    assert_clean(post)


def test_a_mention_in_a_thread_without_codes_gets_the_no_match_answer(
    served: ServedApp, fake: FakeSlack
) -> None:
    parent = "1700000004.000100"
    fake.set_thread(CHANNEL, parent, [message("lunch anyone?", ts=parent)])
    served.event(mention("any idea?", ts="1700000004.000200", thread_ts=parent))
    [post] = fake.wait_for("chat.postMessage")
    assert post.body["thread_ts"] == parent
    assert refs_of(post) == []
    assert_clean(post)


# ----- passive messages


def test_a_pasted_log_gets_exactly_one_threaded_reply(served: ServedApp, fake: FakeSlack) -> None:
    served.event(message(LOG, ts="1700000005.000100"))
    [post] = fake.wait_for("chat.postMessage")
    assert post.body["thread_ts"] == "1700000005.000100"
    assert refs_of(post) == [QPS]
    assert_clean(post)
    served.drain()
    assert len(fake.posts()) == 1


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(message("lunch at noon? the deploy looks fine to me", ts="1"), id="chat-noise"),
        pytest.param(message("ok", ts="2"), id="short-chat"),
        pytest.param(message(LOG, ts="3", user=BOT_USER_ID, bot_id=BOT_ID), id="own-bot"),
        pytest.param(
            message(LOG, ts="4", user="U0OTHERBOT", bot_id="B0OTHER", subtype="bot_message"),
            id="other-bot-message",
        ),
        pytest.param(message(LOG, ts="5", user="U0OTHERBOT", bot_id="B0OTHER"), id="other-bot-plain"),
        pytest.param(message(LOG, ts="5.1", user="U0FLOW", bot_profile={"id": "B0FLOW"}), id="workflow-bot"),
        pytest.param(
            {
                "type": "message",
                "subtype": "message_changed",
                "ts": "6",
                "hidden": True,
                "message": {"type": "message", "user": "U0BOB", "text": LOG, "ts": "5"},
                "previous_message": {"type": "message", "user": "U0BOB", "text": "x", "ts": "5"},
            },
            id="edit",
        ),
        pytest.param(
            {
                "type": "message",
                "subtype": "message_deleted",
                "ts": "7",
                "hidden": True,
                "deleted_ts": "5",
                "previous_message": {"type": "message", "user": "U0BOB", "text": LOG, "ts": "5"},
            },
            id="delete",
        ),
        pytest.param(
            message(f"<@U0BOB> has joined the channel {LOG}", ts="8", subtype="channel_join"), id="join"
        ),
    ],
)
def test_no_reply_to_chat_bots_edits_deletions_or_joins(
    served: ServedApp, fake: FakeSlack, event: dict[str, Any]
) -> None:
    reply = served.event(event)
    assert reply.status == 200  # acknowledged, so Slack does not retry
    served.drain()
    assert fake.posts() == []


def test_mention_and_message_for_one_message_get_one_reply(served: ServedApp, fake: FakeSlack) -> None:
    text = f"<@{BOT_USER_ID}> {LOG}"
    ts = "1700000006.000100"
    served.event(message(text, ts=ts), event_id="EvMSG")
    served.event({"type": "app_mention", "user": "U0BOB", "text": text, "ts": ts}, event_id="EvMENTION")
    fake.wait_for("chat.postMessage")
    served.drain()
    assert len(fake.posts()) == 1


def test_mention_first_then_message_for_one_message_get_one_reply(served: ServedApp, fake: FakeSlack) -> None:
    text = f"<@{BOT_USER_ID}|smscode> {LOG}"
    ts = "1700000006.000200"
    served.event({"type": "app_mention", "user": "U0BOB", "text": text, "ts": ts}, event_id="EvMENTION")
    served.event(message(text, ts=ts), event_id="EvMSG")
    fake.wait_for("chat.postMessage")
    served.drain()
    assert len(fake.posts()) == 1


def test_a_thread_already_answered_gets_no_repeats(served: ServedApp, fake: FakeSlack) -> None:
    parent = "1700000007.000100"
    served.event(message(LOG, ts=parent))
    [first] = fake.wait_for("chat.postMessage")
    assert refs_of(first) == [QPS]
    served.event(message(LOG_TWO, ts="1700000007.000200", thread_ts=parent))
    second = fake.wait_for("chat.postMessage", count=2)[1]
    assert second.body["thread_ts"] == parent
    assert refs_of(second) == [AMOUNT]  # only the new code
    assert "QPS_LIMIT_CONTROL" not in second.body["text"]
    served.event(message(LOG_TWO, ts="1700000007.000300", thread_ts=parent))
    served.event(message(LOG, ts="1700000007.000400", thread_ts=parent))
    served.drain()
    assert len(fake.calls("chat.postMessage")) == 2


def test_no_repeats_after_a_restart_from_the_answers_metadata(fake: FakeSlack, catalog: Catalog) -> None:
    parent = "1700000008.000100"
    fake.set_thread(
        CHANNEL,
        parent,
        [message(LOG, ts=parent), _bot_answer("1700000008.000150", parent, [QPS])],
    )
    fresh = ServedApp(fake, catalog)  # a new process: its memory is empty
    try:
        fresh.event(message(LOG, ts="1700000008.000200", thread_ts=parent))
        fresh.drain()
        assert fake.calls("conversations.replies")  # it looked at the thread
        assert fake.posts() == []
    finally:
        fresh.close()


def test_two_messages_racing_in_one_thread_explain_a_code_once(served: ServedApp, fake: FakeSlack) -> None:
    parent = "1700000009.000100"
    fake.set_thread(CHANNEL, parent, [message("deploying now", ts=parent)])
    for i in range(5):
        served.event(message(LOG, ts=f"1700000009.00020{i}", thread_ts=parent))
    served.drain()
    assert len(fake.calls("chat.postMessage")) == 1


def test_passive_replies_can_be_switched_off(fake: FakeSlack, catalog: Catalog) -> None:
    quiet = ServedApp(fake, catalog, make_settings(fake, smscode_passive_replies=False))
    try:
        quiet.event(message(LOG, ts="1700000010.000100"))
        quiet.event(mention("QPS_LIMIT_CONTROL", ts="1700000010.000200"))  # mentions still answered
        [post] = fake.wait_for("chat.postMessage")
        assert post.body["thread_ts"] == "1700000010.000200"
        quiet.drain()
        assert len(fake.posts()) == 1
    finally:
        quiet.close()


# ----- retries and duplicates


def test_a_retry_of_a_handled_event_is_not_answered_twice(served: ServedApp, fake: FakeSlack) -> None:
    event = message(LOG, ts="1700000011.000100")
    served.event(event, event_id="EvONCE")
    fake.wait_for("chat.postMessage")
    for n in (1, 2, 3):
        reply = served.event(event, event_id="EvONCE", retry_num=n, retry_reason="http_timeout")
        assert reply.status == 200
    served.event(event, event_id="EvONCE")  # the same delivery again, no retry header
    served.drain()
    assert len(fake.calls("chat.postMessage")) == 1


def test_a_repeated_event_id_with_a_new_ts_is_still_one_answer(served: ServedApp, fake: FakeSlack) -> None:
    served.event(mention("QPS_LIMIT_CONTROL", ts="1700000012.000100"), event_id="EvSAME")
    served.event(mention("QPS_LIMIT_CONTROL", ts="1700000012.000100"), event_id="EvSAME")
    fake.wait_for("chat.postMessage")
    served.drain()
    assert len(fake.calls("chat.postMessage")) == 1


def test_a_timed_out_retry_never_seen_here_is_skipped(served: ServedApp, fake: FakeSlack) -> None:
    # http_timeout: the first delivery most likely reached a process (the one before a restart).
    served.event(
        message(LOG, ts="1700000013.000100"), event_id="EvUNSEEN", retry_num=1, retry_reason="http_timeout"
    )
    served.drain()
    assert fake.posts() == []


def test_a_retry_after_a_failed_connection_is_answered(served: ServedApp, fake: FakeSlack) -> None:
    # connection_failed: the first delivery never reached any process, so this is the only chance.
    served.event(
        message(LOG, ts="1700000014.000100"), event_id="EvLOST", retry_num=1, retry_reason="connection_failed"
    )
    fake.wait_for("chat.postMessage")
    served.drain()
    assert len(fake.posts()) == 1


# ----- other bots' mentions (QA W8)


def test_a_mention_by_another_bot_is_not_answered(served: ServedApp, fake: FakeSlack) -> None:
    by_bot = {**mention("QPS_LIMIT_CONTROL", ts="1700000030.000100"), "bot_id": "B0OTHER"}
    as_bot_message = {**by_bot, "ts": "1700000030.000200", "subtype": "bot_message"}
    by_workflow = {**mention("QPS_LIMIT_CONTROL", ts="1700000030.000300"), "bot_profile": {"id": "B0FLOW"}}
    for event in (by_bot, as_bot_message, by_workflow):
        assert served.event(event).status == 200
    served.drain()
    assert fake.posts() == []


# ----- quiet when there is nothing to say (passive successes)

RECEIPT_OK = (
    "id:0000012345 sub:001 dlvrd:001 submit date:2611250930 done date:2611250931 stat:DELIVRD err:000"
)
SUCCESSES = [
    pytest.param(RECEIPT_OK, id="receipt-delivered"),
    pytest.param('{"Code":"OK","Message":"OK","BizId":"900619746936498440"}', id="api-ok"),
    pytest.param("submit_sm_resp command_status=0x00000000 ESME_ROK", id="smpp-rok"),
]


@pytest.mark.parametrize("text", SUCCESSES)
def test_a_pasted_success_gets_no_passive_reply(served: ServedApp, fake: FakeSlack, text: str) -> None:
    served.event(message(text, ts="1700000031.000100"))
    served.drain()
    assert fake.posts() == []


def test_a_success_beside_a_failure_is_explained_with_it(served: ServedApp, fake: FakeSlack) -> None:
    served.event(message("stat:DELIVRD err:000 then stat:UNDELIV err:001", ts="1700000032.000100"))
    [post] = fake.wait_for("chat.postMessage")
    assert set(refs_of(post)) == {"smpp-state:DELIVERED", "smpp-state:UNDELIVERABLE"}


def test_a_success_after_a_failure_in_one_thread_adds_nothing(served: ServedApp, fake: FakeSlack) -> None:
    parent = "1700000033.000100"
    served.event(message(LOG, ts=parent))
    fake.wait_for("chat.postMessage")
    served.event(message(f"retried: {RECEIPT_OK}", ts="1700000033.000200", thread_ts=parent))
    served.drain()
    assert len(fake.calls("chat.postMessage")) == 1


@pytest.mark.parametrize("text", SUCCESSES)
def test_asked_about_a_success_the_bot_still_answers(served: ServedApp, fake: FakeSlack, text: str) -> None:
    served.event(mention(text, ts="1700000034.000100"))
    [post] = fake.wait_for("chat.postMessage")
    assert refs_of(post)


# ----- a bare mention in a thread the bot already explained (QA U5)


def test_a_bare_mention_in_an_explained_thread_points_up_instead_of_repeating(
    served: ServedApp, fake: FakeSlack
) -> None:
    parent = "1700000035.000100"
    fake.set_thread(CHANNEL, parent, [message(LOG_TWO, ts=parent)])
    served.event(message(LOG_TWO, ts=parent))  # the passive reply explains both codes
    [first] = fake.wait_for("chat.postMessage")
    served.event(mention("", ts="1700000035.000300", thread_ts=parent))
    second = fake.wait_for("chat.postMessage", count=2)[1]
    assert second.body["thread_ts"] == parent
    assert refs_of(second) == []
    assert "above" in second.body["text"]
    assert "QPS_LIMIT_CONTROL" in second.body["text"]
    assert "AMOUNT_NOT_ENOUGH" in second.body["text"]
    assert len(second.body["blocks"]) == 1  # a short note, not the answer again
    assert len(str(second.body)) < len(str(first.body)) / 2
    assert_clean(second)


def test_a_bare_mention_after_a_restart_reads_the_answers_metadata(fake: FakeSlack, catalog: Catalog) -> None:
    parent = "1700000036.000100"
    fake.set_thread(
        CHANNEL, parent, [message(LOG, ts=parent), _bot_answer("1700000036.000150", parent, [QPS])]
    )
    fresh = ServedApp(fake, catalog)  # its memory is empty
    try:
        fresh.event(mention("", ts="1700000036.000300", thread_ts=parent))
        [post] = fake.wait_for("chat.postMessage")
        assert refs_of(post) == []
        assert "QPS_LIMIT_CONTROL" in post.body["text"]
    finally:
        fresh.close()


def test_a_bare_mention_explains_only_the_codes_new_to_the_thread(served: ServedApp, fake: FakeSlack) -> None:
    parent = "1700000037.000100"
    fake.set_thread(
        CHANNEL,
        parent,
        [
            message(LOG, ts=parent),
            _bot_answer("1700000037.000150", parent, [QPS]),
            message("and now Code=AMOUNT_NOT_ENOUGH", ts="1700000037.000200", thread_ts=parent),
        ],
    )
    served.event(mention("", ts="1700000037.000300", thread_ts=parent))
    [post] = fake.wait_for("chat.postMessage")
    assert refs_of(post) == [AMOUNT]
