"""The built-in summariser alone: analyze_sync on calls of several lengths, CPU ms per call.

    python benchmarks/bench_summarizer.py [--turns 20,200,1000] [--runs 20] [--calls 3]
        [--long-turns] [--compare REV ...]

Each call is built from the turns of the labelled calls in data/eval/calls.jsonl, in
order and repeated to the number of turns (so it has requests, promises and facts to
find, like a real call), different calls starting at different places. `--long-turns`
makes every turn about 2,700 characters (several sentences of those calls), the shape
of a long monologue. Prints, per length, the median and best CPU time per call
(time.process_time of this process, so other processes on a loaded machine count
less than in wall time; still compare figures of one run only).

`--compare REV` (repeatable; "b10999e" is the summariser before issue 14's call notes,
"HEAD" the last commit) runs the same calls through the alice_server package of that
git revision (`git archive` into a temporary directory, run in a child process) and
prints its figures next to the working tree's. No database, no gRPC.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "eval" / "calls.jsonl"
LONG_TURN_CHARS = 2700


def long_calls(turns: int, calls: int, turn_chars: int = 0) -> list[list[tuple[str, str]]]:
    """`calls` calls of `turns` (speaker, text) turns each; with `turn_chars`, each turn
    joins consecutive sentences of the set to about that many characters."""
    source = [
        (turn["speaker"], turn["text"])
        for line in DATA.read_text().splitlines()
        if line.strip()
        for turn in json.loads(line)["turns"]
    ]
    step = max(1, len(source) // max(1, calls))
    result = []
    for start in range(calls):
        position = start * step
        call = []
        for i in range(turns):
            if not turn_chars:
                call.append(source[(position + i) % len(source)])
                continue
            text = ""
            while len(text) < turn_chars:
                text += source[position % len(source)][1] + " "
                position += 1
            call.append(("caller" if i % 2 else "agent", text.strip()))
        result.append(call)
    return result


def measure(lengths: list[int], runs: int, calls: int, turn_chars: int) -> dict[int, list[float]]:
    """CPU ms per call, per length, with the alice_server package found on sys.path."""
    from alice_server.domain.summarizer import HeuristicSummarizer, TranscriptTurn

    summarizer = HeuristicSummarizer()
    figures: dict[int, list[float]] = {}
    for length in lengths:
        timings: list[float] = []
        repeat = max(1, runs if length < 1000 else runs // 5)
        for call in long_calls(length, calls, turn_chars):
            turns = [TranscriptTurn(speaker, text) for speaker, text in call]  # type: ignore[arg-type]
            summarizer.analyze_sync(turns)  # warm up the caches of the regular expressions
            for _ in range(repeat):
                started = time.process_time()
                summarizer.analyze_sync(turns)
                timings.append((time.process_time() - started) * 1000)
        figures[length] = timings
    return figures


def _revision_figures(revision: str, args: argparse.Namespace) -> dict[int, list[float]]:
    archive = subprocess.run(  # noqa: S603 - a revision the user named, to git archive
        ["git", "-C", str(ROOT), "archive", revision, "alice_server"],  # noqa: S607 - git from PATH
        check=True,
        capture_output=True,
    ).stdout
    with tempfile.TemporaryDirectory() as directory:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(directory, filter="data")
        child = subprocess.run(  # noqa: S603 - this very script
            [sys.executable, __file__, "--child", *_pass_on(args)],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": directory},
            cwd=directory,
        )
    return {int(k): v for k, v in json.loads(child.stdout).items()}


def _pass_on(args: argparse.Namespace) -> list[str]:
    passed = ["--turns", args.turns, "--runs", str(args.runs), "--calls", str(args.calls)]
    return passed + (["--long-turns"] if args.long_turns else [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", default="20,200,1000", help="lengths, comma-separated")
    parser.add_argument("--runs", type=int, default=20, help="runs per call (a fifth at 1000+)")
    parser.add_argument("--calls", type=int, default=3)
    parser.add_argument("--long-turns", action="store_true", help="turns of ~2,700 characters")
    parser.add_argument("--compare", action="append", default=[], metavar="REV")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    lengths = [int(n) for n in args.turns.split(",")]
    turn_chars = LONG_TURN_CHARS if args.long_turns else 0
    if args.child:
        print(json.dumps(measure(lengths, args.runs, args.calls, turn_chars)))
        return
    columns = {revision: _revision_figures(revision, args) for revision in args.compare}
    columns["working tree"] = measure(lengths, args.runs, args.calls, turn_chars)
    shape = f"turns of ~{LONG_TURN_CHARS} characters" if turn_chars else "turns of the set"
    print(f"analyze_sync, CPU ms per call (median / best), {shape}, {args.calls} calls")
    print(f"{'turns':>6}  " + "  ".join(f"{name:>18}" for name in columns))
    for length in lengths:
        cells = []
        for figures in columns.values():
            timings = figures[length]
            cells.append(f"{statistics.median(timings):8.1f} / {min(timings):7.1f}")
        print(f"{length:>6}  " + "  ".join(f"{cell:>18}" for cell in cells))


if __name__ == "__main__":
    main()
