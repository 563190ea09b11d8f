"""Runtime settings from the environment (pydantic-settings): the one module that reads env variables."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SLACK_API_URL = "https://slack.com/api/"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Settings(BaseSettings):
    """Everything the Slack edge needs, read from `SLACK_*`, `PORT`, `LOG_LEVEL` and `SMSCODE_*`.

    Field names are the environment variable names in lower case, so the README, the manifest
    instructions and this class name the same things.
    """

    # No env_prefix: Slack's own variable names are the ones every Slack tutorial uses.
    # No env_file: a stray .env in the working directory must not change a production process.
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None  # HTTP mode: verifies every request
    slack_app_token: SecretStr | None = None  # Socket Mode: the app-level xapp- token
    # Slack's Web API base; set for GovSlack (https://slack-gov.com/api/) or a local fake in tests.
    slack_api_url: str = SLACK_API_URL
    port: Annotated[int, Field(ge=1, le=65535)] = 3000
    log_level: LogLevel = "INFO"
    # Answer pasted logs in channels without being asked. Off: only /smscode, mentions, the shortcut.
    smscode_passive_replies: bool = True
    # How long handled event ids and thread memory are kept. Slack's last retry comes ~5 minutes
    # after the first delivery, so this must stay comfortably above 300 s.
    smscode_dedupe_ttl: Annotated[int, Field(ge=60, le=86_400)] = 900
    # HTTP request threads in the single gunicorn worker: they verify, route and acknowledge.
    smscode_web_threads: Annotated[int, Field(ge=1, le=256)] = 32
    # Threads that build and send answers after the ack. Few on purpose: under the GIL every busy
    # answer thread slows the request threads' acknowledgements (bench/bench_load.py: 2 keeps a
    # burst of 50 within 1.5x a bare Bolt app's ack latency, 32 doubles it), and Slack accepts
    # about one message per second per channel anyway.
    smscode_listener_threads: Annotated[int, Field(ge=1, le=64)] = 2

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_shape(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        # WebClient joins method names with urljoin, which drops a last path segment without "/".
        return value if value.endswith("/") else value + "/"

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # A bot token (xoxb-) here is the usual mix-up; Slack would refuse it only at connection time.
        if (
            value is not None
            and value.get_secret_value()
            and not value.get_secret_value().startswith("xapp-")
        ):
            raise ValueError(
                "must be an app-level token starting with xapp- (Basic Information -> App-Level Tokens, "
                "scope connections:write), not a bot or user token"
            )
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @property
    def socket_mode(self) -> bool:
        """Socket Mode when an app-level token is configured, HTTP otherwise."""
        return self.slack_app_token is not None and bool(self.slack_app_token.get_secret_value())

    def missing(self, *, socket_mode: bool | None = None) -> list[str]:
        """Environment variables the chosen mode needs but that are unset or empty."""
        socket = self.socket_mode if socket_mode is None else socket_mode
        needed = {
            "SLACK_BOT_TOKEN": self.slack_bot_token,
            "SLACK_APP_TOKEN" if socket else "SLACK_SIGNING_SECRET": (
                self.slack_app_token if socket else self.slack_signing_secret
            ),
        }
        return [name for name, value in needed.items() if value is None or not value.get_secret_value()]


def describe_settings_error(error: ValidationError) -> str:
    """One line naming each bad variable and why, without echoing its value (it may be a secret)."""
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        name = ".".join(str(p) for p in item["loc"]).upper() or "settings"
        parts.append(f"{name}: {item['msg']}")
    return "; ".join(parts)
