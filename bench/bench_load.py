"""Acknowledgement latency under load: smscode under gunicorn beside a bare Bolt app, both on 127.0.0.1.

Starts a fake Slack Web API (tests/fake_slack.py) in its own process (Slack is not on the bot's
machine either), then two servers as subprocesses with the same gunicorn settings
(`bot.serve.gunicorn_options`): the production app (`smscode serve --http`) and a bare Bolt app
whose listeners only ack(). Sends correctly signed slash commands and `message` events, in two
patterns, alternating between the two servers:

- bursts: 50 requests released together, then a pause until the answers have drained;
- sustained: 50 clients sending back to back (this saturates the CPU, far beyond Slack's rates).

Reports p50/p99 acknowledgement latency (request sent to HTTP response read), errors, and the
ratio to the bare app; then the slash command acknowledgement median over 100 requests sent one
at a time. Every loop is bounded; the script stops by itself.

    .venv/bin/python bench/bench_load.py [--requests 1000] [--concurrency 50] [--rounds 2]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slack_sdk.signature import SignatureVerifier  # noqa: E402

from tests.fake_slack import RESPONSE_URL, TEAM_ID  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
SMSCODE = Path(sys.executable).with_name("smscode")

# What people send: a code, a pasted API response, an SMPP receipt, help.
COMMAND_TEXTS = [
    "QPS_LIMIT_CONTROL",
    '{"Message":"触发小时级流控Permits:5","RequestId":"1F0A2B3C-4D5E","Code":"isv.BUSINESS_LIMIT_CONTROL"}',
    "id:0000012345 sub:001 dlvrd:000 submit date:2611250930 done date:2611250931 stat:REJECTD err:008",
    "help",
    "qps limit control",
]
EVENT_TEXTS = [
    'send failed {"Code":"QPS_LIMIT_CONTROL","Message":"QPS limit"} for +8613812345678',
    "lunch at noon? the deploy looks fine",
    "submit_sm_resp command_status=0x00000058 (throttled), retrying",
]


# ----- the bare Bolt app (run as a subprocess of this script)


def serve_bare(port: int, api_url: str) -> int:
    """A default Bolt App whose listeners only ack(), under the same gunicorn settings as smscode."""
    from slack_bolt import Ack, App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk.web import WebClient

    from bot.serve import gunicorn_options, run_gunicorn
    from bot.settings import Settings

    app = App(client=WebClient(token=TOKEN, base_url=api_url), signing_secret=SECRET)

    @app.command("/smscode")
    def noop_command(ack: Ack) -> None:
        ack()

    @app.event("message")
    def noop_message() -> None:
        pass

    settings = Settings(port=port, log_level="WARNING")
    return run_gunicorn(SlackRequestHandler(app), gunicorn_options(settings, bind=f"127.0.0.1:{port}"))


# ----- load generation


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"command": [], "event": []})
    errors: list[str] = field(default_factory=list)

    def add(self, other: Results) -> None:
        for kind, values in other.latencies.items():
            self.latencies[kind].extend(values)
        self.errors.extend(other.errors)

    def all(self) -> list[float]:
        return self.latencies["command"] + self.latencies["event"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


class Client:
    """Builds correctly signed Slack requests and times them against one server."""

    _ids = itertools.count(1)

    def __init__(self, base: str, api_url: str) -> None:
        self.base = base
        self.response_base = api_url.removesuffix("/api/") + "/response/"
        self.verifier = SignatureVerifier(SECRET)

    def _post(self, body: bytes, content_type: str) -> float:
        ts = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 (127.0.0.1 only)
            self.base + "/slack/events",
            data=body,
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": self.verifier.generate_signature(timestamp=ts, body=body),
            },
        )
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (127.0.0.1 only)
            response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
        return time.perf_counter() - started

    def command(self, n: int) -> float:
        form = {
            "team_id": TEAM_ID,
            "channel_id": "C0BENCH",
            "user_id": "U0BENCH",
            "command": "/smscode",
            "text": COMMAND_TEXTS[n % len(COMMAND_TEXTS)],
            "response_url": f"{self.response_base}bench{next(self._ids)}",
            "trigger_id": "1.2.3",
        }
        return self._post(urlencode(form).encode(), "application/x-www-form-urlencoded")

    def event(self, n: int) -> float:
        i = next(self._ids)
        body = {
            "team_id": TEAM_ID,
            "api_app_id": "A0BENCH",
            "type": "event_callback",
            "event_id": f"EvBENCH{i:09d}",
            "event_time": int(time.time()),
            "event": {
                "type": "message",
                "channel": "C0BENCH",
                "channel_type": "channel",
                "user": "U0BENCH",
                "text": EVENT_TEXTS[n % len(EVENT_TEXTS)],
                "ts": f"1700000000.{i:06d}",
            },
        }
        return self._post(json.dumps(body).encode(), "application/json")


def send_one(client: Client, n: int, results: Results, lock: threading.Lock) -> None:
    """Request number `n` (even: slash command, odd: event); record its latency or its error."""
    kind = "command" if n % 2 == 0 else "event"
    try:
        seconds = client.command(n) if kind == "command" else client.event(n)
    except (OSError, RuntimeError, urllib.error.URLError) as error:
        with lock:
            results.errors.append(f"{kind}: {error}")
        return
    with lock:
        results.latencies[kind].append(seconds)


def run_load(client: Client, requests: int, concurrency: int) -> Results:
    """`requests` requests, half commands and half events, `concurrency` in flight at a time."""
    results = Results()
    lock = threading.Lock()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(lambda n: send_one(client, n, results, lock), range(requests)))
    return results


def run_bursts(client: Client, bursts: int, size: int, api_url: str) -> Results:
    """`bursts` times: `size` requests released together (a barrier), then a pause until the answers drain."""
    results = Results()
    lock = threading.Lock()
    with ThreadPoolExecutor(max_workers=size) as pool:
        for b in range(bursts):
            barrier = threading.Barrier(size)

            def one(n: int, barrier: threading.Barrier = barrier) -> None:
                barrier.wait(timeout=10)
                send_one(client, n, results, lock)

            list(pool.map(one, range(b * size, (b + 1) * size)))
            settle(api_url)
    return results


def settle(api_url: str, quiet: float = 0.3, limit: float = 10.0) -> None:
    """Wait (bounded) until the fake Slack has seen no new call for `quiet` seconds."""
    deadline = time.monotonic() + limit
    last = fake_counts(api_url)
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = fake_counts(api_url)
        if now != last:
            last, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet:
            return


def sequential_commands(client: Client, count: int) -> list[float]:
    return [client.command(n) for n in range(count)]


# ----- servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    # The server's log goes to a file: a pipe nobody reads would fill up and block its logging.
    log_file = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log_file)
    process.stderr = log_file  # type: ignore[assignment]  # for stop() and the error below
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log_file.seek(0)
            raise SystemExit(f"server exited early: {' '.join(command)}\n{log_file.read().decode()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"server did not start: {' '.join(command)}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stderr:
        process.stderr.close()


def fake_counts(api_url: str) -> dict[str, int]:
    stats = api_url.removesuffix("/api/") + "/_fake/stats"
    with urllib.request.urlopen(stats, timeout=5) as response:  # noqa: S310 (127.0.0.1 only)
        counts: dict[str, int] = json.loads(response.read())
    return counts


def wait_for_replies(api_url: str, commands: int, timeout: float = 60) -> tuple[int, int]:
    """Wait (bounded) until the fake has seen every command's answer, then until it goes quiet.

    Passive replies have no fixed count: under load the bot drops those its small passive lane
    cannot take (by design, see bot/slack/lanes.py), so the script waits for quiet instead.
    """
    deadline = time.monotonic() + timeout
    while fake_counts(api_url).get(RESPONSE_URL, 0) < commands and time.monotonic() < deadline:
        time.sleep(0.2)
    settle(api_url, quiet=1.0)
    counts = fake_counts(api_url)
    return counts.get(RESPONSE_URL, 0), counts.get("chat.postMessage", 0)


def start_fake() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_slack"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    api_url = process.stdout.readline().strip()
    if not api_url.startswith("http://127.0.0.1:"):
        process.kill()
        raise SystemExit(f"the fake Slack did not start: {api_url!r}")
    return process, api_url


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def report(name: str, results: Results) -> None:
    values = results.all()
    print(
        f"  {name:<8} n={len(values):5d}  p50={ms(percentile(values, 50))}  "
        f"p99={ms(percentile(values, 99))}  max={ms(max(values))}  errors={len(results.errors)}"
    )
    for kind, kind_values in results.latencies.items():
        if kind_values:
            print(
                f"      {kind:<8} n={len(kind_values):5d}  p50={percentile(kind_values, 50) * 1000:7.1f} ms  "
                f"p99={percentile(kind_values, 99) * 1000:7.1f} ms"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per server per round")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sequential", type=int, default=100, help="slash commands sent one at a time")
    parser.add_argument("--listener-threads", type=int, help="SMSCODE_LISTENER_THREADS for smscode")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        return serve_bare(args.serve_bare, args.api_url)

    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SMSCODE_"))}
    fake, api_url = start_fake()
    smscode_port, bare_port = free_port(), free_port()
    servers: list[subprocess.Popen[bytes]] = []
    try:
        servers.append(
            start(
                [str(SMSCODE), "serve", "--http", "--port", str(smscode_port)],
                {
                    **base_env,
                    "SLACK_BOT_TOKEN": TOKEN,
                    "SLACK_SIGNING_SECRET": SECRET,
                    "SLACK_API_URL": api_url,
                    "LOG_LEVEL": "WARNING",
                    **(
                        {"SMSCODE_LISTENER_THREADS": str(args.listener_threads)}
                        if args.listener_threads
                        else {}
                    ),
                },
                smscode_port,
            )
        )
        servers.append(
            start(
                [sys.executable, __file__, "--serve-bare", str(bare_port), "--api-url", api_url],
                base_env,
                bare_port,
            )
        )
        clients = {
            "smscode": Client(f"http://127.0.0.1:{smscode_port}", api_url),
            "bare": Client(f"http://127.0.0.1:{bare_port}", api_url),
        }
        for client in clients.values():  # warm-up: imports, first catalogue use, thread pools
            run_load(client, 40, 10)
        sustained = {name: Results() for name in clients}
        bursts = {name: Results() for name in clients}
        for _ in range(args.rounds):  # alternate, so drift on the machine hits both alike
            for name, client in clients.items():
                bursts[name].add(
                    run_bursts(client, args.requests // args.concurrency, args.concurrency, api_url)
                )
                sustained[name].add(run_load(client, args.requests, args.concurrency))
                settle(api_url)
        sequential = {name: sequential_commands(client, args.sequential) for name, client in clients.items()}
        total = 2 * args.rounds * args.requests
        # smscode answers every command, and the message events with codes (2 of the 3 texts).
        expected_commands = 20 + total // 2 + args.sequential
        expected_events = sum(  # the warm-up's events and the measured ones
            1 for n in [*range(1, 40, 2), *range(1, total, 2)] if n % len(EVENT_TEXTS) != 1
        )
        posted = wait_for_replies(api_url, expected_commands)
    finally:
        for server in servers:
            stop(server)
        fake.terminate()
        fake.wait(timeout=10)
        if fake.stdout:
            fake.stdout.close()

    threads = args.listener_threads or "default"
    print(
        "Acknowledgement latency (request sent to HTTP response), signed requests over HTTP on 127.0.0.1, "
        f"half /smscode and half message events; {os.cpu_count()} CPUs; smscode listener threads: {threads}"
    )
    per_burst = args.requests // args.concurrency
    patterns = {
        f"Bursts: {args.concurrency} requests released at once, {args.rounds * per_burst} bursts per server, "
        "answers drained between bursts": bursts,
        f"Sustained: {args.concurrency} clients sending back to back, {args.rounds * args.requests} "
        "requests per server (saturates the CPU)": sustained,
    }
    for title, totals in patterns.items():
        print(title)
        report("smscode", totals["smscode"])
        report("bare", totals["bare"])
        ours, theirs = totals["smscode"].all(), totals["bare"].all()
        print(
            f"  ratio smscode/bare: p50 {statistics.median(ours) / statistics.median(theirs):.2f}  "
            f"p99 {percentile(ours, 99) / percentile(theirs, 99):.2f}"
        )
    print(
        f"Work after the ack: {posted[0]} of {expected_commands} response_url answers, {posted[1]} of "
        f"{expected_events} passive thread replies (the rest dropped by the passive lane under load)"
    )
    print(f"Slash command acknowledgement, {args.sequential} requests one at a time:")
    for name, values in sequential.items():
        print(
            f"  {name:<8} median={statistics.median(values) * 1000:6.1f} ms  "
            f"p99={percentile(values, 99) * 1000:6.1f} ms  max={max(values) * 1000:6.1f} ms"
        )
    everything = [*bursts.items(), *sustained.items()]
    for name, results in everything:
        for error in results.errors[:5]:
            print(f"  error ({name}): {error}")
    return 1 if any(r.errors for _, r in everything) else 0


if __name__ == "__main__":
    sys.exit(main())
