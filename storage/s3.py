"""A store in an S3-compatible bucket (``s3://bucket/prefix``): AWS S3, MinIO, R2, Ceph.

Credentials, region and endpoint come from the standard AWS configuration (environment
variables such as ``AWS_ACCESS_KEY_ID`` and ``AWS_ENDPOINT_URL_S3``, profiles, instance roles).

- write-once objects use ``If-None-Match: *`` (a conditional create; S3 answers 412 when the
  key exists) and send ``x-amz-checksum-sha256`` so the server rejects a corrupted upload;
- head pointers move with ``If-Match: <etag>`` (compare-and-swap);
- every read is re-hashed by the caller (:mod:`storage.store`), whatever the server says.

Note: moto, used in the tests, honours If-None-Match / If-Match but does not check the upload
checksum; real S3 and MinIO do.
"""

from __future__ import annotations

import base64
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
import botocore.exceptions
from botocore.config import Config

from clausewatch.errors import ObjectNotFound, StoreError, StoreUnavailable
from clausewatch.retry import transient_status
from clausewatch.settings import settings
from clausewatch.storage import layout

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_CONFIG = Config(
    connect_timeout=5,
    read_timeout=30,
    retries={"mode": "standard", "max_attempts": 3},
    # SigV4 everywhere, presigned links included: botocore signs presigned URLs with SigV2 in
    # us-east-1 unless told otherwise, and newer buckets (and R2) refuse SigV2
    signature_version="s3v4",
)
# evidence, written once; heads, queues and delivery state must change
LOCKED_AREAS = layout.WRITE_ONCE
JSON = "application/json"
INERT = "application/octet-stream"


def content_type(key: str) -> str:
    """The Content-Type an object is stored with: ``application/json`` for the store's JSON
    records (manifests, heads, checks, the event log, queues, delivery state, seals), and an
    inert ``application/octet-stream`` for everything else, captured bodies above all: a
    presigned link to a captured page must download it, never render it in the reader's
    browser (see docs/EVIDENCE.md)."""
    if key.startswith(layout.BLOBS) or not key.endswith(".json"):
        return INERT
    return JSON


@dataclass(frozen=True)
class ObjectLock:
    """S3 Object Lock retention put on every blob and manifest (the bucket must have Object
    Lock enabled). ``CLAUSEWATCH_S3_OBJECT_LOCK=COMPLIANCE:3650`` or ``GOVERNANCE:365``."""

    mode: str
    days: int

    @classmethod
    def from_env(cls) -> ObjectLock | None:
        value = (settings().s3_object_lock or "").strip()
        if not value:
            return None
        mode, _, days = value.partition(":")
        if mode.upper() not in ("GOVERNANCE", "COMPLIANCE") or not days.isdigit() or int(days) < 1:
            raise StoreError(
                f"CLAUSEWATCH_S3_OBJECT_LOCK={value!r}: use GOVERNANCE:DAYS or COMPLIANCE:DAYS"
            )
        return cls(mode.upper(), int(days))

    def put_arguments(self) -> dict[str, Any]:
        until = datetime.now(UTC) + timedelta(days=self.days)
        return {"ObjectLockMode": self.mode, "ObjectLockRetainUntilDate": until}


_PRECONDITION = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


class S3Backend:
    """A :class:`storage.backend.Backend` over an S3 bucket and key prefix."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        client: S3Client | None = None,
        object_lock: ObjectLock | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client: S3Client = client or _client()
        self.object_lock = object_lock if object_lock is not None else ObjectLock.from_env()

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def read(self, key: str) -> bytes:
        found = self.read_versioned(key)
        if found is None:
            raise ObjectNotFound(f"no object {key!r} in store {self.url}")
        return found[0]

    def read_versioned(self, key: str) -> tuple[bytes, str] | None:
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
            return obj["Body"].read(), obj["ETag"]
        except Exception as exc:
            if _code(exc) in _MISSING:
                return None
            raise self._error("read", key, exc) from exc

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
            return True
        except Exception as exc:
            if _code(exc) in _MISSING:
                return False
            raise self._error("check", key, exc) from exc

    def create(self, key: str, data: bytes, sha256: str | None = None) -> bool:
        extra: dict[str, Any] = {}
        if sha256:
            extra["ChecksumAlgorithm"] = "SHA256"
            extra["ChecksumSHA256"] = base64.b64encode(bytes.fromhex(sha256)).decode()
        if self.object_lock and key.startswith(LOCKED_AREAS):
            extra.update(self.object_lock.put_arguments())
        return self._put(key, data, IfNoneMatch="*", **extra) is not None

    def presign(self, key: str, expires_s: int = 3600) -> str:
        """A time-limited download link for readers without keys, signed with SigV4 (the
        backend's own client is built with ``signature_version="s3v4"``; an injected client is
        used as it is configured)."""
        return self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": self.prefix + key},
            ExpiresIn=expires_s,
        )

    def swap(self, key: str, data: bytes, expected: str | None) -> str | None:
        if expected is None:
            return self._put(key, data, IfNoneMatch="*")
        return self._put(key, data, IfMatch=expected)

    def overwrite(self, key: str, data: bytes) -> None:
        self._put(key, data)

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)
        except Exception as exc:  # absent is not an error: S3 answers 204 either way
            raise self._error("delete", key, exc) from exc

    def list(self, prefix: str, start_after: str | None = None) -> Iterator[str]:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.prefix + prefix}
        if start_after:
            kwargs["StartAfter"] = self.prefix + start_after
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(**kwargs):
                for obj in page.get("Contents", []):
                    yield obj["Key"][len(self.prefix) :]
        except Exception as exc:
            raise self._error("list", prefix, exc) from exc

    def has_any(self, areas: tuple[str, ...]) -> bool:
        """Whether one of the top-level ``areas`` (``"heads/"``...) holds an object under the
        prefix: one listing request (folded at ``/``) in the common case, a missing bucket
        named. A mistyped prefix, or a prefix inside a store, holds none of them."""
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.prefix, "Delimiter": "/"}
        try:
            page = self.client.list_objects_v2(**kwargs)
            found = {
                p.get("Prefix", "")[len(self.prefix) :] for p in page.get("CommonPrefixes", [])
            }
            if found & set(areas):
                return True
            if not page.get("IsTruncated"):
                return False
            # more than a page of other names beside the store's: ask for each area
            return any(
                self.client.list_objects_v2(
                    Bucket=self.bucket, Prefix=self.prefix + area, MaxKeys=1
                ).get("KeyCount", 0)
                for area in areas
            )
        except Exception as exc:
            raise self._error("list", "", exc) from exc

    def _put(self, key: str, data: bytes, **conditions: Any) -> str | None:
        """Write ``key``; its new ETag, or None when a condition failed."""
        try:
            answer = self.client.put_object(
                Bucket=self.bucket,
                Key=self.prefix + key,
                Body=data,
                ContentType=content_type(key),
                **conditions,
            )
        except Exception as exc:
            if conditions and _code(exc) in _PRECONDITION:
                # botocore retries a PUT whose answer was lost; the retry then fails its own
                # precondition. If the key holds exactly our bytes, the write was ours.
                current = self.read_versioned(key)
                return current[1] if current is not None and current[0] == data else None
            raise self._error("write", key, exc) from exc
        return answer["ETag"]

    def _error(self, action: str, key: str, exc: Exception) -> StoreError:
        code = _code(exc)
        where = f"{key!r} in {self.url}"
        if code == "NoSuchBucket":
            return StoreError(
                f"bucket {self.bucket!r} does not exist: create it, or fix the store URL"
            )
        if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            return StoreError(
                f"access denied to {where} ({code}): check the AWS credentials and policy"
            )
        if isinstance(exc, botocore.exceptions.BotoCoreError) or transient_status(_status(exc)):
            endpoint = _without_userinfo(self.client.meta.endpoint_url)
            return StoreUnavailable(
                f"cannot {action} {where} (endpoint {endpoint}): {type(exc).__name__}; retry later"
            )
        return StoreError(f"cannot {action} {where}: {code or type(exc).__name__}")


# where an endpoint URL comes from, in botocore's order of precedence
_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")


def _client() -> S3Client:
    """An S3 client from the standard AWS configuration; a configuration botocore refuses
    (an endpoint that is not a URL, an unknown profile, a bad region) is one clear error."""
    try:
        return boto3.client("s3", config=_CONFIG)
    except (ValueError, botocore.exceptions.BotoCoreError) as exc:
        why = str(exc).rstrip(".")
        if "endpoint" in why.lower() or "url" in why.lower():
            for name in _ENDPOINT_VARIABLES:
                if os.environ.get(name):
                    raise StoreError(
                        f"{name}={_shown(os.environ[name])!r} is not an endpoint URL ({why}): "
                        f"use one such as http://127.0.0.1:9000 (MinIO), or unset {name} for AWS"
                    ) from None
            raise StoreError(
                f"the endpoint_url in the AWS configuration is not a URL ({why}): "
                "fix it in ~/.aws/config or AWS_CONFIG_FILE"
            ) from None
        raise StoreError(
            f"cannot set up the S3 client ({why}): check the AWS configuration"
        ) from None


def _shown(url: str) -> str:
    """An endpoint URL as it may be printed, even when it does not parse: no password."""
    try:
        return _without_userinfo(url)
    except ValueError:
        return url.rpartition("@")[2]


class _RedactCredentials(logging.Filter):
    """botocore's DEBUG logs print request headers, whose ``Authorization`` names the access
    key id; clausewatch never logs credentials, so they are redacted wherever botocore would."""

    _PATTERN = re.compile(
        r"(Credential=)[^/\s,'\"]+|(X-Amz-Credential=)[^&\s'\"]+|"
        r"(X-Amz-Security-Token['\"]?:?\s*b?['\"]?)[^'\"\s,]+"
    )

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._PATTERN.sub(lambda m: (m[1] or m[2] or m[3]) + "[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


for _name in ("botocore.endpoint", "botocore.auth", "botocore.httpsession", "botocore.hooks"):
    logging.getLogger(_name).addFilter(_RedactCredentials())


def _without_userinfo(url: str) -> str:
    """An endpoint URL as it may be printed: no ``user:password@``."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _status(exc: Exception) -> int:
    if isinstance(exc, botocore.exceptions.ClientError):
        return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return 0


def _code(exc: Exception) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        code = str(err.get("Code", ""))
        return code if code and not code.isdigit() else str(status or code)
    return ""
