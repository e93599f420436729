"""`steerdesk seed_demo --scale small|province|national [--if-empty]`: fill an empty database with demo data."""

import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from steerdesk.core.management.demo import DEMO_PASSWORD, DemoBuilder, demo_superuser
from steerdesk.documents.demo import seed_documents
from steerdesk.orgs.models import OrgUnit
from steerdesk.work.demo import seed_work

# `tiny` is the large scales' code path at a few hundred rows, for the tests; not advertised.
SCALES = ("small", "province", "national", "tiny")


class Command(BaseCommand):
    help = (
        "Fill an empty database with demo data: real public bodies (Bộ Công Thương, EVN, Tỉnh Hòa Bình, "
        "Đảng bộ Khối các cơ quan Trung ương) with their steering committees, fictional people, and demo "
        "logins (see `steerdesk demo_logins`). Refuses to touch a database that already has units. "
        "--scale province and national generate synthetic data in bulk for benchmarks: rows are written "
        "directly (no audit entries for generated rows) in committed batches, deterministically, with dates "
        "relative to today."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            default="small",
            help=(
                "small (default): a ministry, a corporation, a province and a Party bloc, written through the "
                "services. province: one province-sized tree (~1,000 units, ~10,000 people, ~100,000 task "
                "assignments, ~50,000 documents). national: ~10,000 units in five levels, ~100,000 people, "
                "~1,000,000 assignments, ~500,000 documents (many minutes)."
            ),
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (exit 0) when the database already has units, instead of refusing with exit 2.",
        )

    def handle(self, *args, scale, if_empty, **options):
        if scale not in SCALES:
            raise CommandError(f"Unknown scale {scale!r}: choose small, province or national.", returncode=2)
        if OrgUnit.objects.exists():
            if if_empty:
                self.stdout.write("The database already has units: demo data not added (existing data kept).")
                return
            raise CommandError(
                "The database already has units: seed_demo only fills an empty database and never changes "
                "existing data. Use --if-empty to skip silently, or point STEERDESK_DATA_DIR or DATABASE_URL "
                "at an empty database.",
                returncode=2,
            )
        actor = demo_superuser()
        if actor is None:
            raise CommandError(
                "An account named 'admin' exists but is not an active superuser, and there is no other "
                "superuser to record the demo data as. Create one with `steerdesk createsuperuser`.",
                returncode=2,
            )
        if scale != "small":
            self._bulk(scale, actor)
            return
        started = time.monotonic()
        verbose = options["verbosity"] >= 2
        builder = DemoBuilder(log=self.stdout.write if verbose else None)
        try:
            builder.build(actor)
            seed_documents(actor)
            seed_work(actor)
        except (ValidationError, PermissionDenied) as exc:  # the transaction rolled back: nothing was written
            raise CommandError(f"Demo data not created: {exc}") from exc
        c = builder.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data created in {time.monotonic() - started:.1f} s: {c['units']} units, "
                f"{c['committees']} committees, {c['people']} people, {c['memberships']} memberships, "
                f"{c['users']} users (password for all: {DEMO_PASSWORD})."
            )
        )
        for username in builder.skipped_users:
            self.stderr.write(f"Account {username!r} already existed: left unchanged, no demo role given.")

    def _bulk(self, scale: str, actor) -> None:
        from steerdesk.core.management.scale import generate

        self.stdout.write(f"Generating the {scale} demo network (this takes a while at national scale)…")
        report = generate(scale, actor_id=actor.pk, log=self.stdout.write)
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ({scale}) created in {report.seconds:.1f} s on {report.vendor}. "
                f"Password for all demo logins: {DEMO_PASSWORD}."
            )
        )
        call_command("demo_logins", stdout=self.stdout)
        self.stdout.write(
            f"{len(report.logins)} logins in all: a secretary `<unit>.thuky` for every unit with a committee "
            f"(e.g. {', '.join(report.logins[:4])})."
        )
