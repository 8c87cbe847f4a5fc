"""Call notes quality on the labelled calls: facts, commitments and due dates.

    python -m alice_server.tools.eval_calls [--check] [--no-llm] [--show-misses]
        [--data data/eval/calls.jsonl --data data/eval/calls_heldout.jsonl]
        [--answers data/eval/calls_llm_answers.jsonl]
        [--min-fact-recall 0.85] [--min-fact-precision 0.95]
        [--min-commitment-recall 0.9] [--min-due-accuracy 0.9]

Runs the built-in summariser on every call and, unless `--no-llm`, the LLM summariser
against a local chat-completions server that replays the recorded answers (hand-written,
see docs/summarizer.md), through the real HTTP client and answer validation. Prints, per
path and per part of the set (tuning, held-out, all): fact recall and precision, facts
that must not be extracted and were, commitment recall and precision, due dates right,
and the share of commitments the stored summary states. `--check` exits 1 when the
built-in path misses a target on the whole set. Standard library only; no database.

Matching rules (docs/summarizer.md, "Evaluation"):
* a fact matches when the key is equal and the values are equal after normalisation:
  dates by their parts (month, day, year, weekday or "tomorrow", time), lists (allergies)
  as sets, everything else lower-cased, street words unabbreviated ("Rd" is "Road"), a
  leading article dropped, and only letters and digits compared ("HC-44817" is "hc44817");
* a commitment matches when the party is equal, a verb of the expected action is among the
  extracted action's verbs (by class: "email" is "send", "have X call" is "contact"), and,
  when the expected action names an object, they share an object word (lemmatised, not a
  generic word such as "new" or "copy"); each is matched once, in transcript order;
* a due date is right when the extracted due phrase, resolved against the call's start in
  its time zone, is the expected moment to the minute (or both are none); counted over the
  matched commitments.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import re
import sys
import threading
import zoneinfo
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from alice_server.domain.due_dates import resolve_due
from alice_server.domain.summarizer import (
    CallAnalysis,
    Commitment,
    ExtractedMemory,
    HeuristicSummarizer,
    TranscriptTurn,
)
from alice_server.domain.summarizer.commitments import content_words, verb_class, verb_classes
from alice_server.domain.summarizer.spoken import read_dates

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "eval"
DEFAULT_DATA = (DATA_DIR / "calls.jsonl", DATA_DIR / "calls_heldout.jsonl")
DEFAULT_ANSWERS = DATA_DIR / "calls_llm_answers.jsonl"
TARGETS = {"fact_recall": 0.85, "fact_precision": 0.95, "commitment_recall": 0.9,
           "due_accuracy": 0.9}  # fmt: skip
LIST_KEYS = frozenset({"allergies"})
_STREET_WORDS = {"rd": "road", "st": "street", "ave": "avenue", "ln": "lane", "dr": "drive",
                 "blvd": "boulevard", "ct": "court", "pl": "place", "pkwy": "parkway",
                 "hwy": "highway", "apt": "apartment", "ste": "suite", "n": "north",
                 "s": "south", "e": "east", "w": "west"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class EvalCall:
    id: str
    trade: str
    part: str  # "tuning" or "held-out"
    reference: dt.datetime
    turns: tuple[TranscriptTurn, ...]
    facts: tuple[tuple[str, str], ...]
    commitments: tuple[tuple[str, str, dt.datetime | None], ...]
    not_facts: tuple[tuple[str | None, str | None], ...]


def load_calls(path: Path, part: str) -> list[EvalCall]:
    calls = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        record = json.loads(line)
        zone = zoneinfo.ZoneInfo(record["time_zone"])
        reference = dt.datetime.fromisoformat(record["started_at"]).replace(tzinfo=zone)
        try:
            calls.append(
                EvalCall(
                    id=record["id"],
                    trade=record["trade"],
                    part=part,
                    reference=reference,
                    turns=tuple(TranscriptTurn(t["speaker"], t["text"]) for t in record["turns"]),
                    facts=tuple((f["key"], f["value"]) for f in record["facts"]),
                    commitments=tuple(
                        (
                            c["party"],
                            c["action"],
                            dt.datetime.fromisoformat(c["due"]).replace(tzinfo=zone)
                            if c["due"]
                            else None,
                        )
                        for c in record["commitments"]
                    ),
                    not_facts=tuple((n.get("key"), n.get("value")) for n in record["not_facts"]),
                )
            )
        except (KeyError, ValueError) as error:
            raise ValueError(f"{path}:{number}: {error}") from None
    ids = [c.id for c in calls]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: call ids are not unique")
    return calls


# --- matching --------------------------------------------------------------------------------


def normalise(value: str) -> str:
    """Lower case, street words unabbreviated, a leading article dropped, letters and digits."""
    words = re.findall(r"[a-z0-9]+", value.lower().replace("'s", "s"))
    words = [_STREET_WORDS.get(w, w) for w in words]
    if words and words[0] in ("the", "a", "an"):
        words = words[1:]
    return "".join(re.sub(r"^(\d+)(?:st|nd|rd|th)$", r"\1", w) for w in words)


def _date_parts(value: str) -> tuple[Any, ...] | None:
    dates = read_dates(value)
    iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value.strip())
    if iso:
        return (int(iso.group(2)), int(iso.group(3)), int(iso.group(1)), "", None)
    if not dates:
        return None
    date = dates[-1]
    return (date.month, date.day, date.year, date.relative, date.time)


def fact_matches(key: str, expected: str, got: str) -> bool:
    """Whether an extracted value is the expected one (see the module docstring)."""
    if key.endswith("_date") or key == "appointment":
        left, right = _date_parts(expected), _date_parts(got)
        if left is not None and right is not None:
            return left == right
    if key in LIST_KEYS:
        split = re.compile(r",|\band\b")
        return {normalise(v) for v in split.split(expected) if v.strip()} == {
            normalise(v) for v in split.split(got) if v.strip()
        }
    return normalise(expected) == normalise(got)


def commitment_matches(expected_party: str, expected_action: str, got: Commitment) -> bool:
    if got.party != expected_party:
        return False
    if not verb_classes(expected_action) & verb_classes(got.action):
        return False
    return not (objects := _objects(expected_action)) or bool(objects & content_words(got.action))


def _objects(action: str) -> set[str]:
    """The content words of an action that are not its verbs."""
    verbs = {part.split()[0].lower() for part in re.split(r"\band\b|,", action) if part.split()}
    return content_words(action) - content_words(" ".join(verbs)) - {"up", "back", "out", "off"}


def _states(summary: str, action: str) -> bool:
    """Whether a sentence of the summary states the promised action (verb and object)."""
    objects = _objects(action)
    for sentence in re.split(r"(?<=[.!?])\s+", summary):
        lower = sentence.lower()
        verbs = {verb_class(w) for w in re.findall(r"[a-z'-]+", lower)}
        if verb_classes(action) & verbs and (not objects or objects & content_words(lower)):
            return True
    return False


@dataclass
class Score:
    facts_expected: int = 0
    facts_found: int = 0
    facts_extracted: int = 0
    facts_correct: int = 0
    forbidden: int = 0
    forbidden_extracted: int = 0
    commitments_expected: int = 0
    commitments_found: int = 0
    commitments_extracted: int = 0
    due_right: int = 0
    in_summary: int = 0
    calls: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in self.__dataclass_fields__:
            if name == "misses":
                self.misses.extend(other.misses)
            else:
                setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def fact_recall(self) -> float:
        return self.facts_found / self.facts_expected if self.facts_expected else 1.0

    @property
    def fact_precision(self) -> float:
        return self.facts_correct / self.facts_extracted if self.facts_extracted else 1.0

    @property
    def commitment_recall(self) -> float:
        expected = self.commitments_expected
        return self.commitments_found / expected if expected else 1.0

    @property
    def commitment_precision(self) -> float:
        extracted = self.commitments_extracted
        return self.commitments_found / extracted if extracted else 1.0

    @property
    def due_accuracy(self) -> float:
        return self.due_right / self.commitments_found if self.commitments_found else 1.0

    @property
    def summary_coverage(self) -> float:
        expected = self.commitments_expected
        return self.in_summary / expected if expected else 1.0


def score_call(
    call: EvalCall,
    memories: Sequence[ExtractedMemory],
    commitments: Sequence[Commitment],
    summary: str,
) -> Score:
    score = Score(calls=1)
    got = {m.key: m.value for m in memories}
    expected = dict(call.facts)
    score.facts_expected = len(expected)
    score.facts_extracted = len(got)
    for key, value in expected.items():
        if key in got and fact_matches(key, value, got[key]):
            score.facts_found += 1
        else:
            score.misses.append(f"{call.id}: fact missed {key}={value!r} (got {got.get(key)!r})")
    for key, value in got.items():
        if key in expected and fact_matches(key, expected[key], value):
            score.facts_correct += 1
        elif key not in expected:
            score.misses.append(f"{call.id}: fact not expected {key}={value!r}")
    score.forbidden = len(call.not_facts)
    for forbidden_key, forbidden_value in call.not_facts:
        hits = [
            (k, v)
            for k, v in got.items()
            if (forbidden_key is None or k == forbidden_key)
            and (
                forbidden_value is None
                or fact_matches(k, forbidden_value, v)
                or normalise(forbidden_value) in normalise(v)
            )
        ]
        if hits:
            score.forbidden_extracted += 1
            score.misses.append(f"{call.id}: forbidden fact extracted {hits}")
    score.commitments_expected = len(call.commitments)
    score.commitments_extracted = len(commitments)
    used: set[int] = set()
    for party, action, due in call.commitments:
        if _states(summary, action):
            score.in_summary += 1
        match = next(
            (
                i
                for i, c in enumerate(commitments)
                if i not in used and commitment_matches(party, action, c)
            ),
            None,
        )
        if match is None:
            score.misses.append(f"{call.id}: commitment missed {party}: {action!r}")
            continue
        used.add(match)
        score.commitments_found += 1
        found = commitments[match]
        resolved = resolve_due(found.due_phrase, call.reference) if found.due_phrase else None
        if resolved == due:
            score.due_right += 1
        else:
            shown = resolved.strftime("%Y-%m-%dT%H:%M") if resolved else None
            wanted = due.strftime("%Y-%m-%dT%H:%M") if due else None
            score.misses.append(
                f"{call.id}: due wrong for {action!r}: {found.due_phrase!r} -> {shown}, "
                f"expected {wanted}"
            )
    for index, c in enumerate(commitments):
        if index not in used:
            score.misses.append(f"{call.id}: commitment not expected {c.party}: {c.action!r}")
    return score


# --- the two paths ------------------------------------------------------------------------------


def builtin_analyses(calls: Sequence[EvalCall]) -> dict[str, CallAnalysis]:
    summarizer = HeuristicSummarizer()
    return {call.id: summarizer.analyze_sync(call.turns) for call in calls}


@contextmanager
def recorded_llm(answers: dict[str, str]) -> Iterator[str]:
    """A local chat-completions endpoint replaying `answers` (transcript text -> answer
    JSON); an unknown transcript gets HTTP 500. Yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            content = answers.get(body["messages"][-1]["content"])
            if content is None:
                self.send_response(500)
                self.end_headers()
                return
            payload = json.dumps(
                {
                    "id": "chatcmpl-recorded",
                    "object": "chat.completion",
                    "model": body.get("model", "recorded"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": "stop",
                        }
                    ],
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def llm_analyses(
    calls: Sequence[EvalCall], answers_path: Path
) -> tuple[dict[str, CallAnalysis], int]:
    """The LLM summariser's analyses against the recorded answers, and its fallback count."""
    from alice_server.llm.chat import ChatEndpoint
    from alice_server.llm.summarizer import LLMSummarizer, transcript_text

    recorded = {}
    for line in answers_path.read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            recorded[record["id"]] = json.dumps(record["answer"])
    answers = {transcript_text(c.turns): recorded[c.id] for c in calls if c.id in recorded}
    with recorded_llm(answers) as url:
        summarizer = LLMSummarizer(
            ChatEndpoint(url, "recorded", None, timeout=10), HeuristicSummarizer()
        )

        async def run() -> dict[str, CallAnalysis]:
            return {call.id: await summarizer.analyze(call.turns) for call in calls}

        analyses = asyncio.run(run())
    return analyses, sum(summarizer.fallbacks.values())


def evaluate(calls: Sequence[EvalCall], analyses: dict[str, CallAnalysis]) -> dict[str, Score]:
    """Scores per part ("tuning", "held-out") and for "all"."""
    scores: dict[str, Score] = {}
    total = Score()
    for call in calls:
        analysis = analyses[call.id]
        score = score_call(call, analysis.memories, analysis.notes.commitments, analysis.summary)
        scores.setdefault(call.part, Score()).add(score)
        total.add(score)
    scores["all"] = total
    return scores


def _row(path: str, part: str, score: Score) -> str:
    figures = (
        score.fact_recall,
        score.fact_precision,
        f"{score.forbidden_extracted}/{score.forbidden}",
        score.commitment_recall,
        score.commitment_precision,
        score.due_accuracy,
        score.summary_coverage,
    )
    shown = " ".join(f"{f:>7.2f}" if isinstance(f, float) else f"{f:>9}" for f in figures)
    return f"{path:<9} {part:<9} {score.calls:>5} {shown}"


HEADER = "path      part      calls  fact_R  fact_P  not_facts  comm_R  comm_P   due_ok  in_summ"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m alice_server.tools.eval_calls",
        description="Call notes quality on the labelled calls (facts, commitments, due dates).",
    )
    parser.add_argument(
        "--data",
        type=Path,
        action="append",
        help="JSONL of labelled calls (repeatable); default: the tuning and "
        "held-out sets under data/eval/",
    )
    parser.add_argument(
        "--answers",
        type=Path,
        default=DEFAULT_ANSWERS,
        help="recorded LLM answers (JSONL) for the LLM path",
    )
    parser.add_argument("--no-llm", action="store_true", help="the built-in path only")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when the built-in path misses a target on the whole set",
    )
    parser.add_argument("--show-misses", action="store_true", help="list every miss")
    for name, value in TARGETS.items():
        parser.add_argument(
            f"--min-{name.replace('_', '-')}",
            type=float,
            default=value,
            dest=name,
            help=f"target for --check (default {value})",
        )
    args = parser.parse_args(argv)
    paths = args.data or list(DEFAULT_DATA)
    calls: list[EvalCall] = []
    for path in paths:
        part = (
            "held-out" if "heldout" in path.name else "fresh" if "fresh" in path.name else "tuning"
        )
        calls.extend(load_calls(path, part))
    results = {"built-in": evaluate(calls, builtin_analyses(calls))}
    fallbacks = 0
    if not args.no_llm:
        analyses, fallbacks = llm_analyses(calls, args.answers)
        results["llm"] = evaluate(calls, analyses)
    print(f"{len(calls)} calls ({', '.join(p.name for p in paths)})")
    print(HEADER)
    for path, scores in results.items():
        for part in ("tuning", "held-out", "fresh", "all"):
            if part in scores:
                print(_row(path, part, scores[part]))
    if not args.no_llm:
        print(f"llm: {fallbacks} call(s) fell back to the built-in summariser")
    if args.show_misses:
        for path, scores in results.items():
            for miss in scores["all"].misses:
                print(f"[{path}] {miss}")
    if args.check:
        total = results["built-in"]["all"]
        missed = [
            f"{name} {getattr(total, name):.2f} < {getattr(args, name):.2f}"
            for name in TARGETS
            if getattr(total, name) < getattr(args, name)
        ]
        if missed:
            print("built-in targets missed: " + "; ".join(missed), file=sys.stderr)
            return 1
        print("built-in targets met: " + ", ".join(f"{n} >= {getattr(args, n)}" for n in TARGETS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
