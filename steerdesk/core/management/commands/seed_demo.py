"""`steerdesk seed_demo --scale small [--if-empty]`: fill an empty database with the demo network."""

import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from steerdesk.core.management.demo import DEMO_PASSWORD, DemoBuilder, demo_superuser
from steerdesk.documents.demo import seed_documents
from steerdesk.orgs.models import OrgUnit
from steerdesk.work.demo import seed_work


class Command(BaseCommand):
    help = (
        "Fill an empty database with demo data: real public bodies (Bộ Công Thương, EVN, Tỉnh Hòa Bình, "
        "Đảng bộ Khối các cơ quan Trung ương) with their steering committees, fictional people, and demo "
        "logins (see `steerdesk demo_logins`). Refuses to touch a database that already has units."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=["small", "province", "national"],
            default="small",
            help="small: a ministry, a corporation, a province and a Party bloc (the only scale for now).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (exit 0) when the database already has units, instead of refusing with exit 2.",
        )

    def handle(self, *args, scale, if_empty, **options):
        if scale != "small":
            raise CommandError(
                f"--scale {scale} is not implemented yet: only --scale small exists for now.", returncode=2
            )
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
