"""The read-replica router (README, "Scaling"), with a second database alias `replica` that mirrors the test
database (Django's test mirrors: the same database through a second connection), and the settings logic of the
replica and of S3 storage."""

from __future__ import annotations

import copy
import datetime

import dj_database_url
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext
from django.views import View

from steerdesk.core import db_router, storage_settings
from steerdesk.core.db_router import REPLICA, ReplicaRouter, replica_wanted, use_replica
from steerdesk.orgs.models import OrgUnit
from steerdesk.work.models import Assignment, Status
from steerdesk.work.tests.factories import TaskFactory

ROUTER = "steerdesk.core.db_router.ReplicaRouter"
BOTH = ["default", REPLICA]


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup, django_db_blocker):
    """A `replica` alias for this module only: the test database again, marked as a test mirror of `default`
    (not created, flushed or wrapped in the test transaction, like a replica that only reads)."""
    primary = connections["default"].settings_dict
    replica = copy.deepcopy(primary)
    replica["TEST"] = {**primary.get("TEST", {}), "MIRROR": "default"}
    connections.settings[REPLICA] = replica
    yield
    with django_db_blocker.unblock():
        connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture(autouse=True)
def new_request():
    """Each test starts as a request does: nothing written yet (earlier tests wrote in this thread)."""
    db_router._request_started()


@pytest.fixture
def routed(settings):
    settings.DATABASE_ROUTERS = [ROUTER]


# ---------------------------------------------------------------------------------------------------------
# The router's choices


def test_reads_stay_on_the_primary_unless_a_page_opted_in():
    r = ReplicaRouter()
    assert r.db_for_read(OrgUnit) == "default"
    with use_replica():
        assert replica_wanted()
        assert r.db_for_read(OrgUnit) == REPLICA
        with use_replica():  # nesting keeps the choice
            assert r.db_for_read(OrgUnit) == REPLICA
        assert r.db_for_read(OrgUnit) == REPLICA
    assert not replica_wanted()
    assert r.db_for_read(OrgUnit) == "default"


def test_writes_always_go_to_the_primary_and_later_reads_follow_them():
    r = ReplicaRouter()
    with use_replica():
        assert r.db_for_read(Assignment) == REPLICA
        assert r.db_for_write(Assignment) == "default"
        # read-your-writes: after a write in the same request, reads stay on the primary
        assert r.db_for_read(Assignment) == "default"
    db_router._request_started()  # the next request starts clean (the pages below go through the signal)
    with use_replica():
        assert r.db_for_read(Assignment) == REPLICA


def test_the_decorator_works_on_functions_and_class_based_views():
    @use_replica
    def view(request):
        return replica_wanted()

    @use_replica
    class Page(View):
        def get(self, request):
            return replica_wanted()

    assert view(None) is True
    from django.test import RequestFactory

    assert Page.as_view()(RequestFactory().get("/")) is True
    assert not replica_wanted()


def test_migrations_never_run_on_the_replica_and_rows_of_both_may_be_related():
    r = ReplicaRouter()
    assert r.allow_migrate(REPLICA, "work") is False
    assert r.allow_migrate("default", "work") is None
    a, b = OrgUnit(), OrgUnit()
    a._state.db, b._state.db = "default", REPLICA
    assert r.allow_relation(a, b) is True


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_no_read_inside_a_transaction_goes_to_the_replica(routed):
    with use_replica():
        assert OrgUnit.objects.all().db == REPLICA
        with transaction.atomic():
            assert OrgUnit.objects.all().db == "default"
        assert OrgUnit.objects.all().db == REPLICA


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_reads_after_a_write_in_the_same_block_read_the_primary(routed):
    with use_replica():
        assert OrgUnit.objects.all().db == REPLICA
        unit = OrgUnit.objects.create(name="Xã Tân Lập", path="ZZZZ", depth=0)
        assert OrgUnit.objects.filter(pk=unit.pk).db == "default"
        assert OrgUnit.objects.filter(pk=unit.pk).exists()
    assert router.db_for_write(OrgUnit) == "default"


# ---------------------------------------------------------------------------------------------------------
# Pages with the router on


def _replica_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_the_rollup_page_reads_the_replica_and_shows_the_counts(routed, tree, users, client_for):
    due = datetime.date(2020, 1, 31)  # long past: open work is late
    TaskFactory(unit=tree.district_a, assign_to=[tree.commune_a1], due_date=due)
    done = TaskFactory(unit=tree.district_a, assign_to=[tree.commune_a1], due_date=due)
    Assignment.objects.filter(task=done).update(status=Status.DONE, percent=100, result="Xong")
    client = client_for(users.owner)
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = client.get("/work/rollup/")
    assert response.status_code == 200
    replica_sql = _replica_queries(on_replica)
    assert any("work_assignment" in sql for sql in replica_sql), replica_sql
    assert not any("work_assignment" in sql for sql in _replica_queries(on_primary))
    rows = {row.unit.pk: row for row in response.context["rollup"].rows if row.unit is not None}
    counts = rows[tree.commune_a1.pk]
    assert (counts.total, counts.done, counts.late) == (2, 1, 1)


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_pages_that_did_not_opt_in_read_the_primary(routed, tree, users, client_for):
    TaskFactory(unit=tree.district_a, assign_to=[tree.commune_a1])
    client = client_for(users.owner)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert client.get("/work/unit/?subtree=1").status_code == 200
        assert client.get("/work/rollup/").status_code == 200
        opted_in = len(on_replica)
        assert client.get("/work/board/").status_code == 200
    assert opted_in > 0
    assert len(on_replica) == opted_in  # the board read nothing from the replica


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_the_unit_tasks_export_reads_the_replica(routed, tree, users, client_for):
    TaskFactory(unit=tree.district_a, title="Rà soát hồ sơ", assign_to=[tree.district_a])
    client = client_for(users.owner)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        response = client.get("/work/unit-tasks/export.xlsx")
    assert response.status_code == 200
    assert any("work_assignment" in sql for sql in _replica_queries(on_replica))


# ---------------------------------------------------------------------------------------------------------
# Settings logic


PRIMARY = {"ENGINE": "django.db.backends.postgresql", "NAME": "steerdesk", "CONN_MAX_AGE": 60}


def test_without_a_replica_url_there_is_no_second_alias_nor_router():
    assert storage_settings.replica_database({}, PRIMARY, dj_database_url.parse) == ({}, [])
    assert storage_settings.replica_database(
        {"STEERDESK_REPLICA_DATABASE_URL": " "}, PRIMARY, dj_database_url.parse
    ) == ({}, [])


def test_a_replica_url_adds_the_alias_as_a_test_mirror_and_the_router():
    env = {"STEERDESK_REPLICA_DATABASE_URL": "postgres://reader:pw@db-replica:5432/steerdesk"}
    extra, routers = storage_settings.replica_database(env, PRIMARY, dj_database_url.parse)
    assert routers == [ROUTER]
    replica = extra[REPLICA]
    assert replica["HOST"] == "db-replica" and replica["USER"] == "reader"
    assert replica["ENGINE"] == PRIMARY["ENGINE"]
    assert replica["CONN_MAX_AGE"] == 60
    assert replica["TEST"] == {"MIRROR": "default"}


def test_a_replica_of_another_engine_is_refused():
    env = {"STEERDESK_REPLICA_DATABASE_URL": "sqlite:///elsewhere.sqlite3"}
    with pytest.raises(ImproperlyConfigured, match="same engine"):
        storage_settings.replica_database(env, PRIMARY, dj_database_url.parse)


def test_files_stay_on_the_file_system_without_a_bucket():
    assert storage_settings.default_storage({}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert storage_settings.default_storage({"STEERDESK_S3_BUCKET": "  "})["BACKEND"].endswith(
        "FileSystemStorage"
    )


S3_ENV = {
    "STEERDESK_S3_BUCKET": "steerdesk-media",
    "STEERDESK_S3_ENDPOINT_URL": "https://s3.example.vn",
    "STEERDESK_S3_REGION": "hn-1",
    "STEERDESK_S3_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "STEERDESK_S3_SECRET_ACCESS_KEY": "secret-example",
    "STEERDESK_S3_PREFIX": "media",
    "STEERDESK_S3_ADDRESSING_STYLE": "path",
}


def test_a_bucket_switches_the_default_storage_to_s3():
    storage = storage_settings.default_storage(S3_ENV, installed=lambda: True)
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"] == {
        "bucket_name": "steerdesk-media",
        "endpoint_url": "https://s3.example.vn",
        "region_name": "hn-1",
        "access_key": "AKIDEXAMPLE",
        "secret_key": "secret-example",
        "location": "media",
        "addressing_style": "path",
        "file_overwrite": False,
        "default_acl": None,
        "querystring_auth": True,
    }


def test_credentials_may_come_from_boto3s_own_chain():
    storage = storage_settings.default_storage({"STEERDESK_S3_BUCKET": "b"}, installed=lambda: True)
    assert "access_key" not in storage["OPTIONS"] and "secret_key" not in storage["OPTIONS"]


def test_s3_settings_are_checked():
    with pytest.raises(ImproperlyConfigured, match="ADDRESSING_STYLE"):
        storage_settings.default_storage(
            {"STEERDESK_S3_BUCKET": "b", "STEERDESK_S3_ADDRESSING_STYLE": "sideways"}, installed=lambda: True
        )
    with pytest.raises(ImproperlyConfigured, match=r"steerdesk\[s3\]"):
        storage_settings.default_storage({"STEERDESK_S3_BUCKET": "b"}, installed=lambda: False)


def test_the_s3_backend_accepts_the_options():
    """Only where the `s3` extra is installed: django-storages builds the storage (no network) from them."""
    s3 = pytest.importorskip("storages.backends.s3")
    storage = s3.S3Storage(**storage_settings.default_storage(S3_ENV)["OPTIONS"])
    assert storage.bucket_name == "steerdesk-media"
    assert storage.endpoint_url == "https://s3.example.vn"
    assert storage.location == "media"
