"""Content-addressed file store.

A file is named by the SHA-256 of its bytes and stored under
``<root>/<h[:2]>/<h[2:4]>/<h>``. Files are written atomically (temporary name, then
rename), never overwritten, and their checksum is verified on every read: a file
that changed on disk raises :class:`StorageCorrupted` instead of serving bad bytes.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from eoffice.core.errors import NotFound, StorageCorrupted

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def digest_of(data: bytes) -> str:
    """The name the store gives ``data`` (its SHA-256, hex)."""
    return hashlib.sha256(data).hexdigest()


class FileStore:
    """Stores immutable blobs by their SHA-256 digest."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, digest: str) -> Path:
        if not _DIGEST.match(digest):
            raise NotFound("Không tìm thấy tệp.", details={"digest": digest})
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its SHA-256 hex digest."""
        digest = digest_of(data)
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o444)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        """Return the bytes stored under ``digest``, verified."""
        path = self._path(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise NotFound("Không tìm thấy tệp.", details={"digest": digest}) from None
        actual = digest_of(data)
        if actual != digest:
            raise StorageCorrupted(
                "Tệp lưu trữ đã bị thay đổi (sai mã kiểm tra).",
                details={"digest": digest, "actual": actual},
            )
        return data

    def exists(self, digest: str) -> bool:
        """Whether a blob with this digest is stored."""
        return self._path(digest).exists()


def file_store() -> FileStore:
    """The configured store of the current app (``STORAGE_DIR``)."""
    from flask import current_app

    return FileStore(current_app.config["STORAGE_DIR"])
