"""Encrypted backups of ERPNext in S3: streaming gpg encryption, retention, lifecycle rules, restore check.

Design (why it is built this way):
- Keys: the function holds public keys only (ASCII-armored, one secret file `backup-public-keys`). Every
  invocation imports them into a fresh temporary GNUPGHOME that is deleted afterwards (agents killed first).
  Armored *private* key material in that setting is refused. The verify mode gets the private key from its own
  secret (`backup-verify-private-key`), i.e. a separate deployment of the same handler.
- Streaming with flat memory: python-gnupg's `encrypt_file` feeds gpg's stdin from a file object in its own
  thread, and hands each chunk of gpg's stdout to `gpg.on_data`; returning False from that callback keeps
  python-gnupg from buffering the output. The callback puts the chunks on a small bounded queue that a
  file-like reader drains into minio's multipart upload (length -1, 5 MiB parts). So no temp files and no
  FIFO, memory = queue (<= 1 MiB) + about two upload parts. sha256 of the plaintext is taken as gpg reads it,
  sha256 of the ciphertext as the upload reads it.
- No partial backup: the reader delivers EOF only after gpg exited successfully and the source was read to
  the end; any failure raises inside minio's put_object, which aborts the multipart upload (no object). The
  stream goes to a staging key `backups/incoming/<uuid>.gpg`; only after it completed is it server-side copied
  (copy_object, metadata REPLACE, which is also how the digests, known only at the end, reach the metadata)
  to `backups/daily/erpnext-YYYY-MM-DD.sql.gz.gpg`, and the staging object deleted. Stale staging objects
  (a crash between copy and delete) are removed by the retention run after a day and never count.
- Retention is a pure plan over object names (`plan_retention`): the first backup of a month / year is promoted
  (server-side copy) to `monthly/` / `yearly/`; keep the newest 30 daily and 12 monthly, all yearly; the
  newest of each kind is never deleted. The plan depends only on the names present, so running it again or
  after missed days gives the same result.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import shutil
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal, cast
from zoneinfo import ZoneInfo

import httpx
from minio.commonconfig import REPLACE, CopySource
from minio.deleteobjects import DeleteObject
from minio.lifecycleconfig import LifecycleConfig
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from pwcore.clients import s3_lifecycle
from pwcore.clients.gpg import (
    CHUNK,
    EncryptResult,
    GpgError,
    HashingReader,
    IterReader,
    encrypted_stream,
    gpg_home,
    import_public_keys,
)
from pwcore.clients.s3 import MIN_PART_SIZE, Storage
from pwcore.clients.tls import verifying_context
from pwcore.logs import get_logger
from pwcore.model import problems
from pwcore.model.backup_manifest import (
    DEFAULT_BASENAME,
    DEFAULT_PREFIX,
    DEFAULT_SUFFIX,
    BackupRef,
    DumpCounter,
    build_manifest,
    manifest_key,
    newest,
    parse_key,
    pipeline_doctypes,
    table_of,
)
from pwcore.model.lifecycle import bucket_rules
from pwcore.settings import ConfigError, Settings, deployed, load_settings

log = get_logger("pwcore.backup")

KINDS = ("daily", "monthly", "yearly")
META_PLAIN = "plaintext-sha256"
META_CIPHER = "ciphertext-sha256"
META_PLAIN_BYTES = "plaintext-bytes"


class BackupError(problems.Problem):
    """A backup or verify step failed; the message is safe to return (no key material, no credentials)."""

    status = 500


class BackupSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="BACKUP_")
    public_keys: str = deployed("")  # ASCII-armored public key(s); secret file backup-public-keys
    # Where the scheduled run (no body) gets the dump; see `open_source` and docs/BACKUPS.md.
    # frappe: the newest `bench backup` file through Frappe's own backup download (site URL in source_url,
    #         a dedicated backup user's API key / secret: secret files backup-source-api-key / -api-secret);
    # url:    a plain GET of source_url (a file server on the ERPNext host), Bearer token or basic auth.
    source: Literal["frappe", "url"] = "url"
    source_url: str = deployed("")
    source_api_key: str = ""
    source_api_secret: SecretStr = SecretStr("")
    source_token: SecretStr = SecretStr("")  # url mode: Bearer token for source_url, or:
    source_user: str = ""
    source_password: SecretStr = SecretStr("")
    source_timeout_s: float = 60.0
    # frappe mode: refuse a newest backup older than this (fetch_latest_backups returns up to 30 days old ones),
    # so a stopped `bench backup` is a failed run, not yesterday's dump stored under today's name.
    source_max_age_h: float = 30.0
    prefix: str = DEFAULT_PREFIX
    basename: str = DEFAULT_BASENAME
    suffix: str = DEFAULT_SUFFIX
    keep_daily: int = 30
    keep_monthly: int = 12
    part_size: int = MIN_PART_SIZE
    compress: bool = False  # the dump is already gzip'd: gpg compression would only cost CPU
    timezone: str = "America/Chicago"  # the date in the object name is the site's date
    gpg_binary: str = "gpg"
    stale_incoming_s: int = 86400


class BackupVerifySettings(Settings):
    """Only the verify deployment has these secrets (backup-verify-private-key, -passphrase)."""

    model_config = SettingsConfigDict(env_prefix="BACKUP_VERIFY_")
    optional_in_deployment = True  # the daily deployment has none: verify mode answers 403
    private_key: SecretStr
    passphrase: SecretStr = SecretStr("")
    scratch_dir: str = ""  # default: the system temp folder


# -- backup ------------------------------------------------------------------------------------------------
def backup_key(settings: BackupSettings, kind: str, day: dt.date) -> str:
    return f"{settings.prefix}/{kind}/{settings.basename}-{day.isoformat()}{settings.suffix}"


def site_today(settings: BackupSettings, now: dt.datetime | None = None) -> dt.date:
    return (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(settings.timezone)).date()


class _CountingTap(io.RawIOBase):
    """Passes the plaintext through to gpg and feeds it to the manifest's DumpCounter on the way."""

    def __init__(self, source: IO[bytes], counter: DumpCounter) -> None:
        self.source = source
        self.counter = counter

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = bytes(self.source.read(CHUNK if size is None or size < 0 else size))
        self.counter.feed(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def encrypt_and_upload(storage: Storage | None, settings: BackupSettings, source: IO[bytes], day: dt.date,
                       *, dry_run: bool = False, origin: str = "upload") -> dict[str, Any]:
    """Encrypt `source` to the configured public keys and store it as the daily backup of `day`.

    dry_run: everything but the S3 writes (the ciphertext is hashed and dropped), which proves the keys and
    the source work. Raises BackupError on any failure; then no backup object exists for this run.
    """
    try:
        return _encrypt_and_upload(storage, settings, source, day, dry_run=dry_run, origin=origin)
    except GpgError as exc:
        raise BackupError(str(exc)) from exc


def _encrypt_and_upload(storage: Storage | None, settings: BackupSettings, source: IO[bytes], day: dt.date,
                        *, dry_run: bool, origin: str) -> dict[str, Any]:
    started = time.perf_counter()
    final_key = backup_key(settings, "daily", day)
    doctypes = pipeline_doctypes()
    counter = DumpCounter([table_of(d) for d in doctypes])
    source = cast(IO[bytes], _CountingTap(source, counter))
    with gpg_home(settings.gpg_binary) as gpg:
        recipients = import_public_keys(gpg, settings.public_keys)
        staging = f"{settings.prefix}/incoming/{uuid.uuid4().hex}.gpg"
        with encrypted_stream(gpg, source, recipients, settings.compress) as (pipe, plain, _thread):
            if dry_run or storage is None:
                while pipe.read(CHUNK):
                    pass
            else:
                try:
                    storage.put_stream(staging, cast(IO[bytes], pipe), "application/pgp-encrypted",
                                       part_size=settings.part_size)
                except GpgError:
                    raise
                except Exception as exc:
                    raise BackupError(f"upload failed: {type(exc).__name__}") from exc
    result = EncryptResult(plain.sha256.hexdigest(), pipe.sha256.hexdigest(), plain.bytes, pipe.bytes,
                           time.perf_counter() - started)
    manifest = build_manifest(counter, doctypes, backup_key=final_key, day=day,
                              plaintext_sha256=result.plaintext_sha256, plaintext_bytes=result.plaintext_bytes,
                              source=origin)
    if not dry_run and storage is not None:
        # The manifest first: a crash before the copy leaves a manifest the next run of the day overwrites, and
        # the restore check ties a manifest to its backup by the plaintext digest, never by the name alone.
        try:
            storage.put_json(manifest_key(settings.prefix, settings.basename, day), manifest)
        except Exception as exc:
            raise BackupError(f"storing the backup manifest failed: {type(exc).__name__}") from exc
        metadata = {META_PLAIN: result.plaintext_sha256, META_CIPHER: result.ciphertext_sha256,
                    META_PLAIN_BYTES: str(result.plaintext_bytes), "recipients": ",".join(recipients)}
        try:
            storage.client.copy_object(storage.bucket, final_key, CopySource(storage.bucket, staging),
                                       metadata=cast(Any, metadata), metadata_directive=REPLACE)
        except Exception as exc:
            raise BackupError(f"storing the completed backup failed: {type(exc).__name__}") from exc
        finally:
            try:
                storage.delete(staging)
            except Exception as exc:  # retention removes stale staging objects
                log.warning("backup.staging_delete_failed", error_type=type(exc).__name__)
    log.info("backup.stored", key=final_key, bytes=result.ciphertext_bytes, dry_run=dry_run,
             seconds=round(result.seconds, 2))
    return {"key": final_key, "dry_run": dry_run, "recipients": recipients,
            "plaintext_sha256": result.plaintext_sha256, "ciphertext_sha256": result.ciphertext_sha256,
            "plaintext_bytes": result.plaintext_bytes, "ciphertext_bytes": result.ciphertext_bytes,
            "seconds": round(result.seconds, 3),
            "manifest": {"complete": manifest["complete"], "problem": manifest["problem"],
                         "tables": sum(1 for t in manifest["doctypes"].values() if t["present"]),
                         "rows": sum(int(t["rows"]) for t in manifest["doctypes"].values())},
            "mib_per_s": round(result.plaintext_bytes / 1048576 / max(result.seconds, 1e-9), 1)}


@contextmanager
def open_source(settings: BackupSettings) -> Iterator[tuple[IO[bytes], str]]:
    """The dump of the scheduled run as a stream, and where it came from (for the manifest)."""
    if settings.source == "frappe":
        with open_frappe_backup(settings) as (stream, name):
            yield stream, f"frappe:{name}"
    else:
        with open_source_url(settings) as stream:
            yield stream, "url"


@contextmanager
def open_source_url(settings: BackupSettings) -> Iterator[IO[bytes]]:
    """Stream the dump from BACKUP_SOURCE_URL (Bearer token or basic auth)."""
    if not settings.source_url:
        raise BackupError("no backup in the request body and BACKUP_SOURCE_URL is not set")
    headers: dict[str, str] = {}
    auth: httpx.BasicAuth | None = None
    if settings.source_token.get_secret_value():
        headers["Authorization"] = f"Bearer {settings.source_token.get_secret_value()}"
    elif settings.source_user:
        auth = httpx.BasicAuth(settings.source_user, settings.source_password.get_secret_value())
    timeout = httpx.Timeout(settings.source_timeout_s, connect=10.0)
    with httpx.Client(timeout=timeout, follow_redirects=True, verify=verifying_context()) as client, \
            client.stream("GET", settings.source_url, headers=headers, auth=auth) as response:
        if response.status_code != 200:
            raise BackupError(f"backup source answered HTTP {response.status_code}")
        yield cast(IO[bytes], IterReader(response.iter_bytes(CHUNK)))


FETCH_LATEST = "/api/method/frappe.desk.page.backups.backups.fetch_latest_backups"
# `bench backup` names: <YYYYMMDD_HHMMSS>-<site with dots as _>-database.sql.gz (site-local time).
_FRAPPE_DB_FILE = re.compile(r"(?P<stamp>\d{8}_\d{6})-[A-Za-z0-9_.-]{1,120}-database\.sql\.gz\Z")


def frappe_backup_name(path: str) -> tuple[str, dt.datetime]:
    """The file name and naive local stamp of fetch_latest_backups' `database` path; BackupError otherwise."""
    name = PurePosixPath(path).name
    m = _FRAPPE_DB_FILE.match(name)
    if not m:
        raise BackupError("ERPNext's newest database backup has an unexpected name (expected "
                          "<stamp>-<site>-database.sql.gz)")
    return name, dt.datetime.strptime(m["stamp"], "%Y%m%d_%H%M%S")


@contextmanager
def open_frappe_backup(settings: BackupSettings, now: dt.datetime | None = None) -> Iterator[tuple[IO[bytes], str]]:
    """The newest `bench backup` database file, streamed the way Frappe serves it.

    `fetch_latest_backups` (frappe.desk.page.backups.backups) answers the paths of the newest backups of the
    last 30 days, and `/backups/<file>` (frappe.utils.response.download_backup) sends one; both call
    `frappe.only_for("System Manager")` (the second also Administrator), so the dedicated backup user needs
    the System Manager role: a 403 here names that. Auth is `token <api_key>:<api_secret>`.
    """
    if not settings.source_url:
        raise BackupError("BACKUP_SOURCE=frappe needs BACKUP_SOURCE_URL (the site URL)")
    key, secret = settings.source_api_key, settings.source_api_secret.get_secret_value()
    if not key or not secret:
        raise BackupError("BACKUP_SOURCE=frappe needs the backup user's key and secret "
                          "(secret files backup-source-api-key, backup-source-api-secret)")
    timeout = httpx.Timeout(settings.source_timeout_s, connect=10.0)
    headers = {"Authorization": f"token {key}:{secret}", "Accept": "application/json"}
    with httpx.Client(base_url=settings.source_url.rstrip("/"), timeout=timeout, headers=headers,
                      verify=verifying_context()) as client:
        r = client.post(FETCH_LATEST)
        if r.status_code in (401, 403):
            raise BackupError(f"ERPNext refused fetch_latest_backups (HTTP {r.status_code}): the backup user "
                              "needs the System Manager role and a valid API key")
        if r.status_code != 200:
            raise BackupError(f"ERPNext answered fetch_latest_backups with HTTP {r.status_code}")
        try:
            message = r.json().get("message") or {}
            path = message.get("database") if isinstance(message, dict) else None
        except ValueError:
            raise BackupError("ERPNext's fetch_latest_backups answer is not JSON") from None
        if not path or not isinstance(path, str):
            raise BackupError("ERPNext has no database backup from the last 30 days: is `bench backup` scheduled?")
        name, stamp = frappe_backup_name(path)
        local_now = (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(settings.timezone)).replace(tzinfo=None)
        age_h = (local_now - stamp).total_seconds() / 3600
        if age_h > settings.source_max_age_h:
            raise BackupError(f"ERPNext's newest database backup is {age_h:.0f} h old (limit "
                              f"{settings.source_max_age_h:.0f} h): `bench backup` has stopped running")
        with client.stream("GET", f"/backups/{name}") as response:
            if response.status_code != 200:
                raise BackupError(f"ERPNext answered the backup download with HTTP {response.status_code}")
            yield cast(IO[bytes], IterReader(response.iter_bytes(CHUNK))), name


# -- retention ---------------------------------------------------------------------------------------------
@dataclass
class RetentionPlan:
    promote: list[tuple[str, str]] = field(default_factory=list)  # (source, destination) server-side copies
    keep: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})
    delete: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"promoted": [list(p) for p in self.promote], "kept": self.keep, "deleted": self.delete,
                "ignored": self.ignored,
                "counts": {**{k: len(v) for k, v in self.keep.items()}, "deleted": len(self.delete)}}


def plan_retention(keys: Iterable[str], prefix: str, keep_daily: int = 30, keep_monthly: int = 12) -> RetentionPlan:
    """What to promote, keep and delete, from object names alone (deterministic and idempotent)."""
    if keep_daily < 1 or keep_monthly < 1:
        raise ValueError("keep at least one daily and one monthly backup")
    plan = RetentionPlan()
    refs: dict[str, list[BackupRef]] = {k: [] for k in KINDS}
    for key in keys:
        if not key.startswith(f"{prefix}/") or key.startswith((f"{prefix}/incoming/", f"{prefix}/manifests/")):
            continue
        ref = parse_key(key)
        if ref is None or not ref.key.startswith(f"{prefix}/{ref.kind}/"):
            plan.ignored.append(key)
        else:
            refs[ref.kind].append(ref)

    def target(ref: BackupRef, kind: str) -> BackupRef:
        return BackupRef(ref.day, kind, ref.key.replace(f"{prefix}/{ref.kind}/", f"{prefix}/{kind}/", 1))

    # Promotion: the first backup of a month without a monthly one; of a year without a yearly one.
    months_present = {(r.day.year, r.day.month) for r in refs["monthly"]}
    first_of_month: dict[tuple[int, int], BackupRef] = {}
    for r in sorted(refs["daily"]):
        first_of_month.setdefault((r.day.year, r.day.month), r)
    new_monthly = [target(r, "monthly") for m, r in first_of_month.items() if m not in months_present]
    years_present = {r.day.year for r in refs["yearly"]}
    first_of_year: dict[int, BackupRef] = {}
    for r in sorted(refs["daily"] + refs["monthly"] + new_monthly):
        first_of_year.setdefault(r.day.year, r)
    new_yearly = [target(r, "yearly") for y, r in first_of_year.items() if y not in years_present]

    sources = {r.key: r for r in refs["daily"] + refs["monthly"]}
    daily = sorted(refs["daily"], reverse=True)
    monthly = sorted(refs["monthly"] + new_monthly, reverse=True)
    kept_daily, gone_daily = daily[:keep_daily], daily[keep_daily:]
    kept_monthly, gone_monthly = monthly[:keep_monthly], monthly[keep_monthly:]
    yearly = sorted(refs["yearly"] + new_yearly, reverse=True)

    def source_of(dest: BackupRef) -> str:
        for kind in ("daily", "monthly"):
            key = dest.key.replace(f"{prefix}/{dest.kind}/", f"{prefix}/{kind}/", 1)
            if key in sources:
                return key
        raise AssertionError(dest.key)

    new_monthly_keys = {r.key for r in new_monthly}
    for r in sorted(kept_monthly):
        if r.key in new_monthly_keys:
            plan.promote.append((source_of(r), r.key))
    for r in sorted(new_yearly):
        plan.promote.append((source_of(r), r.key))
    plan.keep = {"daily": [r.key for r in kept_daily], "monthly": [r.key for r in kept_monthly],
                 "yearly": [r.key for r in yearly]}
    plan.delete = sorted(r.key for r in gone_daily + gone_monthly if r.key not in new_monthly_keys)
    # Never the newest of any kind (holds by construction; checked because deleting it would be unrecoverable).
    for kind, items in (("daily", daily), ("monthly", monthly)):
        assert not items or items[0].key not in plan.delete, f"refusing to delete the newest {kind} backup"
    # A yearly promoted from a daily that is deleted in the same plan: copy first, then delete (apply order).
    return plan


def apply_retention(storage: Storage, settings: BackupSettings, *, dry_run: bool = False,
                    now: dt.datetime | None = None) -> dict[str, Any]:
    objects = list(storage.list(f"{settings.prefix}/"))
    plan = plan_retention((o.key for o in objects), settings.prefix, settings.keep_daily, settings.keep_monthly)
    instant = now or dt.datetime.now(dt.UTC)
    stale = [o.key for o in objects if o.key.startswith(f"{settings.prefix}/incoming/") and o.last_modified
             and (instant - o.last_modified).total_seconds() > settings.stale_incoming_s]
    # A manifest lives as long as a backup of its day does (daily, monthly or yearly).
    days_kept = {ref.day.isoformat() for kind in KINDS for ref in map(parse_key, plan.keep[kind]) if ref}
    manifests_prefix = f"{settings.prefix}/manifests/{settings.basename}-"
    orphan_manifests = [o.key for o in objects if o.key.startswith(manifests_prefix)
                        and o.key.removeprefix(manifests_prefix).removesuffix(".json") not in days_kept]
    if not dry_run:
        for src, dst in plan.promote:  # copies before deletes: a promoted daily may be pruned right after
            storage.client.copy_object(storage.bucket, dst, CopySource(storage.bucket, src))
        doomed = plan.delete + stale + orphan_manifests
        for i in range(0, len(doomed), 1000):
            errors = list(storage.client.remove_objects(
                storage.bucket, [DeleteObject(k) for k in doomed[i:i + 1000]]))
            if errors:
                raise BackupError(f"deleting {len(errors)} old backups failed: {errors[0].code}")
    log.info("backup.retention", dry_run=dry_run, promoted=len(plan.promote), deleted=len(plan.delete),
             stale_incoming=len(stale))
    return {"dry_run": dry_run, **plan.as_dict(), "stale_incoming_deleted": stale,
            "manifests_deleted": orphan_manifests}


def lifecycle_config(prefix: str = "backups") -> LifecycleConfig:
    """The bucket's lifecycle rules: this module's age-based approximation of the retention, together with every
    other rule the pipeline keeps in the bucket (the access log's year), composed in pwcore.model.lifecycle. A
    bucket has one lifecycle document and a PUT replaces it, so this mode never writes the backups' rules alone.

    Differences from `apply_retention`: rules count days, not backups, so if backups stop the newest daily and
    monthly ones expire too; and S3 cannot promote, so the function (or this module's promote step) must
    still copy the first backup of a month / year.
    """
    return s3_lifecycle.config_of(bucket_rules(prefix))


def apply_lifecycle(storage: Storage, prefix: str = "backups") -> LifecycleConfig:
    """Write the bucket's rules (ours replaced as a whole, an operator's own rules kept)."""
    return s3_lifecycle.apply_rules(storage, bucket_rules(prefix))


def describe_lifecycle(config: LifecycleConfig) -> list[dict[str, Any]]:
    return s3_lifecycle.describe(config)


# -- verify ------------------------------------------------------------------------------------------------
def newest_backup(storage: Storage, prefix: str) -> BackupRef | None:
    return newest(o.key for o in storage.list(f"{prefix}/"))


def verify_newest(storage: Storage, settings: BackupSettings, verify: BackupVerifySettings) -> dict[str, Any]:
    """Download the newest backup, decrypt it into a scratch folder, compare both digests with the metadata.

    The scratch folder and the temporary GNUPGHOME are deleted whatever happens. Returns a report with ok.
    """
    started = time.perf_counter()
    ref = newest_backup(storage, settings.prefix)
    if ref is None:
        raise BackupError("no backup found to verify")
    info = storage.stat(ref.key)
    if info is None:
        raise BackupError(f"{ref.key} vanished")
    meta = {k.lower().removeprefix("x-amz-meta-"): v for k, v in info.metadata.items()}
    scratch = Path(tempfile.mkdtemp(prefix="pwrestore-", dir=verify.scratch_dir or None))
    report: dict[str, Any] = {"key": ref.key, "day": ref.day.isoformat(), "bytes": info.size}
    try:
        with gpg_home(settings.gpg_binary) as gpg:
            imported = gpg.import_keys(verify.private_key.get_secret_value())
            if not imported.sec_imported:
                raise BackupError("the verify private key could not be imported")
            restored = scratch / Path(ref.key).name.removesuffix(".gpg")
            plain_hash = hashlib.sha256()
            size = 0
            with restored.open("wb") as out:
                def on_data(chunk: bytes) -> bool:
                    nonlocal size
                    if chunk:
                        plain_hash.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                    return False
                gpg.on_data = on_data
                response = storage.get_stream(ref.key)
                try:
                    cipher = HashingReader(cast(IO[bytes], response))
                    passphrase = verify.passphrase.get_secret_value() or None
                    result = gpg.decrypt_file(cipher, passphrase=passphrase, always_trust=True)
                finally:
                    response.close()
                    response.release_conn()
            if not result.ok:
                raise BackupError(f"decryption failed: {result.status or 'gpg exit ' + str(result.returncode)}")
            report.update({
                "restored_bytes": size,
                "plaintext_sha256": plain_hash.hexdigest(), "expected_plaintext_sha256": meta.get(META_PLAIN),
                "ciphertext_sha256": cipher.sha256.hexdigest(), "expected_ciphertext_sha256": meta.get(META_CIPHER),
            })
            report["gzip_ok"] = _gzip_ok(restored)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report["scratch_deleted"] = not scratch.exists()
    report["ok"] = bool(report["expected_plaintext_sha256"]) and \
        report["plaintext_sha256"] == report["expected_plaintext_sha256"] and \
        report["ciphertext_sha256"] == report["expected_ciphertext_sha256"] and report["gzip_ok"] is not False
    report["seconds"] = round(time.perf_counter() - started, 3)
    log.info("backup.verified", key=ref.key, ok=report["ok"])
    return report


def _gzip_ok(path: Path) -> bool | None:
    """None when the restored file is not gzip; else whether it decompresses to the end (streamed)."""
    with path.open("rb") as f:
        if f.read(2) != b"\x1f\x8b":
            return None
        f.seek(0)
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            while chunk := f.read(CHUNK):
                d.decompress(chunk, CHUNK)
                while d.unconsumed_tail:
                    d.decompress(d.unconsumed_tail, CHUNK)
        except zlib.error:
            return False
        return d.eof



MODES = ("backup", "retention", "verify", "lifecycle")


def run_mode(storage: Storage, settings: BackupSettings, mode: str, *, dry_run: bool, body: bytes) -> dict[str, Any]:
    """One invocation of the backup function; raises a Problem for a request it refuses.

    `backup`: the body is the dump, or with no body BACKUP_SOURCE_URL is pulled; then retention runs.
    `retention`: promote / prune only. `verify`: restore the newest backup into a scratch folder and check its
    digests (only where the private key is deployed). `lifecycle`: the equivalent S3 lifecycle rules.
    """
    if mode not in MODES:
        raise problems.BadRequest(f"mode must be one of {', '.join(MODES)}")
    try:
        return _run_mode(storage, settings, mode, dry_run=dry_run, body=body)
    except BackupError as exc:
        log.error("backup.failed", mode=mode, error=str(exc))
        exc.extra["mode"] = mode
        raise


def _run_mode(storage: Storage, settings: BackupSettings, mode: str, *, dry_run: bool, body: bytes) -> dict[str, Any]:
    result: dict[str, Any] = {"mode": mode, "dry_run": dry_run}
    if mode == "lifecycle":
        rules = lifecycle_config(settings.prefix) if dry_run else apply_lifecycle(storage, settings.prefix)
        return {**result, "rules": describe_lifecycle(rules)}
    if mode == "verify":
        try:
            verify_settings = load_settings(BackupVerifySettings)
        except ConfigError:
            # Only the monthly verify deployment holds a private key; the daily one refuses the mode.
            raise problems.Forbidden("verify mode is not enabled on this deployment (no BACKUP_VERIFY_PRIVATE_KEY)",
                                     mode=mode) from None
        report = verify_newest(storage, settings, verify_settings)
        if not report["ok"]:
            raise VerifyFailed(report)
        return {"mode": mode, **report}
    if mode == "backup":
        day = site_today(settings)
        if body:
            result["backup"] = encrypt_and_upload(storage, settings, io.BytesIO(body), day, dry_run=dry_run)
        elif not settings.source_url:  # the caller sent nothing to back up: its request, not our fault
            raise problems.BadRequest("nothing to back up: POST the dump as the body or set BACKUP_SOURCE_URL",
                                      mode=mode)
        else:
            with open_source(settings) as (source, origin):
                result["backup"] = encrypt_and_upload(storage, settings, source, day, dry_run=dry_run,
                                                      origin=origin)
    result["retention"] = apply_retention(storage, settings, dry_run=dry_run)
    return result


class VerifyFailed(problems.Problem):
    """The restore check found a problem: 500 with the report (an operator must look)."""

    status = 500

    def __init__(self, report: dict[str, Any]) -> None:
        super().__init__("restore check failed", mode="verify", **{k: v for k, v in report.items() if k != "error"})
