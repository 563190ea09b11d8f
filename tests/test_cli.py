"""The `smscode` command line: exit codes, stdin, --json, --blocks, broken catalogues, serve hand-off."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import __version__
from bot.cli import _read_stdin, main

from .conftest import ROOT


def smscode(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )


def test_found_exits_zero_and_prints_the_answer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "QPS_LIMIT_CONTROL"]) == 0
    out = capsys.readouterr().out
    assert "QPS_LIMIT_CONTROL" in out


def test_nothing_found_exits_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "xyzzy", "plugh"]) == 1
    assert capsys.readouterr().out.strip()


def test_words_are_joined(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--json", "qps", "limit", "control"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["matches"][0]["code"] == "QPS_LIMIT_CONTROL"


def test_readme_names_every_json_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--json", "--passive", "stat:UNDELIV err:000"]) == 0
    data = json.loads(capsys.readouterr().out)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    described = readme.split("`--json` prints", 1)[1].split("\n## ", 1)[0]
    for key in (*data, *data["matches"][0]):
        assert f'"{key}"' in described, key


def test_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--json", "--passive", "stat:UNDELIV err:000"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"matches", "suggestions"} <= set(data)  # matching may add keys (unknown codes)
    assert data["unknown"] == [] and data["truncated"] is False and data["dropped_chars"] == 0
    match = data["matches"][0]
    assert match["family"] == "smpp-state"
    assert match["code"] == "UNDELIVERABLE"
    assert isinstance(match["score"], float)
    assert match["evidence"][0]["line"] == 1
    for key in ("title", "how", "count", "stage", "outcome", "retry", "actors", "notes"):
        assert key in match


def test_passive_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--json", "--passive", "Deploy looks OK now"]) == 1
    assert json.loads(capsys.readouterr().out)["matches"] == []
    assert main(["explain", "--json", "OK"]) == 0


def test_blocks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--blocks", "SYSTEM_ERROR"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert isinstance(payload["blocks"], list)
    assert payload["blocks"]


def test_stdin_when_no_text() -> None:
    done = smscode("explain", "--json", stdin=b'{"ResponseCode":"MOBILE_NUMBER_ILLEGAL"}')
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["matches"][0]["code"] == "MOBILE_NUMBER_ILLEGAL"


def test_dash_reads_stdin() -> None:
    done = smscode(
        "explain",
        "--json",
        "--passive",
        "-",
        stdin="code=isv.BUSINESS_LIMIT_CONTROL 触发小时级流控Permits:5".encode(),
    )
    assert done.returncode == 0, done.stderr
    match = json.loads(done.stdout)["matches"][0]
    assert match["code"] == "isv.BUSINESS_LIMIT_CONTROL"
    assert any("hour-level" in note for note in match["notes"])


def test_dash_with_other_text_is_a_usage_error() -> None:
    """QA: `explain - QPS_LIMIT_CONTROL` read '-' as a word; '-' means standard input only when alone."""
    for args in (("-", "QPS_LIMIT_CONTROL"), ("QPS_LIMIT_CONTROL", "-")):
        done = smscode("explain", *args, stdin=b"SYSTEM_ERROR")
        assert done.returncode == 2, args
        assert done.stdout == b""
        err = done.stderr.decode()
        assert "'-'" in err
        assert "Traceback" not in err


def test_full_disk_is_one_line_and_exit_two() -> None:
    """QA: `explain QPS_LIMIT_CONTROL > /dev/full` printed a traceback and exited 1 ("nothing found")."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    for args in (("QPS_LIMIT_CONTROL",), ("--json", "QPS_LIMIT_CONTROL"), ("xyzzy",)):
        with Path("/dev/full").open("wb") as full:
            done = subprocess.run(
                [sys.executable, "-m", "bot.cli", "explain", *args],
                stdout=full,
                stderr=subprocess.PIPE,
                cwd=ROOT,
                check=False,
                timeout=60,
            )
        err = done.stderr.decode()
        assert done.returncode == 2, (args, err)
        assert len(err.strip().splitlines()) == 1, err
        assert err.startswith("smscode: cannot write the answer:")


@pytest.mark.parametrize("args", [("QPS_LIMIT_CONTROL",), ("--blocks", "QPS_LIMIT_CONTROL"), ("xyzzy",)])
def test_reader_gone_exits_quietly(args: tuple[str, ...]) -> None:
    """QA: `smscode explain … | head` must not print a traceback when the reader has gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written: every write meets EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "explain", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            check=False,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert done.stderr == b""
    assert done.returncode == (1 if args == ("xyzzy",) else 0)  # the lookup's own status


def test_log_past_the_old_bound_keeps_its_last_line() -> None:
    """QA: an error on a long log's last line was missed (input cut at 200,000 characters, head only)."""
    lines = [f"2026-11-20 08:15:02 INFO request {n} ok" for n in range(5_000)]
    log = "\n".join([*lines, '{"RequestId":"1B2C3D4E","Code":"isv.AMOUNT_NOT_ENOUGH"}']).encode()
    assert len(log) > 200_000
    done = smscode("explain", "--json", "--passive", stdin=log)
    assert done.returncode == 0, done.stderr
    codes = [match["code"] for match in json.loads(done.stdout)["matches"]]
    assert codes == ["isv.AMOUNT_NOT_ENOUGH"]


def test_650_kb_log_keeps_its_last_line() -> None:
    """QA's own size: about 650 KB of `request N ok` lines, the error on the last one."""
    lines = [f"2026-11-20 08:15:02 INFO request {n} ok" for n in range(17_000)]
    log = "\n".join([*lines, '{"RequestId":"1B2C3D4E","Code":"isv.AMOUNT_NOT_ENOUGH"}']).encode()
    done = smscode("explain", "--json", "--passive", stdin=log)
    assert done.returncode == 0, done.stderr
    codes = [match["code"] for match in json.loads(done.stdout)["matches"]]
    assert codes == ["isv.AMOUNT_NOT_ENOUGH"]


def test_code_dense_log_keeps_its_last_line() -> None:
    """900 KB (under the bound, so not cut) with two codes a line: the last line is never reached."""
    lines = [f"{n:06d} stat:DELIVRD err:000 code=OK" for n in range(25_000)]
    log = "\n".join([*lines, '{"Code":"isv.AMOUNT_NOT_ENOUGH"}']).encode()
    done = smscode("explain", "--json", "--passive", stdin=log)
    assert done.returncode == 0, done.stderr
    codes = [match["code"] for match in json.loads(done.stdout)["matches"]]
    assert "isv.AMOUNT_NOT_ENOUGH" in codes


def test_longer_stdin_is_cut_in_the_middle_and_said() -> None:
    head = b"code=QPS_LIMIT_CONTROL\n"
    tail = b"\ncode=AMOUNT_NOT_ENOUGH\n"
    done = smscode("explain", "--json", "--passive", stdin=head + (b"-" * 79 + b"\n") * 20_000 + tail)
    assert done.returncode == 0, done.stderr
    codes = [match["code"] for match in json.loads(done.stdout)["matches"]]
    assert codes == ["QPS_LIMIT_CONTROL", "AMOUNT_NOT_ENOUGH"]


def test_stdin_keeps_head_and_tail_in_bounded_memory() -> None:
    data = b"HEAD" + b"." * 10_000 + b"TAIL"
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    text = _read_stdin(stream, head_size=100, tail_size=1000)
    assert text.startswith("HEAD")
    assert text.endswith("TAIL")
    assert "\n" in text  # the skipped middle is marked by a line break
    assert len(text) <= 100 + 1000 + (1 << 20) + 1  # the tail holds at most one chunk more than asked
    whole = b"HEAD" + b"." * 50 + b"TAIL"
    assert _read_stdin(io.TextIOWrapper(io.BytesIO(whole)), head_size=100, tail_size=1000) == whole.decode()
    assert _read_stdin(io.StringIO("x" * 500), head_size=100, tail_size=1000) == "x" * 500


def test_binary_stdin_does_not_crash() -> None:
    done = smscode("explain", stdin=bytes(range(256)) * 50 + b"\xff\xfe code=SYSTEM_ERROR \xc3\x28")
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr


def test_empty_input() -> None:
    done = smscode("explain", stdin=b"")
    assert done.returncode == 1
    assert b"Traceback" not in done.stderr
    done = smscode("explain", "--json", stdin=b"   \n  ")
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert data["matches"] == []
    assert data["suggestions"] == []


def test_usage_errors_exit_two() -> None:
    assert smscode().returncode == 2
    assert smscode("explain", "--no-such-flag", "x").returncode == 2
    assert smscode("frobnicate").returncode == 2
    assert smscode("explain", "--json", "--blocks", "x").returncode == 2


def test_version() -> None:
    done = smscode("--version")
    assert done.returncode == 0
    assert done.stdout.decode().strip() == f"smscode {__version__}"


def test_broken_catalogue_is_one_line_and_exit_two(tmp_path: Path) -> None:
    (tmp_path / "intl-api.toml").write_text('family = "intl-api"\nname = "x"\n', encoding="utf-8")
    done = smscode("explain", "--catalog", str(tmp_path), "OK")
    assert done.returncode == 2
    err = done.stderr.decode().strip()
    assert len(err.splitlines()) == 1
    assert "intl-api.toml" in err
    assert "Traceback" not in err


def test_empty_catalogue_directory(tmp_path: Path) -> None:
    done = smscode("explain", "--catalog", str(tmp_path), "OK")
    assert done.returncode == 2
    assert b"no catalogue files" in done.stderr


def test_serve_is_handed_over() -> None:
    done = smscode("serve", "--help")
    assert done.returncode == 0, done.stderr
    assert b"usage" in done.stdout.lower()


def test_explain_does_not_import_slack_transport() -> None:
    probe = (
        "import sys; from bot.cli import main; main(['explain', '--json', 'OK']); "
        "print([m for m in sys.modules "
        "if m.startswith(('slack_bolt', 'slack_sdk.web', 'slack_sdk.socket_mode'))])"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip().endswith("[]")


def test_console_script_is_declared() -> None:
    assert 'smscode = "bot.cli:main"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_passive_with_nothing_found_prints_nothing() -> None:
    # --passive is how the bot reads a channel unasked; with nothing to say it says nothing (status 1)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "explain", "--passive"],
        input="hey, ok lets meet at the deploy",
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (1, "")
