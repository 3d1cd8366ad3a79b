"""The per-version cache: one entry per data version and arguments, shared by equal versions, bounded."""

from __future__ import annotations

from aikg.errors import StoreUnavailable
from aikg.graph.cache import SIZE, per_version
from aikg.store import DatasetInfo


class FakeVersioned:
    """Only what the cache reads from a store: its data version."""

    cache_scope = ""

    def __init__(self, version: str) -> None:
        self.version = version

    @property
    def info(self) -> DatasetInfo:
        if self.version == "dead":
            raise StoreUnavailable("the store does not answer")
        return DatasetInfo(self.version, "2024-01-01T00:00:00+00:00")


def test_one_computation_per_version_and_arguments():
    calls = []

    @per_version
    def count(store, n=1):
        calls.append((store.info.version, n))
        return len(calls)

    a, b = FakeVersioned("v1"), FakeVersioned("v1")
    assert count(a) == count(a) == count(b) == 1  # the same data, whichever store object holds it
    assert count(a, 2) == 2
    a.version = "v2"
    assert count(a) == 3 and a in count and b in count
    assert calls == [("v1", 1), ("v1", 2), ("v2", 1)]


def test_two_stores_with_the_same_version_but_another_scope_do_not_share_answers():
    """An embedded store and the remote store it was published to hold the same version, and in one process
    (the store compatibility suite) neither may answer for the other."""
    calls = []

    @per_version
    def who(store):
        calls.append(store.cache_scope)
        return store.cache_scope

    local, remote = FakeVersioned("v1"), FakeVersioned("v1")
    remote.cache_scope = "http://127.0.0.1:7878/query"
    assert who(local) == "" and who(remote) == "http://127.0.0.1:7878/query"
    assert who(local) == "" and calls == ["", "http://127.0.0.1:7878/query"]


def test_the_cache_is_bounded():
    @per_version
    def version(store):
        return store.info.version

    store = FakeVersioned("v0")
    for i in range(10 * SIZE):
        store.version = f"v{i}"
        assert version(store) == store.version
    assert len(version) == SIZE
    store.version = "v0"
    assert store not in version


def test_a_store_that_cannot_say_its_version_has_nothing_cached():
    @per_version(size=2)
    def version(store):
        return store.info.version

    assert FakeVersioned("dead") not in version


def test_one_build_per_key_and_other_keys_go_ahead():
    import threading

    release, started = threading.Event(), threading.Event()
    calls = []

    @per_version
    def slow(store, n):
        calls.append(n)
        if n == 1:
            started.set()
            assert release.wait(10)
        return n * 10

    store = FakeVersioned("v1")
    got = []
    first = [threading.Thread(target=lambda: got.append(slow(store, 1))) for _ in range(3)]
    for t in first:
        t.start()
    assert started.wait(10)
    assert slow(store, 2) == 20  # another key is not held up by the build in progress
    release.set()
    for t in first:
        t.join(10)
    assert got == [10, 10, 10] and calls.count(1) == 1 and calls.count(2) == 1
