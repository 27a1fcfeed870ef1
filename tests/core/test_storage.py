import hashlib

import pytest

from eoffice.core.errors import NotFound, StorageCorrupted
from eoffice.core.storage import FileStore


def test_put_get_round_trip_named_by_sha256(tmp_path):
    store = FileStore(tmp_path)
    data = b"%PDF-1.7 van ban"
    digest = store.put(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert store.get(digest) == data
    assert store.put(data) == digest  # same content, same name, no rewrite


def test_tampered_file_is_refused(tmp_path):
    store = FileStore(tmp_path)
    digest = store.put(b"original")
    path = tmp_path / digest[:2] / digest[2:4] / digest
    path.chmod(0o644)
    path.write_bytes(b"changed!")
    with pytest.raises(StorageCorrupted) as info:
        store.get(digest)
    assert "thay đổi" in info.value.message


def test_missing_and_malformed_names(tmp_path):
    store = FileStore(tmp_path)
    with pytest.raises(NotFound):
        store.get("0" * 64)
    with pytest.raises(NotFound):
        store.get("../../etc/passwd")
