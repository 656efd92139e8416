"""Free pages of the C heap go back to the system when asked."""

from __future__ import annotations

import platform

import psutil
import pytest

from helpdesk_kit.memory import release_free_memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_freed_blocks_inside_the_heap_are_given_back_to_the_system() -> None:
    me = psutil.Process()
    # Blocks under glibc's mmap threshold come from the heap; every other one freed leaves
    # holes no ordinary free() returns (only the heap's top is).
    blocks = [bytearray(b"\1" * 100_000) for _ in range(400)]
    del blocks[::2]
    before = me.memory_info().rss
    assert release_free_memory()
    assert before - me.memory_info().rss > 10 * 2**20
    assert len(blocks) == 200
