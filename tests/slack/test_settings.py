"""Settings from the environment: names, defaults, the mode, and what each mode needs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import SLACK_API_URL, Settings, describe_settings_error


def test_defaults_without_environment() -> None:
    settings = Settings()
    assert settings.slack_api_url == SLACK_API_URL
    assert settings.port == 3000
    assert settings.smscode_passive_replies is True
    assert settings.smscode_dedupe_ttl >= 300  # outlives Slack's last retry, ~5 minutes in
    assert settings.socket_mode is False
    assert settings.missing() == ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    monkeypatch.setenv("SLACK_API_URL", "https://slack-gov.com/api")
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("SMSCODE_PASSIVE_REPLIES", "false")
    settings = Settings()
    assert settings.socket_mode is True
    assert settings.missing() == []
    assert settings.missing(socket_mode=False) == ["SLACK_SIGNING_SECRET"]
    assert settings.slack_api_url == "https://slack-gov.com/api/"  # urljoin needs the trailing slash
    assert settings.port == 8080
    assert settings.log_level == "DEBUG"
    assert settings.smscode_passive_replies is False


def test_secrets_never_show_in_reprs_or_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    assert "xoxb-very-secret" not in repr(Settings())
    monkeypatch.setenv("PORT", "xoxb-very-secret")
    with pytest.raises(ValidationError) as caught:
        Settings()
    message = describe_settings_error(caught.value)
    assert message.startswith("PORT:")
    assert "xoxb-very-secret" not in message


def test_empty_tokens_count_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "")
    monkeypatch.setenv("SLACK_APP_TOKEN", "")
    settings = Settings()
    assert settings.socket_mode is False
    assert "SLACK_BOT_TOKEN" in settings.missing()
