"""Buttons over HTTP: Share in channel, "did you mean" picks, and Details on a public answer."""

from __future__ import annotations

import pytest

from bot.render import ACTION_DETAILS, ACTION_PICK, ACTION_SHARE
from tests.fake_slack import RESPONSE_URL, FakeSlack
from tests.slack.checks import action_ids, assert_clean, button_value
from tests.slack.harness import CHANNEL, ServedApp


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
