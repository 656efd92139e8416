"""Where attachment bytes live: a small interface, a filesystem and an S3-compatible backend.

Files are stored under random keys outside anything a web server serves, and are
only ever handed out by the tickets service after a visibility check.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

CHUNK = 256 * 1024


class BlobStore(Protocol):
    async def put(self, key: str, path: Path) -> None:
        """Stores the finished temporary file ``path`` under ``key``."""

    def read(self, key: str) -> AsyncIterator[bytes]:
        """The stored bytes, in chunks."""

    async def delete(self, key: str) -> None: ...


class FileStore:
    """Files under ``root/<k[:2]>/<key>``; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    async def put(self, key: str, path: Path) -> None:
        target = self._path(key)
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(os.replace, path, target)

    async def read(self, key: str) -> AsyncIterator[bytes]:
        with self._path(key).open("rb") as f:
            while chunk := await asyncio.to_thread(f.read, CHUNK):
                yield chunk

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    def spool_dir(self) -> Path:
        """Same filesystem as the store, so ``put`` is a rename."""
        spool = self.root / ".incoming"
        spool.mkdir(parents=True, exist_ok=True)
        return spool


class S3Store:
    """An S3-compatible bucket (AWS, MinIO, Ceph...) through boto3, run in threads."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self._bucket = bucket

    async def put(self, key: str, path: Path) -> None:
        await asyncio.to_thread(self._s3.upload_file, str(path), self._bucket, key)
        await asyncio.to_thread(path.unlink, missing_ok=True)

    async def read(self, key: str) -> AsyncIterator[bytes]:
        obj = await asyncio.to_thread(self._s3.get_object, Bucket=self._bucket, Key=key)
        body = obj["Body"]
        try:
            while chunk := await asyncio.to_thread(body.read, CHUNK):
                yield chunk
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._s3.delete_object, Bucket=self._bucket, Key=key)

    def spool_dir(self) -> Path:
        return Path(tempfile.gettempdir())


def s3_store(*, endpoint_url: str, bucket: str, access_key: str, secret_key: str, region: str) -> S3Store:
    import boto3  # type: ignore[import-untyped]

    client = boto3.client(
        "s3",
        endpoint_url=endpoint_url or None,
        aws_access_key_id=access_key or None,
        aws_secret_access_key=secret_key or None,
        region_name=region,
    )
    return S3Store(client, bucket)
