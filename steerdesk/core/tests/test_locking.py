"""Optimistic locking: a stale version never overwrites; concurrent writers, one wins and one is told."""

import threading

import pytest
from django.db import connection, transaction

from steerdesk.core.locking import ConflictError, instance_update
from steerdesk.core.models import AuditEntry
from steerdesk.orgs.models import Committee
from steerdesk.orgs.tests.factories import CommitteeFactory


@pytest.mark.django_db
def test_a_stale_version_raises_and_writes_nothing():
    committee = CommitteeFactory(name="Ban A")
    first = Committee.objects.get(pk=committee.pk)
    second = Committee.objects.get(pk=committee.pk)
    instance_update(actor=None, instance=first, expected_version=1, data={"name": "Ban B"})
    with pytest.raises(ConflictError) as info:
        instance_update(actor=None, instance=second, expected_version=1, data={"name": "Ban C"})
    assert info.value.current_version == 2
    committee.refresh_from_db()
    assert committee.name == "Ban B"
    assert committee.version == 2


@pytest.mark.django_db
def test_an_update_records_old_and_new_values():
    committee = CommitteeFactory(name="Ban A")
    instance_update(actor=None, instance=committee, expected_version=1, data={"name": "Ban Á"})
    entry = AuditEntry.objects.get(object_id=str(committee.pk), action="update")
    assert entry.changes == {"name": ["Ban A", "Ban Á"]}


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_writers_one_wins_the_other_gets_a_conflict():
    committee = CommitteeFactory(name="Ban A")
    barrier = threading.Barrier(2)
    outcomes = []

    def edit(name):
        try:
            obj = Committee.objects.get(pk=committee.pk)
            barrier.wait(timeout=10)
            with transaction.atomic():
                instance_update(actor=None, instance=obj, expected_version=obj.version, data={"name": name})
            outcomes.append(("ok", name))
        except ConflictError:
            outcomes.append(("conflict", name))
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=(n,)) for n in ("Ban X", "Ban Y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(o[0] for o in outcomes) == ["conflict", "ok"]
    winner = next(name for status, name in outcomes if status == "ok")
    committee.refresh_from_db()
    assert committee.name == winner
    assert committee.version == 2


@pytest.mark.django_db
def test_history_shows_dates_the_vietnamese_way():
    import datetime

    from steerdesk.core.audit import audit_history

    committee = CommitteeFactory(name="Ban A")
    instance_update(
        actor=None,
        instance=committee,
        expected_version=1,
        data={"established_on": datetime.date(2021, 5, 20)},
    )
    rows = audit_history(instance=committee)
    assert rows[0]["changes"][0]["new"] == "20/05/2021"


def test_history_shows_timestamps_in_local_time():
    from steerdesk.core.audit import _display_datetime

    assert _display_datetime("2026-11-23T17:30:00+00:00") == "24/11/2026 00:30"


def test_history_labels_reverse_relations_with_the_related_models_name():
    from django.utils import translation

    from steerdesk.core.audit import labelled_changes
    from steerdesk.documents.models import Document

    with translation.override("vi"):
        rows = labelled_changes(Document, {"references_out": [None, "x"], "recipients": [None, "y"]})
    assert [r["field"] for r in rows] == ["văn bản liên quan", "nơi nhận"]
