"""Buttons over HTTP: Share in channel, "did you mean" picks, and Details on a public answer."""

from __future__ import annotations

import logging

import pytest

from bot.render import ACTION_DETAILS, ACTION_PICK, ACTION_SHARE, render_error
from bot.slack.actions import CANNOT_SHARE, SHARED_NOTE
from bot.slack.app import USER_MESSAGES
from tests.fake_slack import RESPONSE_URL, FakeSlack
from tests.slack.checks import action_ids, assert_clean, button_value, refs_of
from tests.slack.harness import CHANNEL, USER, ServedApp


def _private_answer(served: ServedApp, fake: FakeSlack, text: str) -> tuple[str, str]:
    served.command(text, response_id="cmd")
    [answer] = fake.wait_for(RESPONSE_URL)
    return button_value(answer, ACTION_SHARE)


def test_share_posts_the_answer_for_everyone_and_removes_the_private_one(
    served: ServedApp, fake: FakeSlack
) -> None:
    action_id, value = _private_answer(served, fake, "QPS_LIMIT_CONTROL")
    reply = served.click(action_id, value, response_id="share")
    assert reply.status == 200
    [public] = fake.wait_for("chat.postMessage")
    assert public.body["channel"] == CHANNEL
    assert "QPS_LIMIT_CONTROL" in public.body["text"]
    assert ACTION_SHARE not in action_ids(public)  # already shared: no second Share button
    assert_clean(public)
    [delete] = fake.wait_for(RESPONSE_URL, where=lambda r: r.path.endswith("/share"))
    assert delete.body.get("delete_original") is True


def test_share_where_the_bot_is_not_a_member_goes_through_response_url(
    served: ServedApp, fake: FakeSlack
) -> None:
    action_id, value = _private_answer(served, fake, "QPS_LIMIT_CONTROL")
    fake.fail("chat.postMessage", "not_in_channel")
    served.click(action_id, value, response_id="share")
    shared = fake.wait_for(RESPONSE_URL, count=2, where=lambda r: r.path.endswith("/share"))
    public, delete = shared
    assert public.body["response_type"] == "in_channel"
    assert public.body.get("replace_original") is False
    assert "QPS_LIMIT_CONTROL" in public.body["text"]
    assert_clean(public)
    assert delete.body.get("delete_original") is True


def test_share_in_an_archived_channel_tells_the_user_and_keeps_the_private_answer(
    served: ServedApp, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    action_id, value = _private_answer(served, fake, "QPS_LIMIT_CONTROL")
    fake.fail("chat.postMessage", "is_archived")
    reply = served.click(action_id, value, response_id="share")
    assert reply.status == 200
    # A listener failing right after ack() must not lose the ack (Bolt resets it; see acked_first).
    assert not [r for r in caplog.records if "didn't call ack" in r.getMessage()]
    [told] = fake.wait_for(RESPONSE_URL, where=lambda r: r.path.endswith("/share"))
    assert told.body["response_type"] == "ephemeral"
    assert told.body.get("replace_original") is False
    assert "archived" in told.body["text"]
    served.drain()
    assert not any(r.body.get("delete_original") for r in fake.calls(RESPONSE_URL))


def test_a_did_you_mean_pick_replaces_the_private_answer(served: ServedApp, fake: FakeSlack) -> None:
    served.command("DELIV", response_id="cmd")  # a fragment: the matcher offers choices, not an answer
    [answer] = fake.wait_for(RESPONSE_URL)
    assert_clean(answer)
    action_id, value = button_value(answer, ACTION_PICK)
    served.click(action_id, value, response_id="pick")
    [picked] = fake.wait_for(RESPONSE_URL, where=lambda r: r.path.endswith("/pick"))
    assert picked.body.get("replace_original") is True
    assert value.partition(":")[2] in picked.body["text"]
    assert ACTION_SHARE in action_ids(picked)  # still private, so still shareable
    assert_clean(picked)


def test_a_pick_with_an_unknown_value_answers_without_crashing(served: ServedApp, fake: FakeSlack) -> None:
    served.click(f"{ACTION_PICK}:0", "nope:NOT_A_CODE<!channel>", response_id="pick")
    [answer] = fake.wait_for(RESPONSE_URL)
    assert_clean(answer)


def test_details_on_a_public_answer_is_private_to_the_clicker(served: ServedApp, fake: FakeSlack) -> None:
    served.click(
        f"{ACTION_DETAILS}:1", "intl-receipt:INVALID_SENDERID", response_id="details", ephemeral=False
    )
    [answer] = fake.wait_for(RESPONSE_URL)
    assert answer.body["response_type"] == "ephemeral"
    assert answer.body.get("replace_original") is False
    assert "INVALID_SENDERID" in answer.body["text"]
    assert_clean(answer)
    served.drain()
    assert fake.calls("chat.postMessage") == []


def test_details_buttons_come_from_a_real_multi_code_answer(served: ServedApp, fake: FakeSlack) -> None:
    codes = " ".join(
        [
            "QPS_LIMIT_CONTROL",
            "INVALID_SENDERID",
            "MOBILE_NUMBER_ILLEGAL",
            "AMOUNT_NOT_ENOUGH",
            "SYSTEM_ERROR",
        ]
    )
    action_id, value = _private_answer(served, fake, codes)
    served.click(action_id, value, response_id="share")
    [public] = fake.wait_for("chat.postMessage")
    details_id, details_value = button_value(public, ACTION_DETAILS)
    served.click(details_id, details_value, response_id="details", ephemeral=False)
    [answer] = fake.wait_for(RESPONSE_URL, where=lambda r: r.path.endswith("/details"))
    assert answer.body["response_type"] == "ephemeral"
    assert details_value.partition(":")[2] in answer.body["text"]
    assert_clean(answer)


# ----- sharing exactly once, and only what can be read back (QA W1, W2, W4/W5)


def _no_link_expired_notice(fake: FakeSlack) -> None:
    expired = render_error(USER_MESSAGES["response_url"])["text"]
    assert not [r for r in fake.calls() if r.body.get("text") == expired]


def test_share_after_the_response_url_expired_is_shared_without_a_false_error(
    served: ServedApp, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    action_id, value = _private_answer(served, fake, "QPS_LIMIT_CONTROL")
    fake.http_error(RESPONSE_URL, 404)  # the private answer's response_url is spent
    served.click(action_id, value, response_id="share")
    [public] = fake.wait_for("chat.postMessage")
    assert "QPS_LIMIT_CONTROL" in public.body["text"]
    # The user hears that it was shared (privately), never "link expired, run /smscode again".
    [note] = fake.wait_for("chat.postEphemeral")
    assert note.body["user"] == USER
    assert note.body["text"] == render_error(SHARED_NOTE)["text"]
    # The private copy stays on screen with its Share button: clicking it again posts nothing.
    served.click(action_id, value, response_id="share-again")
    served.drain()
    assert len(fake.calls("chat.postMessage")) == 1
    _no_link_expired_notice(fake)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("could not be removed" in m for m in warnings), warnings
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_double_click_on_share_posts_once(served: ServedApp, fake: FakeSlack) -> None:
    action_id, value = _private_answer(served, fake, "QPS_LIMIT_CONTROL")
    served.click(action_id, value, response_id="share1")
    served.click(action_id, value, response_id="share2")  # Slack sends each click with its own response_url
    served.click(action_id, value, response_id="share3")
    served.drain()
    assert len(fake.calls("chat.postMessage")) == 1
    assert len([r for r in fake.calls(RESPONSE_URL) if r.body.get("delete_original")]) == 1


def test_a_share_that_failed_can_be_tried_again(served: ServedApp, fake: FakeSlack) -> None:
    action_id, value = _private_answer(served, fake, "QPS_LIMIT_CONTROL")
    fake.fail("chat.postMessage", "ratelimited", times=1)
    served.click(action_id, value, response_id="share1")
    fake.wait_for(RESPONSE_URL, where=lambda r: r.path.endswith("/share1"))  # told it failed
    served.click(action_id, value, response_id="share2")
    public = fake.wait_for("chat.postMessage", count=2)[1]
    assert public.status == 200
    assert public.error is None


def test_two_people_sharing_their_own_answers_both_post(served: ServedApp, fake: FakeSlack) -> None:
    action_id, value = _private_answer(served, fake, "QPS_LIMIT_CONTROL")
    served.click(action_id, value, response_id="alice", user=USER)
    served.click(action_id, value, response_id="bob", user="U0BOB", message_ts="1700000000.000900")
    fake.wait_for("chat.postMessage", count=2)


def test_a_double_click_on_details_answers_once(served: ServedApp, fake: FakeSlack) -> None:
    for _ in range(3):
        served.click(
            f"{ACTION_DETAILS}:1", "intl-api:QPS_LIMIT_CONTROL", response_id="details", ephemeral=False
        )
    fake.wait_for(RESPONSE_URL)
    served.drain()
    assert len(fake.calls(RESPONSE_URL)) == 1


UNREADABLE_SHARE_VALUES = [
    pytest.param("", id="empty"),
    pytest.param("null", id="null"),
    pytest.param("[]", id="list"),
    pytest.param("not json at all <!channel>", id="garbage"),
    pytest.param('{"v":2,"r":[["intl-api:QPS_LIMIT_CONTROL"]]}', id="other-version"),
    pytest.param('{"v":1,"r":[]}', id="no-codes"),
    pytest.param('{"v":1,"r":[["intl-api:NOT_A_CODE"]]}', id="unknown-code"),
    pytest.param(
        '{"v":1,"r":[["intl-api:QPS_LIMIT_CONTROL","exact",100,1,"x",[[1e400,"snip"]],[]]]}',
        id="overflowing-line-number",
    ),
    pytest.param(
        '{"v":1,"r":[["intl-api:QPS_LIMIT_CONTROL","exact",1e400,1e400,"x",[],[]]]}', id="overflowing-count"
    ),
]


@pytest.mark.parametrize("value", UNREADABLE_SHARE_VALUES)
def test_an_unreadable_share_value_is_refused_privately(
    served: ServedApp, fake: FakeSlack, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    reply = served.click(ACTION_SHARE, value, response_id="share")
    assert reply.status == 200
    [told] = fake.wait_for(RESPONSE_URL)
    assert told.body["response_type"] == "ephemeral"
    assert told.body.get("replace_original") is False
    assert told.body["text"] == render_error(CANNOT_SHARE)["text"]
    assert_clean(told)
    served.drain()
    assert fake.calls("chat.postMessage") == []
    assert not [r for r in fake.calls(RESPONSE_URL) if r.body.get("response_type") == "in_channel"]
    assert not [r for r in fake.calls(RESPONSE_URL) if r.body.get("delete_original")]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# ----- where a shared copy goes, and what it carries (QA W6)


def test_a_shared_copy_carries_the_answer_metadata(served: ServedApp, fake: FakeSlack) -> None:
    action_id, value = _private_answer(served, fake, "QPS_LIMIT_CONTROL AMOUNT_NOT_ENOUGH")
    served.click(action_id, value, response_id="share")
    [public] = fake.wait_for("chat.postMessage")
    assert refs_of(public) == ["intl-api:QPS_LIMIT_CONTROL", "intl-api:AMOUNT_NOT_ENOUGH"]
    assert "thread_ts" not in public.body  # a /smscode answer is shared in the channel itself


def test_a_shared_copy_through_response_url_carries_the_metadata_too(
    served: ServedApp, fake: FakeSlack
) -> None:
    action_id, value = _private_answer(served, fake, "QPS_LIMIT_CONTROL")
    fake.fail("chat.postMessage", "not_in_channel")
    served.click(action_id, value, response_id="share")
    [public, _delete] = fake.wait_for(RESPONSE_URL, count=2, where=lambda r: r.path.endswith("/share"))
    assert public.body["response_type"] == "in_channel"
    assert refs_of(public) == ["intl-api:QPS_LIMIT_CONTROL"]


PARENT = "1700000040.000100"
IN_THREAD = {
    "type": "message",
    "user": "U0BOB",
    "text": 'send failed {"Code":"QPS_LIMIT_CONTROL"}',
    "ts": "1700000040.000300",
    "thread_ts": PARENT,
}


def test_sharing_a_shortcut_answer_posts_in_the_explained_messages_thread(
    served: ServedApp, fake: FakeSlack
) -> None:
    served.message_shortcut(None, message=IN_THREAD, response_id="sc")
    [answer] = fake.wait_for(RESPONSE_URL)
    assert_clean(answer)
    share_block = next(
        b
        for b in answer.body["blocks"]
        if b["type"] == "actions" and any(e.get("action_id") == ACTION_SHARE for e in b["elements"])
    )
    action_id, value = button_value(answer, ACTION_SHARE)
    served.click(action_id, value, response_id="share", block_id=share_block["block_id"])
    [public] = fake.wait_for("chat.postMessage")
    assert public.body["thread_ts"] == PARENT
    assert refs_of(public) == ["intl-api:QPS_LIMIT_CONTROL"]


def test_a_private_answer_shown_in_a_thread_is_shared_in_that_thread(
    served: ServedApp, fake: FakeSlack
) -> None:
    action_id, value = _private_answer(served, fake, "QPS_LIMIT_CONTROL")
    served.click(action_id, value, response_id="share", thread_ts=PARENT)  # the container names the thread
    [public] = fake.wait_for("chat.postMessage")
    assert public.body["thread_ts"] == PARENT


def test_a_shortcut_on_a_thread_parent_or_a_channel_message_shares_in_the_channel(
    served: ServedApp, fake: FakeSlack
) -> None:
    parent = {**IN_THREAD, "ts": PARENT, "thread_ts": PARENT}
    served.message_shortcut(None, message=parent, response_id="sc")
    [answer] = fake.wait_for(RESPONSE_URL)
    assert not [b for b in answer.body["blocks"] if str(b.get("block_id", "")).startswith("smscode_thread:")]


def test_a_forged_thread_in_the_block_id_is_ignored(served: ServedApp, fake: FakeSlack) -> None:
    action_id, value = _private_answer(served, fake, "QPS_LIMIT_CONTROL")
    served.click(action_id, value, response_id="share", block_id="smscode_thread:<!channel>:0")
    [public] = fake.wait_for("chat.postMessage")
    assert "thread_ts" not in public.body
