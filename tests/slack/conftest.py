"""Fixtures for the Slack edge: a fake Slack Web API and the real app served on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bot.catalog import Catalog
from tests.fake_slack import FakeSlack
from tests.slack.harness import ServedApp

# Every variable the settings read, cleared per test as bolt-python's own tests do, so a
# developer's real tokens never leak into a test (or a test into Slack).
ENV_NAMES = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "PORT",
    "LOG_LEVEL",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name in ENV_NAMES or name.startswith("SMSCODE_"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def served(fake: FakeSlack, catalog: Catalog) -> Iterator[ServedApp]:
    app = ServedApp(fake, catalog)
    try:
        yield app
    finally:
        app.close()
