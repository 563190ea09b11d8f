"""Matching speed, each figure beside a baseline measured in the same process.

1. Single-code look-ups per second (`find_codes("QPS_LIMIT_CONTROL")` and friends), beside a loop of plain
   dict look-ups of the same strings; and questions in words and chat ("balance empty", "thanks, that fixed
   it!"), which go through fuzzy and meaning search.
2. A realistic 40,000-character paste (dysmsapi and international JSON bodies, SDK stack traces, SMPP
   receipts and PDU dumps, application logs and chat), passive and explicit, beside one plain
   `re.findall(r"[A-Za-z0-9_.]+", text)` tokenising pass over the same text; with the time split into
   normalisation, extraction and matching.
3. Start-up: import + load the catalogue + build the index, in a fresh interpreter, beside `python -c pass`.

Aims (issue 3): the 40,000-character paste well under 50 ms, start-up under 300 ms.

    .venv/bin/python bench/bench_matching.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.catalog import load_catalog  # noqa: E402
from bot.extract import extract  # noqa: E402
from bot.matching import find_codes, index_for  # noqa: E402
from bot.normalize import normalize  # noqa: E402
from bot.results import Mode  # noqa: E402

PASTE_CHARS = 40_000

SINGLE_CODES = [
    "QPS_LIMIT_CONTROL",
    "isv.BUSINESS_LIMIT_CONTROL",
    "qps limit control",
    "DELIVRD",
    "InvalidAccessKeyId.NotFound",
    "0x00000058",
    "SYSTEM_ERR",
    "esme_rthrottled",
]

QUESTIONS = [
    "balance empty",
    "too many messages to one number",
    "sender id not registered on my account",
    "sms not delivered to india",
    "thanks, that fixed it!",
    '{"Code":"isv.SMS_SIGN_NOT_REGISTERED"}',
]


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032X}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _stamp(rng: random.Random) -> str:
    hour, minute, second = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    return f"2026-11-{rng.randint(10, 28)}T{hour:02d}:{minute:02d}:{second:02d}Z"


def _block(rng: random.Random) -> str:
    kind = rng.randrange(10)
    rid = _uuid(rng)
    if kind == 0:
        code, msg = rng.choice(
            [
                ("isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控Permits:5"),
                ("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名"),
                ("isv.MOBILE_NUMBER_ILLEGAL", "手机号码格式错误"),
                ("OK", "OK"),
            ]
        )
        biz = rng.randint(10**17, 10**18)
        return f'{{"Message":"{msg}","RequestId":"{rid}","BizId":"{biz}^0","Code":"{code}"}}'
    if kind == 1:
        code = rng.choice(["MOBILE_NUMBER_ILLEGAL", "QPS_LIMIT_CONTROL", "OK", "AMOUNT_NOT_ENOUGH"])
        return (
            f'{{"ResponseCode":"{code}","ResponseDescription":"see docs","RequestId":"{rid}","Segments":"1"}}'
        )
    if kind == 2:
        code = rng.choice(
            ["DELIVERED_TO_HANDSET", "UNDELIVERED_OPERATOR_REJECTED", "success", "SMS_FLOODING"]
        )
        return (
            f'{{"To":"852{rng.randint(10**7, 10**8)}","Status":"2","ErrorCode":"{code}",'
            f'"ErrorDescription":"x","MessageId":"{rng.randint(10**14, 10**15)}"}}'
        )
    if kind == 3:
        return (
            "Traceback (most recent call last):\n"
            '  File "/srv/app/sms.py", line 43, in send\n'
            '  File "/usr/lib/python3/site-packages/aliyunsdkcore/client.py", line 259, in '
            "do_action_with_exception\n"
            "aliyunsdkcore.acs_exception.exceptions.ServerException: HTTP Status: 404 "
            f"Error:InvalidAccessKeyId.NotFound Specified access key is not found. RequestID: {rid}"
        )
    if kind == 4:
        return (
            f"InvalidTimeStamp.ExpiredError: code: 400, Specified time stamp or date value is expired. "
            f"request id: {rid}\n"
            "    at ReadableStream.<anonymous> (/app/node_modules/@alicloud/tea/index.js:120:21)"
        )
    if kind == 5:
        state = rng.choice(["DELIVRD", "UNDELIV", "EXPIRED", "REJECTD"])
        return (
            f"id:{rng.randint(10**9, 10**10)} sub:001 dlvrd:000 submit date:2611250930 done date:2611250931 "
            f"stat:{state} err:00{rng.randint(0, 9)} text:Your code is {rng.randint(1000, 9999)}"
        )
    if kind == 6:
        return (
            f"{_stamp(rng)} [3351] [6] DEBUG: SMPP PDU 0x1cd2a80 dump:\n"
            f"{_stamp(rng)} [3351] [6] DEBUG:   command_id: 2147483652 = 0x80000004\n"
            f"{_stamp(rng)} [3351] [6] DEBUG:   command_status: 88 = 0x00000058\n"
            f"{_stamp(rng)} [3351] [6] DEBUG:   sequence_number: 134232185 = 0x08003879"
        )
    if kind == 7:
        return (
            f"{_stamp(rng)} INFO sms-gateway sent to=+447{rng.randint(10**8, 10**9)} "
            f"request_id={rid} latency_ms={rng.randint(5, 900)} provider=aliyun region=cn-hangzhou"
        )
    if kind == 8:
        return rng.choice(
            [
                "hey team, deploy looks OK now but the coupon expired yesterday; success rate is fine",
                "can someone check why the OTP for the login flow is slow? thanks!",
                "lunch at noon? the dashboard says everything is green",
                "I think the retry logic is fine, but the rate limiter config changed last week",
            ]
        )
    return (
        "2021-06-08 17:29:37 INFO     105045 SMS-MT [cid:SMSC1] "
        f"[queue-msgid:{_uuid(rng).lower()}] [status:ERROR/CommandStatus.ESME_RINVDSTADR] [retry:False] "
        "[prio:0] [dlr:RegisteredDeliveryReceipt.NO_SMSC_DELIVERY_RECEIPT_REQUESTED] [validity:none]"
    )


def realistic_paste(chars: int = PASTE_CHARS, seed: int = 7) -> str:
    """A deterministic paste of about `chars` characters, cut at a line end."""
    rng = random.Random(seed)
    lines: list[str] = []
    size = 0
    while size < chars:
        block = _block(rng)
        lines.append(block)
        size += len(block) + 1
    text = "\n".join(lines)[:chars]
    return text[: text.rfind("\n")] if "\n" in text else text


def timed(func: Callable[[], object], repeat: int) -> float:
    """Median seconds of `repeat` runs (after one warm-up run)."""
    func()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def bench_single(catalog_codes: dict[str, object], repeat: int) -> None:
    catalog = load_catalog()
    index_for(catalog)
    n = 2000
    queries = [SINGLE_CODES[i % len(SINGLE_CODES)] for i in range(n)]

    def ours() -> None:
        for q in queries:
            find_codes(q, catalog)

    def baseline() -> None:
        for q in queries:
            catalog_codes.get(q.casefold())

    t_ours = timed(ours, max(3, repeat // 4))
    t_base = timed(baseline, max(3, repeat // 4))
    print("1. single-code look-ups")
    print(f"   find_codes:        {n / t_ours:12,.0f} /s   ({t_ours / n * 1e6:8.1f} µs each)")
    print(f"   dict.get baseline: {n / t_base:12,.0f} /s   ({t_base / n * 1e6:8.3f} µs each)")
    print(f"   ratio: {t_ours / t_base:,.0f}x the cost of a bare dict look-up")
    asked = [QUESTIONS[i % len(QUESTIONS)] for i in range(n // 4)]

    def questions() -> None:
        for q in asked:
            find_codes(q, catalog)

    t_questions = timed(questions, max(3, repeat // 4))
    each = t_questions / len(asked)
    print(f"   questions in words: {len(asked) / t_questions:10,.0f} /s   ({each * 1e6:8.1f} µs each)")


def bench_paste(repeat: int) -> None:
    catalog = load_catalog()
    index = index_for(catalog)
    text = realistic_paste()
    pattern = re.compile(r"[A-Za-z0-9_.]+")
    t_base = timed(lambda: pattern.findall(text), repeat)
    t_passive = timed(lambda: find_codes(text, catalog, Mode.PASSIVE), repeat)
    t_explicit = timed(lambda: find_codes(text, catalog, Mode.EXPLICIT), repeat)
    normalized = normalize(text)
    t_norm = timed(lambda: normalize(text), repeat)
    t_extract = timed(lambda: extract(normalized, vocabulary=index.vocabulary), repeat)
    lookup = find_codes(text, catalog, Mode.PASSIVE)
    print(f"2. realistic paste: {len(text):,} characters, {text.count(chr(10)) + 1} lines")
    print(f"   find_codes passive:  {t_passive * 1000:7.2f} ms  ({len(lookup.matches)} codes found)")
    print(f"   find_codes explicit: {t_explicit * 1000:7.2f} ms")
    print(f"     of which normalise {t_norm * 1000:.2f} ms, extract {t_extract * 1000:.2f} ms")
    print(f"   re.findall baseline: {t_base * 1000:7.2f} ms")
    print(f"   ratio: {t_passive / t_base:.1f}x the plain tokenising pass (aim: well under 50 ms)")


def _subprocess_seconds(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


STARTUP = (
    "import time; t0 = time.perf_counter()\n"
    "from bot.catalog import load_catalog\n"
    "from bot.matching import find_codes, index_for\n"
    "t1 = time.perf_counter(); c = load_catalog(); t2 = time.perf_counter(); index_for(c)\n"
    "t3 = time.perf_counter()\n"
    "print(f'{(t1 - t0) * 1000:.0f} {(t2 - t1) * 1000:.0f} {(t3 - t2) * 1000:.0f}')\n"
)


def bench_startup(runs: int) -> None:
    t_ours = _subprocess_seconds(STARTUP, runs)
    t_pass = _subprocess_seconds("pass", runs)
    parts = subprocess.run(
        [sys.executable, "-c", STARTUP], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    print("3. start-up in a fresh interpreter (import + load + index)")
    print(
        f"   smscode core:       {t_ours * 1000:7.0f} ms  "
        f"(inside: import {parts[0]} ms, load {parts[1]} ms, index {parts[2]} ms)"
    )
    print(f"   python -c pass:     {t_pass * 1000:7.0f} ms")
    print(f"   difference:         {(t_ours - t_pass) * 1000:7.0f} ms (aim: start-up under 300 ms)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs per timed figure (median reported)")
    args = parser.parse_args()
    catalog = load_catalog()
    codes: dict[str, object] = {e.code.casefold(): e for e in catalog}
    print(f"Python {sys.version.split()[0]}, catalogue of {len(catalog)} entries\n")
    bench_single(codes, args.repeat)
    print()
    bench_paste(args.repeat)
    print()
    bench_startup(max(5, args.repeat // 4))
    return 0


if __name__ == "__main__":
    sys.exit(main())
