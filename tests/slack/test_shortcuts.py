"""The "Explain SMS codes" message shortcut over HTTP: a private answer to whoever used it."""

from __future__ import annotations

from typing import Any

import pytest

from bot.render import render_error
from bot.slack.shortcuts import NO_TEXT
from tests.fake_slack import RESPONSE_URL, FakeSlack, Record
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


# ----- text outside `text`: blocks and attachments (QA U4)


def _shortcut_on(served: ServedApp, fake: FakeSlack, message: dict[str, Any]) -> Record:
    served.message_shortcut(None, message={"type": "message", "ts": "1700000000.000200", **message})
    [answer] = fake.wait_for(RESPONSE_URL)
    assert answer.body["response_type"] == "ephemeral"
    assert_clean(answer)
    return answer


ALERTS = [
    pytest.param(
        {
            "bot_id": "B0ALERT",
            "text": "Alert",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Code=QPS_LIMIT_CONTROL"}}],
        },
        id="section-text",
    ),
    pytest.param(
        {
            "bot_id": "B0ALERT",
            "text": "Alert",
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": "SMS send failures"}},
                {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Code*\nQPS_LIMIT_CONTROL"}]},
            ],
        },
        id="section-fields",
    ),
    pytest.param(
        {
            "bot_id": "B0ALERT",
            "text": "Alert",
            "blocks": [
                {"type": "context", "elements": [{"type": "mrkdwn", "text": "last error: QPS_LIMIT_CONTROL"}]}
            ],
        },
        id="context",
    ),
    pytest.param(
        {
            "bot_id": "B0ALERT",
            "text": "Alert",
            "blocks": [
                {
                    "type": "rich_text",
                    "elements": [
                        {
                            "type": "rich_text_preformatted",
                            "elements": [{"type": "text", "text": '{"Code":"QPS_LIMIT_CONTROL"}'}],
                        }
                    ],
                }
            ],
        },
        id="rich-text-by-a-bot",
    ),
    pytest.param(
        {
            "bot_id": "B0ALERT",
            "text": "",
            "attachments": [{"fallback": "alert", "text": "Code=QPS_LIMIT_CONTROL", "color": "danger"}],
        },
        id="attachment-text",
    ),
    pytest.param(
        {
            "bot_id": "B0ALERT",
            "text": "Alert",
            "attachments": [
                {"fallback": "alert", "fields": [{"title": "Code", "value": "QPS_LIMIT_CONTROL"}]}
            ],
        },
        id="attachment-fields",
    ),
    pytest.param(
        {
            "bot_id": "B0ALERT",
            "text": "Alert",
            "attachments": [
                {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "QPS_LIMIT_CONTROL"}}]}
            ],
        },
        id="attachment-blocks",
    ),
]


@pytest.mark.parametrize("message", ALERTS)
def test_the_shortcut_reads_blocks_and_attachments(
    served: ServedApp, fake: FakeSlack, message: dict[str, Any]
) -> None:
    answer = _shortcut_on(served, fake, message)
    assert "QPS_LIMIT_CONTROL" in answer.body["text"]


def test_a_persons_rich_text_is_not_read_twice(served: ServedApp, fake: FakeSlack) -> None:
    text = 'send failed {"Code":"QPS_LIMIT_CONTROL"} &lt;see log&gt;'
    rich = [
        {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [
                        {"type": "text", "text": 'send failed {"Code":"QPS_LIMIT_CONTROL"} <see log>'}
                    ],
                }
            ],
        }
    ]
    once = _shortcut_on(served, fake, {"user": "U0BOB", "text": text})
    served.message_shortcut(
        None,
        response_id="sc2",
        message={"type": "message", "ts": "1700000000.000200", "user": "U0BOB", "text": text, "blocks": rich},
    )
    [twice] = fake.wait_for(RESPONSE_URL, where=lambda r: r.path.endswith("/sc2"))
    assert twice.body == once.body  # the rich_text mirror of `text` adds nothing


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(
            {"user": "U0BOB", "text": "", "files": [{"id": "F1", "name": "log.txt"}]}, id="file-only"
        ),
        pytest.param({"user": "U0BOB"}, id="no-text-at-all"),
        pytest.param(
            {
                "bot_id": "B0X",
                "text": "",
                "blocks": [{"type": "image", "image_url": "https://x/y.png", "alt_text": ""}],
            },
            id="image-block",
        ),
        pytest.param({"bot_id": "B0X", "attachments": [{"text": 123}, "junk", None]}, id="junk-attachments"),
    ],
)
def test_a_message_without_readable_text_says_so_privately(
    served: ServedApp, fake: FakeSlack, message: dict[str, Any]
) -> None:
    answer = _shortcut_on(served, fake, message)
    assert answer.body["text"] == render_error(NO_TEXT)["text"]
    assert answer.body.get("replace_original") is False
