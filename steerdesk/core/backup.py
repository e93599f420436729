"""Backups: one archive with a consistent snapshot of the database and the media files (`steerdesk backup`,
`steerdesk restore`).

The archive is a gzip-compressed tar file:

    steerdesk-backup.json   header: format, format version, app version, created at, database vendor
    database/db.sqlite3     SQLite: a copy made with the online backup API (readers and writers keep going)
    database/db.pgdump      PostgreSQL: `pg_dump -Fc`, taken in the snapshot the row counts were read in
    media/…                 every file under MEDIA_ROOT
    manifest.json           last: the header's fields, the row count of every table, and the path, size and
                            SHA-256 of every member above

The database is copied first and the media afterwards: media files are written before the rows that name
them and never rewritten, so every file a copied row refers to is in the archive (a file uploaded during the
backup may be there too, unreferenced, which is harmless).

Restore reads the whole archive into a staging folder next to the live data, checking as it goes: member
names (plain files only, no absolute or `..` paths, no duplicates), the gzip checksum and the end of the
stream (a truncated archive never ends properly), then every member's size and SHA-256 against the manifest.
Only an archive that passes all of this, and was made on the same database vendor, touches the live data:
SQLite gets the new file written next to the old one and renamed over it; PostgreSQL gets
`pg_restore --clean --if-exists --single-transaction` (all or nothing); the media folder is swapped for the
staged one with one rename exchange. Stop the app servers and workers before restoring.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime
import glob
import gzip
import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.db import connections

FORMAT = "steerdesk-backup"
FORMAT_VERSION = 1
HEADER_NAME = "steerdesk-backup.json"
MANIFEST_NAME = "manifest.json"
DB_MEMBERS = {"sqlite": "database/db.sqlite3", "postgresql": "database/db.pgdump"}
MEDIA_PREFIX = "media/"
CHUNK = 1024 * 1024
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class BackupError(Exception):
    """A backup that cannot be made, or an archive that must not be restored; the message says why."""


# ---------------------------------------------------------------------------------------------------------
# Helpers


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("steerdesk")
    except PackageNotFoundError:
        return "unknown"


def _sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(archive name, path) of every regular file under the media root, symbolic links left out."""
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue
            yield MEDIA_PREFIX + path.relative_to(root).as_posix(), path


def _vendor_name(vendor: str) -> str:
    return VENDOR_NAMES.get(vendor, vendor)


# ---------------------------------------------------------------------------------------------------------
# SQLite


def _sqlite_path(settings_dict: dict) -> Path:
    name = str(settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(name)


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY name"
        )
    ]
    # Table names come from sqlite_master and are quoted as identifiers (embedded quotes doubled).
    return {
        name: conn.execute('SELECT count(*) FROM "{}"'.format(name.replace('"', '""'))).fetchone()[0]  # noqa: S608  # nosec
        for name in names
    }


def _sqlite_snapshot(settings_dict: dict, dest: Path) -> dict[str, int]:
    """Copy the live database into `dest` with the online backup API, in one step (one consistent read)."""
    source = sqlite3.connect(_sqlite_path(settings_dict), timeout=60)
    try:
        target = sqlite3.connect(dest)
        try:
            source.backup(target)
            # A self-contained file: no -wal beside it in the archive (the app turns WAL back on when it opens it).
            target.execute("PRAGMA journal_mode=DELETE")
            return _sqlite_counts(target)
        finally:
            target.close()
    finally:
        source.close()


def _sqlite_check(path: Path) -> dict[str, int]:
    """Open a staged database file: integrity check and row counts (BackupError when it is not sound)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                raise BackupError(f"The database in the archive fails SQLite's integrity check: {result}")
            return _sqlite_counts(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"The database in the archive cannot be opened: {exc}") from exc


def _sqlite_restore(settings_dict: dict, staged: Path) -> None:
    """Put the staged file in place of the live database: written next to it, then renamed over it.

    The live database's write-ahead log is checkpointed and emptied first, so no stale log is replayed onto
    the new file; a busy database (an app server or worker still connected) is refused.
    """
    live = _sqlite_path(settings_dict)
    live.parent.mkdir(parents=True, exist_ok=True)
    fresh = live.with_name(f".{live.name}.restore-{secrets.token_hex(4)}")
    try:
        shutil.copyfile(staged, fresh)
        if live.exists():
            shutil.copymode(live, fresh)
        with open(fresh, "rb+") as handle:
            os.fsync(handle.fileno())
        if live.exists():
            conn = sqlite3.connect(live, timeout=5)
            try:
                busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            finally:
                conn.close()
            if busy:
                raise BackupError(
                    "The database is in use: stop the app servers and workers, then run restore again."
                )
        os.replace(fresh, live)
        for suffix in ("-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{live}{suffix}")
        _fsync_dir(live.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            fresh.unlink()


# ---------------------------------------------------------------------------------------------------------
# PostgreSQL


def pg_tool(name: str) -> str:
    """The newest installed PostgreSQL client tool (`/usr/lib/postgresql/N/bin`), else the one on PATH."""

    def major(path: str) -> int:
        match = re.search(r"/postgresql/(\d+)/bin/", path)
        return int(match.group(1)) if match else 0

    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=major, reverse=True):
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(f"{name} was not found: install the PostgreSQL client tools (postgresql-client).")


def _pg_env(settings_dict: dict) -> dict[str, str]:
    """Connection settings for pg_dump/pg_restore as libpq environment variables (no password on argv)."""
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        value = settings_dict.get(key)
        if value not in (None, ""):
            env[var] = str(value)
    options = settings_dict.get("OPTIONS") or {}
    for key, var in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
        ("options", "PGOPTIONS"),
    ):
        if options.get(key):
            env[var] = str(options[key])
    return env


def _pg_connect(settings_dict: dict):
    import psycopg

    options = settings_dict.get("OPTIONS") or {}
    return psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
        **{
            k: v
            for k, v in options.items()
            if k in {"sslmode", "sslrootcert", "sslcert", "sslkey", "options"}
        },
    )


def _pg_counts(conn) -> dict[str, int]:
    from psycopg import sql

    names = [
        row[0]
        for row in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() ORDER BY c.relname"
        )
    ]
    return {
        name: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))).fetchone()[0]
        for name in names
    }


def _pg_snapshot(settings_dict: dict, dest: Path) -> dict[str, int]:
    """`pg_dump -Fc` into `dest`, in the same snapshot the row counts are read in (pg_export_snapshot)."""
    import psycopg

    conn = _pg_connect(settings_dict)
    try:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        counts = _pg_counts(conn)
        result = subprocess.run(
            [pg_tool("pg_dump"), "-Fc", f"--snapshot={snapshot}", "-f", str(dest), settings_dict["NAME"]],
            env=_pg_env(settings_dict),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        return counts
    finally:
        conn.rollback()
        conn.close()


def _pg_restore(settings_dict: dict, staged: Path) -> None:
    """Replace the database's objects with the dump's, in one transaction: on any error nothing changes."""
    result = subprocess.run(
        [
            pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            f"--dbname={settings_dict['NAME']}",
            str(staged),
        ],
        env=_pg_env(settings_dict),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(
            "pg_restore failed and rolled back; the database is unchanged: " + result.stderr.strip()
        )


def _pg_dump_check(path: Path) -> None:
    """The staged dump's table of contents must be readable by pg_restore."""
    result = subprocess.run(
        [pg_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"The database dump in the archive is not readable: {result.stderr.strip()}")


def live_table_counts(using: str = "default") -> dict[str, int]:
    """Row counts of every table of the live database, counted the way the manifest counts them."""
    settings_dict = connections[using].settings_dict
    vendor = connections[using].vendor
    if vendor == "sqlite":
        conn = sqlite3.connect(_sqlite_path(settings_dict), timeout=60)
        try:
            return _sqlite_counts(conn)
        finally:
            conn.close()
    if vendor == "postgresql":
        conn = _pg_connect(settings_dict)
        try:
            return _pg_counts(conn)
        finally:
            conn.close()
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")


# ---------------------------------------------------------------------------------------------------------
# Backup


def _add_file(archive: tarfile.TarFile, name: str, path: Path, entries: list[dict[str, Any]]) -> None:
    """Add one file, hashing exactly the bytes that go into the archive."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        digest = hashlib.sha256()

        class Hashing:
            def read(self, n: int = -1) -> bytes:
                data = handle.read(n)
                digest.update(data)
                return data

        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = int(os.path.getmtime(path))
        info.mode = 0o600
        archive.addfile(info, Hashing())
    entries.append({"path": name, "size": size, "sha256": digest.hexdigest()})


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.datetime.now(datetime.UTC).timestamp())
    info.mode = 0o600
    archive.addfile(info, _BytesReader(data))


class _BytesReader:
    def __init__(self, data: bytes):
        self.data = memoryview(data)
        self.pos = 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n is None or n < 0 else self.pos + n
        chunk = bytes(self.data[self.pos : end])
        self.pos += len(chunk)
        return chunk


def default_output_path(now: datetime.datetime | None = None) -> Path:
    now = now or datetime.datetime.now()
    return Path(settings.DATA_DIR) / "backups" / f"steerdesk-{now:%Y%m%d-%H%M%S}.tar.gz"


def create_backup(output: Path, *, using: str = "default") -> dict[str, Any]:
    """Write a backup archive to `output` (via a temporary name, renamed when complete) and return its manifest."""
    connection = connections[using]
    vendor = connection.vendor
    if vendor not in DB_MEMBERS:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    output = Path(output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "app_version": app_version(),
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "database_vendor": vendor,
    }
    partial = output.with_name(f".{output.name}.partial-{secrets.token_hex(4)}")
    with tempfile.TemporaryDirectory(prefix="steerdesk-backup-") as tmp:
        dump = Path(tmp) / "db"
        snapshot = _sqlite_snapshot if vendor == "sqlite" else _pg_snapshot
        counts = snapshot(connection.settings_dict, dump)
        entries: list[dict[str, Any]] = []
        try:
            with open(partial, "wb") as raw:
                with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) as gz:
                    with tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as archive:
                        header_bytes = json.dumps(header, indent=2).encode()
                        _add_bytes(archive, HEADER_NAME, header_bytes)
                        entries.append(
                            {
                                "path": HEADER_NAME,
                                "size": len(header_bytes),
                                "sha256": hashlib.sha256(header_bytes).hexdigest(),
                            }
                        )
                        _add_file(archive, DB_MEMBERS[vendor], dump, entries)
                        for name, path in _media_files(_media_root()):
                            _add_file(archive, name, path, entries)
                        manifest = {**header, "tables": counts, "files": entries}
                        _add_bytes(archive, MANIFEST_NAME, json.dumps(manifest, indent=2).encode())
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(partial, output)
            _fsync_dir(output.parent)
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
    return manifest


# ---------------------------------------------------------------------------------------------------------
# Verify and restore


def _check_member_name(member: tarfile.TarInfo) -> str:
    name = member.name
    if not member.isreg():
        raise BackupError(f"The archive holds an entry that is not a plain file: {name!r}. Refused.")
    path = PurePosixPath(name)
    if (
        not name
        or name.startswith(("/", "\\"))
        or "\\" in name
        or "\0" in name
        or path.is_absolute()
        or any(part in ("", ".", "..") for part in name.split("/"))
        or re.match(r"^[A-Za-z]:", name)
    ):
        raise BackupError(f"The archive holds an unsafe path: {name!r}. Refused.")
    if name not in (HEADER_NAME, MANIFEST_NAME, *DB_MEMBERS.values()) and not name.startswith(MEDIA_PREFIX):
        raise BackupError(f"The archive holds an unexpected entry: {name!r}. Refused.")
    return name


@dataclass
class StagedArchive:
    """An archive read and checked completely into `folder`; `manifest` is what it claims and was verified."""

    folder: Path
    manifest: dict[str, Any]
    archive_sha256: str
    database_file: Path = field(init=False)
    media_folder: Path = field(init=False)

    def __post_init__(self):
        self.database_file = self.folder / DB_MEMBERS[self.manifest["database_vendor"]]
        self.media_folder = self.folder / "media"

    @property
    def media_count(self) -> int:
        return sum(1 for entry in self.manifest["files"] if entry["path"].startswith(MEDIA_PREFIX))


def _check_header(header: dict[str, Any], vendor: str | None) -> None:
    if header.get("format") != FORMAT:
        raise BackupError("This is not a SteerDesk backup archive.")
    if header.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"The archive has format version {header.get('format_version')}; this SteerDesk reads "
            f"version {FORMAT_VERSION}."
        )
    archive_vendor = header.get("database_vendor")
    if archive_vendor not in DB_MEMBERS:
        raise BackupError(f"The archive names an unknown database vendor: {archive_vendor!r}.")
    if vendor is not None and archive_vendor != vendor:
        raise BackupError(
            f"The archive holds a {_vendor_name(archive_vendor)} database; this installation uses "
            f"{_vendor_name(vendor)}. Restore it into a {_vendor_name(archive_vendor)} installation."
        )


def _copy_member(source: IO[bytes], target: Path, expected_size: int) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "xb") as out:
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if size > expected_size:
                raise BackupError(f"{target.name}: larger than the header of the archive says.")
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest(), size


class _HashingReader:
    """Reads through to `raw` and hashes every byte (the whole archive's SHA-256, for the report)."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.digest = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.digest.update(data)
        return data


def stage_archive(path: Path, folder: Path, *, vendor: str | None) -> StagedArchive:
    """Read the whole archive into `folder` and verify it; BackupError (with the reason) when anything is off.

    `vendor` is the live database's vendor (None: accept either). Nothing outside `folder` is written.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"No such file: {path}")
    seen: dict[str, dict[str, Any]] = {}
    header: dict[str, Any] | None = None
    manifest: dict[str, Any] | None = None
    try:
        with open(path, "rb") as raw_file:
            raw = _HashingReader(raw_file)
            with gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                with tarfile.open(fileobj=gz, mode="r|") as archive:
                    for member in archive:
                        name = _check_member_name(member)
                        if name in seen or (name == MANIFEST_NAME and manifest is not None):
                            raise BackupError(f"The archive holds {name!r} twice. Refused.")
                        if manifest is not None:
                            raise BackupError("The archive has entries after its manifest. Refused.")
                        source = archive.extractfile(member)
                        if name in (HEADER_NAME, MANIFEST_NAME):
                            if member.size > 64 * 1024 * 1024:
                                raise BackupError(f"{name} is implausibly large. Refused.")
                            data = source.read()
                            if len(data) != member.size:
                                raise BackupError("The archive is truncated.")
                            try:
                                parsed = json.loads(data)
                            except ValueError as exc:
                                raise BackupError(
                                    f"{name} is not valid JSON: the archive is damaged."
                                ) from exc
                            if name == HEADER_NAME:
                                if seen:
                                    raise BackupError("The archive does not start with its header. Refused.")
                                _check_header(parsed, vendor)
                                header = parsed
                                seen[name] = {
                                    "size": len(data),
                                    "sha256": hashlib.sha256(data).hexdigest(),
                                }
                            else:
                                manifest = parsed
                            continue
                        if header is None:
                            raise BackupError("The archive does not start with its header. Refused.")
                        target = folder / name
                        if not str(target.resolve()).startswith(str(folder.resolve()) + os.sep):
                            raise BackupError(f"The archive holds an unsafe path: {name!r}. Refused.")
                        sha, size = _copy_member(source, target, member.size)
                        if size != member.size:
                            raise BackupError("The archive is truncated.")
                        seen[name] = {"size": size, "sha256": sha}
                # The tar reader stops at the end-of-archive blocks: read on to the end of the gzip stream so
                # its CRC and length are checked and a cut-off file shows up.
                while gz.read(CHUNK):
                    pass
            while raw.read(CHUNK):  # bytes after the gzip stream are hashed too
                pass
    except BackupError:
        raise
    except EOFError as exc:
        raise BackupError(f"The archive is truncated ({exc}). Nothing was restored.") from exc
    except tarfile.ReadError as exc:
        if "unexpected end" in str(exc):
            raise BackupError(f"The archive is truncated ({exc}). Nothing was restored.") from exc
        raise BackupError(f"The archive is damaged ({exc}). Nothing was restored.") from exc
    except (tarfile.TarError, zlib.error, gzip.BadGzipFile) as exc:
        raise BackupError(f"The archive is damaged ({exc}). Nothing was restored.") from exc
    except OSError as exc:
        raise BackupError(f"The archive cannot be read ({exc}). Nothing was restored.") from exc

    if header is None:
        raise BackupError("The archive is empty or not a SteerDesk backup.")
    if manifest is None:
        raise BackupError("The archive has no manifest: it is truncated or incomplete. Nothing was restored.")
    _check_header(manifest, vendor)
    if any(manifest.get(k) != header.get(k) for k in header):
        raise BackupError("The manifest does not match the archive's header: the archive is damaged.")
    listed = manifest.get("files")
    if not isinstance(listed, list) or not isinstance(manifest.get("tables"), dict):
        raise BackupError("The manifest is incomplete: the archive is damaged.")
    expected = {}
    for entry in listed:
        if not isinstance(entry, dict) or not {"path", "size", "sha256"} <= set(entry):
            raise BackupError("The manifest is incomplete: the archive is damaged.")
        expected[entry["path"]] = entry
    missing = sorted(set(expected) - set(seen))
    extra = sorted(set(seen) - set(expected))
    if missing:
        raise BackupError(
            f"The archive lacks {len(missing)} file(s) its manifest lists, e.g. {missing[0]!r}."
        )
    if extra:
        raise BackupError(
            f"The archive holds {len(extra)} file(s) its manifest does not list, e.g. {extra[0]!r}."
        )
    for name, entry in expected.items():
        got = seen[name]
        if got["size"] != entry["size"] or got["sha256"] != entry["sha256"]:
            raise BackupError(
                f"Checksum mismatch for {name!r}: the archive is damaged. Nothing was restored."
            )
    db_member = DB_MEMBERS[manifest["database_vendor"]]
    if db_member not in seen:
        raise BackupError("The archive holds no database. Refused.")
    staged = StagedArchive(folder=folder, manifest=manifest, archive_sha256=raw.digest.hexdigest())
    if manifest["database_vendor"] == "sqlite":
        counts = _sqlite_check(staged.database_file)
        if counts != manifest["tables"]:
            raise BackupError("The database in the archive does not hold the row counts its manifest lists.")
    else:
        _pg_dump_check(staged.database_file)
    return staged


def _rename_exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _swap_media(staged: Path, live: Path) -> None:
    """Make the staged media folder the live one; the old one is removed afterwards."""
    if not staged.exists():
        staged.mkdir()
    if live.exists():
        if _rename_exchange(staged, live):
            shutil.rmtree(staged)  # now holds the old media
        else:
            old = live.with_name(f".{live.name}.old-{secrets.token_hex(4)}")
            os.rename(live, old)
            os.rename(staged, live)
            shutil.rmtree(old)
    else:
        os.rename(staged, live)
    _fsync_dir(live.parent)


@contextlib.contextmanager
def staged_restore(path: Path, *, using: str = "default") -> Iterator[StagedArchive]:
    """Verify and stage `path` beside the live media folder; the staging folder is removed on exit."""
    vendor = connections[using].vendor
    media = _media_root().resolve()
    media.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{media.name}.restore-", dir=media.parent))
    try:
        yield stage_archive(path, folder, vendor=vendor)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def apply_restore(staged: StagedArchive, *, using: str = "default") -> None:
    """Replace the live database and media with the staged archive's (database first, then media)."""
    connection = connections[using]
    connection.close()
    if staged.manifest["database_vendor"] == "sqlite":
        _sqlite_restore(connection.settings_dict, staged.database_file)
    else:
        _pg_restore(connection.settings_dict, staged.database_file)
    _swap_media(staged.media_folder, _media_root().resolve())
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


def restore_backup(path: Path, *, using: str = "default") -> dict[str, Any]:
    """Verify, then restore, an archive; returns its manifest."""
    with staged_restore(path, using=using) as staged:
        apply_restore(staged, using=using)
        return staged.manifest
