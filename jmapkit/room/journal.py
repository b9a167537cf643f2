"""Writing the room's records: one writer thread, a burst of requests shares one write and one fsync.

The event loop never waits on the disk: a request hands its records to the journal and is answered once
they are fsynced. Records that arrive while a write is under way go out together in the next one (group
commit), so fifty phones voting at once cost a few fsyncs, not fifty. Records are applied to the room's
state only after they are on disk, in the order written, so the live tally never shows a vote the file
does not hold.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jmapkit.store import Workshop

Records = list[Mapping[str, Any]]


class Journal:
    """Append records to the workshop's votes files under its lock; await `append` until they are on disk."""

    def __init__(self, ws: Workshop, on_written: Callable[[str, Records], None]) -> None:
        self._ws = ws
        self._on_written = on_written
        self._pending: list[tuple[str, Records, asyncio.Future[None]]] = []
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jmapkit-room-journal")
        self._task: asyncio.Task[None] | None = None
        self.writes = 0  # fsynced writes, for the benchmark's report

    async def append(self, kind: str, records: Records) -> None:
        """Return once `records` are fsynced to votes/<kind>.jsonl (raise if they could not be written)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((kind, records, future))
        if self._task is None:
            self._task = asyncio.create_task(self._drain())
        await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                for kind in dict.fromkeys(k for k, _, _ in batch):
                    mine = [(records, future) for k, records, future in batch if k == kind]
                    lines = [r for records, _ in mine for r in records]
                    try:
                        await loop.run_in_executor(self._pool, self._write, kind, lines)
                    except Exception as exc:  # every waiting request must hear why, not hang
                        for _, future in mine:
                            if not future.done():
                                future.set_exception(exc)
                        continue
                    for records, future in mine:
                        self._on_written(kind, records)
                        if not future.done():
                            future.set_result(None)
        finally:
            self._task = None

    def _write(self, kind: str, lines: Records) -> None:
        self._ws.append_vote(kind, *lines)
        self.writes += 1

    async def close(self) -> None:
        """Finish what is queued, then stop the writer thread."""
        while self._task is not None:
            await asyncio.shield(self._task)
        self._pool.shutdown(wait=True)
