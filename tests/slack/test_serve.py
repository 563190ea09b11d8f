"""`smscode serve`: start-up errors in one line with status 2, and the real gunicorn server end to end."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.serve import main
from tests.fake_slack import RESPONSE_URL, TEAM_ID, FakeSlack
from tests.slack.checks import assert_clean
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET

SMSCODE = Path(sys.executable).with_name("smscode")


def _env(**values: str) -> dict[str, str]:
    """A child environment with none of the developer's Slack settings, plus `values`."""
    keep = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SMSCODE_")) and k not in {"PORT"}
    }
    return {**keep, **values}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ----- start-up errors, in-process


def test_missing_credentials_name_the_variables(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--http"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "SLACK_BOT_TOKEN" in err
    assert "SLACK_SIGNING_SECRET" in err


def test_socket_mode_needs_the_app_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    assert main(["--socket"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "SLACK_APP_TOKEN" in err
    assert "SLACK_BOT_TOKEN" not in err


@pytest.mark.parametrize(
    ("name", "value"),
    [("PORT", "eighty"), ("PORT", "70000"), ("LOG_LEVEL", "LOUD"), ("SLACK_API_URL", "slack.com/api")],
)
def test_invalid_settings_are_one_line_without_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv(name, value)
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert name in err
    assert "Traceback" not in err


def test_a_broken_catalogue_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    (tmp_path / "intl-api.toml").write_text('family = "intl-api"\nname = "x"\n', encoding="utf-8")
    assert main(["--catalog", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "intl-api.toml" in err


def test_a_refused_token_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fake: FakeSlack
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-revoked")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", fake.api_url)
    fake.fail("auth.test", "invalid_auth")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("smscode serve: Slack refused SLACK_BOT_TOKEN")
    assert "xoxb-revoked" not in err


@pytest.mark.parametrize("token", ["xoxb-1-2-abc", "xoxp-1-2-abc", "not-a-token"])
def test_an_app_token_of_the_wrong_kind_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fake: FakeSlack, token: str
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", token)
    monkeypatch.setenv("SLACK_API_URL", fake.api_url)  # nothing may reach the real Slack, pass or fail
    assert main(["--socket"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "SLACK_APP_TOKEN" in err
    assert "xapp-" in err
    assert token not in err
    assert "Traceback" not in err
    assert fake.calls() == []  # refused before any call to Slack


def test_a_refused_app_token_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fake: FakeSlack
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-revoked")
    monkeypatch.setenv("SLACK_API_URL", fake.api_url)
    fake.fail("apps.connections.open", "invalid_auth")
    assert main(["--socket"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("smscode serve: Slack refused SLACK_APP_TOKEN (invalid_auth)")
    assert "xapp-1-revoked" not in err
    assert "Traceback" not in err
    [opened] = fake.calls("apps.connections.open")
    assert opened.headers.get("Authorization") == "Bearer xapp-1-revoked"  # the app token, not the bot's


# ----- the real thing: `smscode serve` under gunicorn, as a subprocess


def test_missing_credentials_exit_2_from_the_command_line() -> None:
    done = subprocess.run(
        [str(SMSCODE), "serve"], env=_env(), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "SLACK_BOT_TOKEN" in lines[0]
    assert "SLACK_SIGNING_SECRET" in lines[0]


@pytest.fixture
def server(fake: FakeSlack) -> Iterator[str]:
    port = _free_port()
    env = _env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        PORT=str(port),
        LOG_LEVEL="WARNING",
    )
    process = subprocess.Popen(
        [str(SMSCODE), "serve", "--http"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2) as response:  # noqa: S310 (127.0.0.1)
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read() if process.stdout else ""
                pytest.fail(f"smscode serve did not come up (exit {process.poll()}): {output}")
            time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            if process.stdout:
                process.stdout.close()
    assert process.returncode == 0


@pytest.mark.slow
def test_smscode_serve_answers_health_and_a_signed_slash_command(server: str, fake: FakeSlack) -> None:
    with urllib.request.urlopen(server + "/healthz", timeout=5) as response:  # noqa: S310 (127.0.0.1)
        assert response.read() == b"ok\n"
    body = urlencode(
        {
            "team_id": TEAM_ID,
            "channel_id": "C0INCIDENT",
            "user_id": "U0ALICE",
            "command": "/smscode",
            "text": "QPS_LIMIT_CONTROL",
            "response_url": fake.response_url("e2e"),
            "trigger_id": "1.2.3",
        }
    ).encode()
    ts = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 (127.0.0.1 only)
        server + "/slack/events",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(SIGNING_SECRET).generate_signature(
                timestamp=ts, body=body
            ),
        },
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (127.0.0.1)
        assert response.status == 200
    [answer] = fake.wait_for(RESPONSE_URL)
    assert answer.body["response_type"] == "ephemeral"
    assert "QPS_LIMIT_CONTROL" in answer.body["text"]
    assert_clean(answer)
    assert fake.calls("auth.test")  # the token was checked at start-up, against the fake
