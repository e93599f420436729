"""One atheris (libFuzzer) run of a target in harnesses.py: `python -m tests.fuzz.atheris_main TARGET [libFuzzer
options] [corpus dirs]`. Run by tests/fuzz/run.py (`make fuzz`), which sets the time limit and the corpus."""

from __future__ import annotations

import sys

import atheris

from tests.fuzz import harnesses

with atheris.instrument_imports(include=["steerdesk"]):
    harnesses.setup_django()
    from steerdesk.documents import numbering, references  # noqa: F401  (instrumented)
    from steerdesk.orgs import importing  # noqa: F401


def main() -> None:
    target = harnesses.TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
