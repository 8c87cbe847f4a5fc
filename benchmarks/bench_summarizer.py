"""The built-in summariser alone: analyze_sync on long calls, per call (milliseconds).

    python benchmarks/bench_summarizer.py [--turns 200] [--runs 50] [--calls 5]

Each call is built from the turns of the labelled calls in data/eval/calls.jsonl, in
order and repeated to --turns turns (so it has requests, promises and facts to find,
like a real call), different calls starting at different places. Prints the median,
p95 and best of --runs runs per call, measured with time.perf_counter on one core. The
figure is of the summariser's CPU work only; ProcessCall adds the database and gRPC.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from alice_server.domain.summarizer import HeuristicSummarizer, TranscriptTurn

DATA = Path(__file__).resolve().parents[1] / "data" / "eval" / "calls.jsonl"


def long_calls(turns: int, calls: int) -> list[list[TranscriptTurn]]:
    source = [
        TranscriptTurn(turn["speaker"], turn["text"])
        for line in DATA.read_text().splitlines()
        if line.strip()
        for turn in json.loads(line)["turns"]
    ]
    step = max(1, len(source) // max(1, calls))
    return [
        [source[(start * step + i) % len(source)] for i in range(turns)] for start in range(calls)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--calls", type=int, default=5)
    args = parser.parse_args()
    summarizer = HeuristicSummarizer()
    timings: list[float] = []
    for turns in long_calls(args.turns, args.calls):
        summarizer.analyze_sync(turns)  # warm up the caches of the regular expressions
        for _ in range(args.runs):
            started = time.perf_counter()
            summarizer.analyze_sync(turns)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"analyze_sync, {args.turns} turns, {args.calls} calls x {args.runs} runs: "
        f"median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, best {timings[0]:.1f} ms"
    )


if __name__ == "__main__":
    main()
