"""The example blocks of Markdown documents (README.md, the guides), run as written.

The conventions a document follows (README.md's "How the examples are checked"):

* A fenced ```sh block is a shell example. If the next fenced block is an
  ```output block, that is what the example prints on stdout.
* An HTML comment on the line just before a fence gives the block options,
  `<!-- readme: name=production-install; skip=run by scripts/check_wheel_install.sh -->`:
  `name` lets a runner find the block; `skip` (its value says what checks the
  block instead) keeps the in-order run from running it; `background` runs it
  in the background (a server) instead of waiting for it.
* A python block between `<!-- snippet: NAME ... -->` and `<!-- /snippet -->`
  is run by `run_snippet` as the body of an async function.

Outputs are compared (`mismatch`) after normalising both sides: trailing spaces
dropped, UUIDs read as `<uuid>`, ISO 8601 times as `<time>` (dates alone as
`<date>`), JWTs as `<token>`.
Then, line by line, an expected line that is just `...` stands for any number
of lines (none included), and `...` within a line for any characters.

Blocks run in one shell session (`Session`): each block in its own bash with
`set -e -o pipefail`, variables carried over from the blocks before it, the way a
reader pastes them into one terminal.

Standard library only: scripts/check_wheel_install.sh runs this file to print
named blocks (`python3 tests/support/readme_blocks.py FILE NAME`).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import shlex
import sys
import tempfile
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
_OPTIONS = re.compile(r"<!--\s*readme:\s*(.*?)\s*-->\s*$")
_HEADING = re.compile(r"^#{1,6} +(.+?)\s*$", re.M)

_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_TIME = re.compile(
    r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?(?![\d:])"
)
_JWT = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


@dataclass(frozen=True)
class Block:
    language: str
    text: str
    line: int  # of the opening fence, 1-based
    section: str  # the nearest heading above it
    options: Mapping[str, str]
    output: str | None  # the ```output block that follows a sh block

    @property
    def name(self) -> str | None:
        return self.options.get("name")

    @property
    def skip(self) -> str | None:
        return self.options.get("skip")

    @property
    def background(self) -> bool:
        return "background" in self.options

    def where(self, path: Path) -> str:
        return f"{path.name}:{self.line} ({self.section})"


def _options(text: str, start: int) -> dict[str, str]:
    before = text[:start].rstrip("\n").rsplit("\n", 1)[-1]
    match = _OPTIONS.search(before)
    if match is None:
        return {}
    options: dict[str, str] = {}
    for item in match.group(1).split(";"):
        key, _, value = item.partition("=")
        if key.strip():
            options[key.strip()] = value.strip()
    return options


def blocks(path: Path) -> list[Block]:
    """Every fenced block of the document, in order (output blocks attached to
    the sh block before them, not listed on their own)."""
    text = path.read_text()
    headings = [(m.start(), m.group(1)) for m in _HEADING.finditer(text)]
    fences = list(_FENCE.finditer(text))
    result: list[Block] = []
    skip_next = False
    for index, fence in enumerate(fences):
        if skip_next:
            skip_next = False
            continue
        language = fence.group(1)
        following = fences[index + 1] if index + 1 < len(fences) else None
        output = None
        if language == "sh" and following is not None and following.group(1) == "output":
            between = text[fence.end() : following.start()]
            if not _FENCE.search(between):
                output = following.group(2)
                skip_next = True
        section = next((h for pos, h in reversed(headings) if pos < fence.start()), "")
        result.append(
            Block(
                language=language,
                text=fence.group(2),
                line=text.count("\n", 0, fence.start()) + 1,
                section=section,
                options=_options(text, fence.start()),
                output=output,
            )
        )
    return result


def section_text(path: Path, title: str) -> str:
    """The text of the section headed `title` (any level), up to the next heading
    of the same or a higher level."""
    text = path.read_text()
    match = re.search(rf"^(#{{1,6}}) +{re.escape(title)}\s*$", text, re.M)
    assert match, f"no section {title!r} in {path}"
    level = len(match.group(1))
    rest = text[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[: end.start()] if end else rest


def section_blocks(path: Path, title: str, language: str = "sh") -> list[Block]:
    """The blocks of one section (and its subsections) in a language."""
    text = path.read_text()
    match = re.search(rf"^(#{{1,6}}) +{re.escape(title)}\s*$", text, re.M)
    assert match, f"no section {title!r} in {path}"
    level = len(match.group(1))
    start_line = text.count("\n", 0, match.start()) + 1
    end = re.search(rf"^#{{1,{level}}} ", text[match.end() :], re.M)
    end_line = text.count("\n", 0, match.end() + end.start()) + 1 if end else 10**9
    return [b for b in blocks(path) if b.language == language and start_line < b.line < end_line]


def named(path: Path, name: str) -> Block:
    found = [b for b in blocks(path) if b.name == name]
    assert len(found) == 1, f"{len(found)} blocks named {name!r} in {path}"
    return found[0]


# --------------------------------------------------------------------------- outputs


def normalise(text: str) -> str:
    text = _UUID.sub("<uuid>", text)
    text = _JWT.sub("<token>", text)
    text = _TIME.sub("<time>", text)
    text = _DATE.sub("<date>", text)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def _line_matches(expected: str, actual: str) -> bool:
    if "..." not in expected:
        return expected == actual
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, actual) is not None


def _matches(expected: list[str], actual: list[str]) -> bool:
    # Memoised over (i, j): `...` lines make this a small wildcard match.
    memo: dict[tuple[int, int], bool] = {}

    def match(i: int, j: int) -> bool:
        key = (i, j)
        if key not in memo:
            if i == len(expected):
                memo[key] = j == len(actual)
            elif expected[i].strip() == "...":
                memo[key] = match(i + 1, j) or (j < len(actual) and match(i, j + 1))
            else:
                memo[key] = (
                    j < len(actual)
                    and _line_matches(expected[i], actual[j])
                    and match(i + 1, j + 1)
                )
        return memo[key]

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * (len(expected) + len(actual)) + 100))
    return match(0, 0)


def mismatch(expected: str, actual: str) -> str | None:
    """None when `actual` is what `expected` shows; else a message with both."""
    want, got = normalise(expected), normalise(actual)
    if _matches(want.splitlines(), got.splitlines()):
        return None
    return f"expected (normalised):\n{want}\n--- but it printed (normalised):\n{got}"


def json_documents(text: str) -> list[Any]:
    """The JSON documents printed one after another (grpcurl prints one per response)."""
    decoder = json.JSONDecoder()
    documents, position = [], 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return documents
        document, position = decoder.raw_decode(text, position)
        documents.append(document)


# --------------------------------------------------------------------------- running


@dataclass
class Result:
    code: int
    out: str
    err: str


class Session:
    """Shell blocks run one after another, as in one terminal: the variables a
    block sets (exported or not) reach the blocks after it."""

    def __init__(
        self,
        env: Mapping[str, str],
        cwd: Path,
        *,
        substitutions: Mapping[str, str] | None = None,
        timeout: float = 180,
    ) -> None:
        self.env = dict(env)
        self.cwd = cwd
        self.substitutions = dict(substitutions or {})
        self.timeout = timeout
        self._state = Path(tempfile.mkdtemp(prefix="readme-session-")) / "state.sh"
        self.background: list[asyncio.subprocess.Process] = []

    def script(self, text: str) -> str:
        for old, new in self.substitutions.items():
            text = text.replace(old, new)
        state = shlex.quote(str(self._state))
        return (
            f"set -a\n[ -f {state} ] && . {state}\nset -e -o pipefail\n"
            f"{text}\nset +e\nexport -p > {state}\n"
        )

    async def run(self, text: str) -> Result:
        process = await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            self.script(text),
            env=self.env,
            cwd=self.cwd,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(), self.timeout)
        except TimeoutError:
            os.killpg(process.pid, 9)
            await process.wait()
            raise AssertionError(f"timed out after {self.timeout:.0f} s:\n{text}") from None
        return Result(process.returncode or 0, out.decode(), err.decode())

    async def start(self, text: str, log: Path) -> asyncio.subprocess.Process:
        """A block that runs until stopped (a server), its output to `log`."""
        with log.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                "bash",
                "-c",
                self.script(f"exec {text.strip()}" if "\n" not in text.strip() else text),
                env=self.env,
                cwd=self.cwd,
                stdout=sink,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        self.background.append(process)
        return process

    async def stop(self) -> None:
        for process in self.background:
            if process.returncode is None:
                os.killpg(process.pid, 15)
                try:
                    await asyncio.wait_for(process.wait(), 60)
                except TimeoutError:
                    os.killpg(process.pid, 9)
                    await process.wait()
        self._state.unlink(missing_ok=True)
        self._state.parent.rmdir()


async def run_script(
    script: str, env: Mapping[str, str], *, cwd: Path | None = None, seconds: float = 120
) -> str:
    """Run one shell script (`set -e`); its stdout. Fails with its stderr."""
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        "set -e\n" + script,
        env=dict(env),
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), seconds)
    assert process.returncode == 0, f"{script}\n--- stderr:\n{err.decode()}"
    return out.decode()


def snippet(path: Path, name: str) -> str:
    match = re.search(
        rf"<!-- snippet: {re.escape(name)}\b[^>]*-->\s*```python\n(.*?)```\s*<!-- /snippet -->",
        path.read_text(),
        re.S,
    )
    assert match, f"no snippet {name!r} in {path}"
    return match.group(1)


async def run_snippet(path: Path, name: str, **names: Any) -> dict[str, Any]:
    """Run a python snippet as the body of an async function taking `names` (written
    to a module file and imported, so tracebacks show its lines); its local names."""
    body = snippet(path, name) + "\nreturn locals()\n"
    source = "async def _snippet(" + ", ".join(names) + "):\n" + textwrap.indent(body, "    ")
    with tempfile.TemporaryDirectory() as folder:
        stem = "readme_snippet_" + re.sub(r"\W", "_", name)
        module_path = Path(folder) / f"{stem}.py"
        module_path.write_text(source)
        spec = importlib.util.spec_from_file_location(module_path.stem, module_path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    result: dict[str, Any] = await module._snippet(**names)
    return result


def environment(**values: str) -> dict[str, str]:
    """The test process's environment without Alice's settings, plus `values`, with
    the tools of this virtualenv (grpcurl, alice-admin) first on PATH."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ALICE_") and k not in ("DATABASE_URL", "JWT_SECRET_KEY")
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(values)
    return env


if __name__ == "__main__":  # print a named block (scripts/check_wheel_install.sh)
    if len(sys.argv) != 3:
        sys.exit("usage: readme_blocks.py FILE BLOCK_NAME")
    print(named(Path(sys.argv[1]), sys.argv[2]).text, end="")
