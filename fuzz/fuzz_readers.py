"""Coverage-guided fuzzing (atheris, libFuzzer) of the two readers of user files: the document reader
and the compose reader. Either returns a model or raises InputError; anything else is a crash.

    .venv/bin/pip install -e '.[fuzz]'
    .venv/bin/python fuzz/fuzz_readers.py -max_total_time=120 -rss_limit_mb=2048 fuzz/corpus

The corpus folder starts from the bundled documents and compose files (copied in on the first run);
libFuzzer adds what reaches new code. The README's testing section records the last budget run.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from verifier.compose import load_compose
    from verifier.document import read_document
    from verifier.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
SEEDS = [*ROOT.glob("compose-fixtures/*/deployment-architecture.md"), *ROOT.glob("tests/corpus/*/*.md"),
         *ROOT.glob("compose-fixtures/*/compose.yaml"), *ROOT.glob("compose-fixtures/syntax*/*/compose.yaml")]
WORK = Path(tempfile.mkdtemp(prefix="verifier-fuzz-"))


def one_input(data: bytes) -> None:
    """The first byte chooses the reader; the rest is the file."""
    if not data:
        return
    if data[0] % 2:
        path = WORK / "deployment-architecture.md"
        path.write_bytes(data[1:])
        read = read_document
    else:
        path = WORK / "compose.yaml"
        path.write_bytes(data[1:])

        def read(p: Path) -> object:
            return load_compose([p], environ={"A": "1"})
    try:
        read(path)
    except InputError:
        pass


def main() -> None:
    corpus = next((Path(a) for a in sys.argv[1:] if not a.startswith("-")), None)
    if corpus is not None and not corpus.exists():
        corpus.mkdir(parents=True)
        for index, seed in enumerate(SEEDS):
            choice = b"\x01" if seed.suffix == ".md" else b"\x00"
            (corpus / f"seed-{index:03d}").write_bytes(choice + seed.read_bytes())
    try:
        atheris.Setup(sys.argv, one_input)
        atheris.Fuzz()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
