"""`steerdesk backup` / `steerdesk restore` on the database the suite runs on (SQLite or PostgreSQL).

Transactional tests: the commands read and replace the database through their own connections, which only
see committed rows.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from steerdesk.core.backup import MANIFEST_NAME, live_table_counts
from steerdesk.core.models import AuditEntry
from steerdesk.orgs import services as orgs_services
from steerdesk.orgs.models import Person

pytestmark = pytest.mark.django_db(transaction=True)

MEDIA = {
    "attachments/ab/Quyết định 12.pdf": b"%PDF-1.4 quyet dinh\n" * 50,
    "evidence/2026/báo-cáo.docx": b"PK\x03\x04" + bytes(range(256)) * 8,
    "top.txt": b"",
}


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "data" / "media"
    settings.MEDIA_ROOT = root
    for name, data in MEDIA.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


@pytest.fixture
def people(tree, users):
    """Rows written through a service (person + audit entry each), committed."""
    for name in ("Nguyễn Thị Minh Khai", "Trần Văn Bình", "Lê Hoàng Phủ Anh"):
        orgs_services.person_create(actor=users.owner, home_unit=tree.district_a, full_name=name)
    return Person.objects.count()


def checksums(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def backup(path: Path) -> Path:
    call_command("backup", "--output", str(path), stdout=io.StringIO())
    return path


def restore(path: Path, *extra: str) -> str:
    out = io.StringIO()
    call_command("restore", str(path), *extra, stdout=out)
    return out.getvalue()


def members(path: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(path, "r:gz") as archive:
        return [(m, archive.extractfile(m).read()) for m in archive.getmembers()]


def write_archive(path: Path, entries: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for info, data in entries:
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_backup_wipe_restore_reproduces_row_counts_and_file_checksums(people, media, tmp_path):
    rows_before = live_table_counts()
    files_before = checksums(media)
    archive = backup(tmp_path / "b.tar.gz")

    Person.objects.all().delete()
    AuditEntry.objects.all().delete()
    for path in media.rglob("*.pdf"):
        path.unlink()
    (media / "top.txt").write_bytes(b"changed")
    (media / "stray.bin").write_bytes(b"uploaded after the backup")
    assert live_table_counts() != rows_before

    output = restore(archive, "--yes")

    assert "row count matches" in output
    assert live_table_counts() == rows_before
    assert checksums(media) == files_before
    assert Person.objects.count() == people  # the ORM works on the restored database
    assert AuditEntry.objects.filter(action="create", object_repr="Trần Văn Bình").exists()


def test_the_manifest_lists_row_counts_sizes_and_checksums(people, media, tmp_path):
    archive = backup(tmp_path / "b.tar.gz")
    entries = members(archive)
    names = [info.name for info, _ in entries]
    assert names[0] == "steerdesk-backup.json" and names[-1] == MANIFEST_NAME
    manifest = json.loads(entries[-1][1])

    assert manifest["format_version"] == 1
    assert manifest["app_version"]
    assert manifest["created_at"].endswith("+00:00")
    assert manifest["database_vendor"] == connection.vendor
    assert manifest["tables"]["orgs_person"] == people
    assert manifest["tables"]["core_auditentry"] == AuditEntry.objects.count()
    listed = {f["path"]: f for f in manifest["files"]}
    for name, data in MEDIA.items():
        assert listed[f"media/{name}"] == {
            "path": f"media/{name}",
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    contents = dict((info.name, data) for info, data in entries)
    for path, entry in listed.items():
        assert hashlib.sha256(contents[path]).hexdigest() == entry["sha256"]


def _assert_untouched(rows, files, media):
    assert live_table_counts() == rows
    assert checksums(media) == files


@pytest.fixture
def changed_after_backup(people, media, tmp_path, tree, users):
    """A good archive, then more data: a refused restore must leave this newer state as it is."""
    archive = backup(tmp_path / "good.tar.gz")
    orgs_services.person_create(actor=users.owner, home_unit=tree.district_a, full_name="Phạm Văn Đồng")
    (media / "after.txt").write_bytes(b"new file")
    return archive, live_table_counts(), checksums(media)


@pytest.mark.parametrize("where", ["middle", "crc", "last-member"])
def test_a_corrupted_archive_is_refused_and_nothing_changes(changed_after_backup, media, tmp_path, where):
    archive, rows, files = changed_after_backup
    data = bytearray(archive.read_bytes())
    offset = {"middle": len(data) // 2, "crc": len(data) - 6, "last-member": len(data) - 40}[where]
    data[offset] ^= 0x20
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(bytes(data))

    with pytest.raises(CommandError, match="damaged|truncated|mismatch"):
        restore(bad, "--yes")
    _assert_untouched(rows, files, media)
    assert not list(media.parent.glob(".media.restore-*")), "the staging folder is cleaned up"


@pytest.mark.parametrize("keep", [0.6, -20])
def test_a_truncated_archive_is_refused_and_nothing_changes(changed_after_backup, media, tmp_path, keep):
    archive, rows, files = changed_after_backup
    data = archive.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(data[: int(len(data) * keep)] if keep > 0 else data[:keep])

    with pytest.raises(CommandError, match="truncated"):
        restore(cut, "--yes")
    _assert_untouched(rows, files, media)


def test_a_member_that_does_not_match_its_checksum_is_refused(changed_after_backup, media, tmp_path):
    """A well-formed archive (valid gzip) whose file content differs from the manifest's checksum."""
    archive, rows, files = changed_after_backup
    entries = [
        (info, b"%PDF-1.4 forged" if info.name.endswith(".pdf") else data) for info, data in members(archive)
    ]
    forged = write_archive(tmp_path / "forged.tar.gz", entries)

    with pytest.raises(CommandError, match="Checksum mismatch for 'media/attachments/ab/Quyết định 12.pdf'"):
        restore(forged, "--yes")
    _assert_untouched(rows, files, media)


def test_an_archive_missing_a_listed_file_is_refused(changed_after_backup, media, tmp_path):
    archive, rows, files = changed_after_backup
    entries = [(info, data) for info, data in members(archive) if not info.name.endswith(".docx")]
    with pytest.raises(CommandError, match="lacks 1 file"):
        restore(write_archive(tmp_path / "short.tar.gz", entries), "--yes")
    _assert_untouched(rows, files, media)


@pytest.mark.parametrize("name", ["../escaped.txt", "/tmp/absolute.txt", "media/../../escaped.txt"])
def test_unsafe_member_names_are_refused(changed_after_backup, media, tmp_path, name):
    archive, rows, files = changed_after_backup
    entries = members(archive)
    entries.insert(1, (tarfile.TarInfo(name), b"x"))
    with pytest.raises(CommandError, match="unsafe path"):
        restore(write_archive(tmp_path / "evil.tar.gz", entries), "--yes")
    _assert_untouched(rows, files, media)
    assert not (tmp_path / "escaped.txt").exists() and not (media.parent / "escaped.txt").exists()


def test_a_link_member_is_refused(changed_after_backup, media, tmp_path):
    archive, rows, files = changed_after_backup
    entries = members(archive)
    link = tarfile.TarInfo("media/link")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    entries.insert(1, (link, b""))
    with pytest.raises(CommandError, match="not a plain file"):
        restore(write_archive(tmp_path / "link.tar.gz", entries), "--yes")
    _assert_untouched(rows, files, media)


def test_an_archive_of_another_database_vendor_is_refused(changed_after_backup, media, tmp_path):
    archive, rows, files = changed_after_backup
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    entries = []
    for info, data in members(archive):
        if info.name in ("steerdesk-backup.json", MANIFEST_NAME):
            data = json.dumps({**json.loads(data), "database_vendor": other}).encode()
        entries.append((info, data))
    foreign = write_archive(tmp_path / "foreign.tar.gz", entries)

    with pytest.raises(CommandError, match="holds a (PostgreSQL|SQLite) database; this installation uses"):
        restore(foreign, "--yes")
    _assert_untouched(rows, files, media)


def test_check_only_verifies_and_restore_without_yes_needs_a_terminal(changed_after_backup, media):
    archive, rows, files = changed_after_backup
    assert "Archive verified" in restore(archive, "--check")
    with pytest.raises(CommandError, match="pass --yes"):
        restore(archive)
    _assert_untouched(rows, files, media)
