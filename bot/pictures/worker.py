"""Pictures drawn in a worker process, so the bot's own memory stays flat.

matplotlib costs about 27 MB once imported, and drawing a /progress picture
(trend, calendar, PNG) needs about 30 MB more for a moment; in the bot's process
that would take it past its 150 MB target (bench/progress_picture.py). One
worker process, spawned at the first picture and kept, does the drawing instead:
the bot hands it plain data and gets PNG bytes back, off the event loop. A worker
that died is replaced once, at the next picture.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date

from bot.coach.trend import TrendSeries
from bot.pictures.heatmap import calendar_words
from bot.pictures.trend import render_progress, trend_labels
from content.schema import Library


class DrawingWorker:
    """One spawned process that draws /progress pictures; ``close`` ends it."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the child must not inherit the bot's event loop and sockets.
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn")
            )
        return self._pool

    async def progress(
        self,
        series: TrendSeries | None,
        counts: Mapping[date, int],
        today: date,
        weeks: int,
        library: Library,
    ) -> bytes:
        """The /progress picture as PNG bytes in the library's language, drawn in the worker.

        The worker gets only the words it draws (``calendar_words``, ``trend_labels``),
        never the whole library.
        """
        loop = asyncio.get_running_loop()
        words, labels = calendar_words(library), trend_labels(library)
        arguments = (series, dict(counts), today, weeks, words, labels)
        try:
            return await loop.run_in_executor(self._executor(), render_progress, *arguments)
        except BrokenProcessPool:
            self.close()
            return await loop.run_in_executor(self._executor(), render_progress, *arguments)

    @property
    def pid(self) -> int | None:
        """The worker's process id once it runs (for measuring its memory)."""
        processes = getattr(self._pool, "_processes", None) or {}
        return next(iter(processes), None)

    def close(self) -> None:
        """End the worker (at shutdown); a later picture starts a new one."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
