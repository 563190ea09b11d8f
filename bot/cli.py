"""The `smscode` command line: `smscode explain` finds and explains codes; `smscode serve` runs the Slack bot.

    smscode explain QPS_LIMIT_CONTROL
    pbpaste | smscode explain --passive
    smscode explain --json - < error.log

Exit status: 0 when something matched, 1 when nothing did, 2 for a usage error, a broken catalogue or an
answer that could not be written (a full disk). A reader that goes away early (`| head`) is not an error:
the status is the lookup's, with no traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import AnyStr, TextIO

from bot import __version__
from bot.catalog import Catalog, CatalogError, load_catalog
from bot.matching import find_codes, lookup_to_dict
from bot.normalize import MAX_INPUT_CHARS
from bot.results import Lookup, Mode

EXIT_FOUND = 0
EXIT_NOT_FOUND = 1
EXIT_USAGE = 2
# Standard input of any size is read to its end in bounded memory: its first HEAD_BYTES and last TAIL_BYTES
# are kept (logs put the failing request last), and the matcher cuts the middle of what it gets, and says so.
# UTF-8 needs at most 4 bytes a character, so each part holds at least MAX_INPUT_CHARS characters.
HEAD_BYTES = 4 * MAX_INPUT_CHARS
TAIL_BYTES = 4 * MAX_INPUT_CHARS
_CHUNK = 1 << 20


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smscode",
        description="Find and explain Alibaba Cloud SMS, OpenAPI gateway and SMPP error codes in a paste.",
    )
    parser.add_argument("--version", action="version", version=f"smscode {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    explain = commands.add_parser(
        "explain",
        help="explain the codes in TEXT or standard input",
        description="Find every code in TEXT (or standard input when TEXT is missing or '-') and explain it.",
    )
    shape = explain.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print the matches as JSON")
    shape.add_argument("--blocks", action="store_true", help="print the Slack Block Kit message as JSON")
    explain.add_argument(
        "--passive",
        action="store_true",
        help="read like an overheard message: only confident codes in a code-like context",
    )
    explain.add_argument(
        "--catalog", type=Path, metavar="DIR", help="catalogue directory (default: the packaged one)"
    )
    explain.add_argument(
        "text", nargs="*", metavar="TEXT", help="text to read; nothing, or '-' alone, reads standard input"
    )
    # `serve` is handed to bot.serve untouched; it is listed here so that --help shows it
    commands.add_parser("serve", help="run the Slack bot (see `smscode serve --help`)", add_help=False)
    return parser


def _head_and_tail(
    read: Callable[[int], AnyStr], head_size: int, tail_size: int
) -> tuple[AnyStr, AnyStr, int]:
    """Read a stream to its end: keep its first `head_size` and last `tail_size` units, count those between.

    The tail is a queue of chunks, so memory stays bounded and time linear however long the stream is.
    """
    head = read(head_size)
    chunks: deque[AnyStr] = deque()
    kept = skipped = 0
    step = max(1, min(_CHUNK, tail_size))  # at most twice the tail is ever held
    if len(head) == head_size:
        while chunk := read(step):
            chunks.append(chunk)
            kept += len(chunk)
            while kept - len(chunks[0]) >= tail_size:
                skipped += len(chunks[0])
                kept -= len(chunks.popleft())
    tail = head[:0].join(chunks)
    return head, tail, skipped


def _read_stdin(stream: TextIO, *, head_size: int = HEAD_BYTES, tail_size: int = TAIL_BYTES) -> str:
    """All of standard input, or its head and tail joined by a line break when its middle was skipped."""
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a text stream without bytes underneath (tests, IDEs)
        head_text, tail_text, gap = _head_and_tail(stream.read, head_size, tail_size)
        return head_text + ("\n" if gap else "") + tail_text
    head: bytes
    tail: bytes
    head, tail, skipped = _head_and_tail(buffer.read, head_size, tail_size)
    if not skipped:
        return (head + tail).decode("utf-8", errors="replace")
    # decoded apart: a character split by the skip becomes U+FFFD inside the part that the matcher cuts away
    return head.decode("utf-8", errors="replace") + "\n" + tail.decode("utf-8", errors="replace")


def _silence_stdout() -> None:
    """Point standard output at the null device, so the interpreter's last flush cannot fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor underneath (tests): nothing left to flush
        pass


def _finish(status: int, text: str | None = None) -> int:
    """Write `text` (if any) and flush standard output; return the exit status that the outcome calls for.

    A reader that stopped reading (`smscode explain … | head`) is not an error: the lookup's status stands.
    A write that failed (`> /dev/full`) is one line on standard error and status 2, never a traceback.
    """
    out = sys.stdout
    try:
        if text is not None:
            if hasattr(out, "reconfigure"):
                # a terminal that cannot show a character gets an escape, never a crash
                out.reconfigure(errors="backslashreplace")
            out.write(text if text.endswith("\n") else text + "\n")
        out.flush()
    except BrokenPipeError:
        _silence_stdout()
        return status
    except OSError as exc:
        _silence_stdout()
        print(f"smscode: cannot write the answer: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    return status


def _render(lookup: Lookup, catalog: Catalog, args: argparse.Namespace) -> str:
    if args.json:
        return json.dumps(lookup_to_dict(lookup, catalog), ensure_ascii=False, indent=2)
    from bot import render  # Block Kit models load only when an answer is rendered  # noqa: PLC0415

    if args.blocks:
        return json.dumps(render.render_message(lookup, catalog), ensure_ascii=False, indent=2)
    return render.render_text(lookup, catalog)


def explain(args: argparse.Namespace) -> int:
    """`smscode explain`: look the text up and print the answer."""
    try:
        catalog = load_catalog(args.catalog)
    except CatalogError as exc:
        print(f"smscode: broken catalogue: {exc}", file=sys.stderr)
        return EXIT_USAGE
    words: list[str] = args.text
    text = _read_stdin(sys.stdin) if not words or words == ["-"] else " ".join(words)
    mode = Mode.PASSIVE if args.passive else Mode.EXPLICIT
    lookup = find_codes(text, catalog, mode=mode)
    if mode is Mode.PASSIVE and not lookup.found and not (args.json or args.blocks):
        return _finish(EXIT_NOT_FOUND)  # read unasked and found nothing: quiet, as the bot is in a channel
    return _finish(EXIT_FOUND if lookup.found else EXIT_NOT_FOUND, _render(lookup, catalog, args))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `smscode` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:
        # imported here so that `explain` never loads Slack's transport
        from bot import serve  # noqa: PLC0415

        return serve.main(argv[1:])
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version or a usage error: argparse has printed, now flush it safely
        code = exc.code if isinstance(exc.code, int) else EXIT_USAGE
        return _finish(code)
    if args.command == "explain":
        if "-" in args.text and len(args.text) > 1:
            # `explain - QPS_LIMIT_CONTROL`: standard input or words, never both (exits with status 2)
            parser.error("'-' reads standard input, so it must be the only TEXT")
        return explain(args)
    return EXIT_USAGE  # pragma: no cover - argparse rejects unknown commands itself


if __name__ == "__main__":
    sys.exit(main())
