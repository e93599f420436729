"""`steerdesk extract_refs [--json] FILE…|-`: print the document references found in text files."""

from __future__ import annotations

import json as jsonlib
import sys

from django.core.management.base import BaseCommand, CommandError

from steerdesk.documents.references import Ref, extract_refs

COLUMNS = ("number", "system", "type", "issuer", "year", "date", "file")
STDIN_NAME = "<stdin>"


def _cell(ref: Ref, column: str) -> str:
    if column == "type":
        if ref.type is None:
            return "—"
        return ref.type if ref.type_known else f"{ref.type}?"
    if column == "date":
        return ref.date.strftime("%d/%m/%Y") if ref.date else "—"
    value = getattr(ref, column)
    return "—" if value is None or value == "" else str(value)


def format_table(refs: list[Ref]) -> str:
    """A plain-text table with one row per reference; `?` marks a type code that is not in the tables."""
    rows = [[c.upper() for c in COLUMNS]] + [[_cell(r, c) for c in COLUMNS] for r in refs]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Print the document references (State numbers like 12/QĐ-UBND or 30/2020/NĐ-CP, Party numbers like "
        "35-NQ/TW) found in UTF-8 text files, with their type, issuer, year and the date that follows them. "
        "Use - to read standard input. Default output is a table (a ? after the type marks a code that is not "
        "in the type tables; dates dd/mm/yyyy); --json prints one JSON object per line (VIETNAMESE.md §5). "
        "A file that is missing, unreadable or not UTF-8 is reported on stderr and skipped; the other files "
        "are still processed, and the command then exits with status 2."
    )
    requires_system_checks = []
    requires_migrations_checks = False
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument(
            "files", nargs="+", metavar="FILE", help="UTF-8 text file, or - for standard input"
        )
        parser.add_argument(
            "--json",
            dest="as_json",
            action="store_true",
            help="one JSON object per line (number, system, type, …, span, file)",
        )

    def _read(self, name: str, stdin) -> str:
        try:
            if name == "-":
                source = stdin if stdin is not None else sys.stdin.buffer
                data = source.read()
            else:
                with open(name, "rb") as fh:
                    data = fh.read()
        except FileNotFoundError as exc:
            raise ValueError(f"{name}: no such file") from exc
        except IsADirectoryError as exc:
            raise ValueError(f"{name}: is a directory, not a text file") from exc
        except OSError as exc:
            raise ValueError(f"{name}: cannot be read ({exc.strerror or exc})") from exc
        if isinstance(data, str):
            return data
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"{name}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                "convert it to UTF-8 first (old TCVN3/VNI files need a converter)"
            ) from exc

    def handle(self, *args, files, as_json: bool = False, stdin=None, **options):
        failures = 0
        all_refs: list[Ref] = []
        for name in files:
            try:
                text = self._read(name, stdin)
            except ValueError as exc:
                failures += 1
                self.stderr.write(f"extract_refs: {exc}")
                continue
            refs = extract_refs(text, file=STDIN_NAME if name == "-" else name)
            if as_json:
                for ref in refs:
                    self.stdout.write(jsonlib.dumps(ref.as_json(), ensure_ascii=False))
            else:
                all_refs.extend(refs)
        if not as_json:
            self.stdout.write(format_table(all_refs))
            if not all_refs:
                self.stdout.write("(no document references found)")
        if failures:
            raise CommandError(f"{failures} of {len(files)} input(s) could not be read.", returncode=2)
