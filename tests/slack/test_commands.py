"""/smscode over HTTP: help, a code, a paste, hostile text, a huge paste; answers are private."""

from __future__ import annotations

import pytest

from bot.render import ACTION_SHARE, render_help
from tests.fake_slack import RESPONSE_URL, FakeSlack
from tests.slack.checks import action_ids, assert_clean
from tests.slack.harness import ServedApp

PASTE = """2026-03-02 10:41:07 ERROR sms send failed
{"Message":"触发小时级流控Permits:5","RequestId":"1F0A2B3C-4D5E-4F60-8192-A3B4C5D6E7F8","Code":"isv.BUSINESS_LIMIT_CONTROL"}
retrying in 60s"""


@pytest.mark.parametrize("text", ["", "help", "  HELP  "])
def test_help_and_empty_text_answer_with_usage(served: ServedApp, fake: FakeSlack, text: str) -> None:
    reply = served.command(text)
    assert reply.status == 200
    assert reply.body == b""  # an empty ack; the answer goes through response_url
    [answer] = fake.wait_for(RESPONSE_URL)
    assert answer.body["response_type"] == "ephemeral"
    assert answer.body["text"] == render_help()["text"]
    assert_clean(answer)


def test_a_code_gets_a_private_answer_with_a_share_button(served: ServedApp, fake: FakeSlack) -> None:
    reply = served.command("QPS_LIMIT_CONTROL")
    assert reply.status == 200
    [answer] = fake.wait_for(RESPONSE_URL)
    assert answer.body["response_type"] == "ephemeral"
    assert "QPS_LIMIT_CONTROL" in answer.body["text"]
    assert ACTION_SHARE in action_ids(answer)
    assert_clean(answer)
    assert fake.calls("chat.postMessage") == []  # private: nothing posted for everyone


def test_a_pasted_api_response_is_explained(served: ServedApp, fake: FakeSlack) -> None:
    served.command(PASTE)
    [answer] = fake.wait_for(RESPONSE_URL)
    assert "isv.BUSINESS_LIMIT_CONTROL" in answer.body["text"]
    assert_clean(answer)


def test_hostile_text_never_pings_or_links(served: ServedApp, fake: FakeSlack) -> None:
    hostile = (
        "<!channel> <!here> <!everyone> <!subteam^S123|oncall> <@U0EVE> "
        "<https://evil.example/x|click me> &amp; &lt;b&gt; QPS_LMIT_CONTROL ```` *bold* "
    )
    served.command(hostile)
    [answer] = fake.wait_for(RESPONSE_URL)
    assert_clean(answer)


def test_hostile_text_without_any_code_is_echoed_safely(served: ServedApp, fake: FakeSlack) -> None:
    served.command("<!channel> please look <@U0EVE> <https://evil.example|here>")
    [answer] = fake.wait_for(RESPONSE_URL)
    assert_clean(answer)


def test_a_40000_character_paste_is_answered_within_limits(served: ServedApp, fake: FakeSlack) -> None:
    line = "2026-03-02T10:41:07Z WARN to +8613812345678 failed Code=QPS_LIMIT_CONTROL stat:UNDELIV err:000\n"
    text = (line * (40_000 // len(line) + 1))[:40_000]
    reply = served.command(text)
    assert reply.status == 200
    [answer] = fake.wait_for(RESPONSE_URL, timeout=30)
    assert_clean(answer)
    assert "13812345678" not in str(answer.body)  # the phone number is masked in snippets
