"""The "Explain SMS codes" message shortcut over HTTP: a private answer to whoever used it."""

from __future__ import annotations

from tests.fake_slack import RESPONSE_URL, FakeSlack
from tests.slack.checks import assert_clean
from tests.slack.harness import ServedApp


def test_the_shortcut_explains_the_message_privately(served: ServedApp, fake: FakeSlack) -> None:
    reply = served.message_shortcut('alert: send failed {"Code":"isv.BUSINESS_LIMIT_CONTROL"}')
    assert reply.status == 200
    assert reply.body == b""
    [answer] = fake.wait_for(RESPONSE_URL)
    assert answer.body["response_type"] == "ephemeral"
    assert answer.body.get("replace_original") is False
    assert "isv.BUSINESS_LIMIT_CONTROL" in answer.body["text"]
    assert_clean(answer)
    served.drain()
    assert fake.calls("chat.postMessage") == []  # nobody else sees it


def test_the_shortcut_on_a_message_without_codes_says_what_it_tried(
    served: ServedApp, fake: FakeSlack
) -> None:
    served.message_shortcut("<!here> the dashboard is red again <https://evil.example|see>")
    [answer] = fake.wait_for(RESPONSE_URL)
    assert answer.body["response_type"] == "ephemeral"
    assert_clean(answer)
