"""Writing one unit while the next computes: the batch runner's write-behind.

A unit's outputs (its encoding and compression: a gzipped NIfTI, a 4096 x 4096 PNG, a DICOM-SEG) are
written, and renamed into place atomically, in one background thread while the network works on the
next unit. One write in flight only: before the next is handed over, the previous one finishes, so
memory holds at most one finished unit beside the one computing. Results come back in unit order;
a write that fails is its own unit's one-line failure, and the batch goes on.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, TypeVar

Result = TypeVar("Result")


class WriteBehind:
    def __init__(self, record: Callable[[Result], None]):
        self.record = record  # called with each unit's result, in unit order, in the caller's thread
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="write-behind")
        self.in_flight: Future | None = None

    def write(self, finish: Callable[[], Result]) -> None:
        """Run ``finish`` (a unit's writing, returning its result) in the background, once the write
        before it has finished and been recorded."""
        self.settle()
        self.in_flight = self.executor.submit(finish)

    def done(self, result: Result) -> None:
        """Record a unit that needed no writing (skipped, failed before writing), after the one in flight."""
        self.settle()
        self.record(result)

    def settle(self) -> None:
        """Wait for the write in flight and record its unit."""
        if self.in_flight is not None:
            future, self.in_flight = self.in_flight, None
            self.record(future.result())

    def close(self) -> None:
        """Finish the write in flight (an interrupted batch keeps the unit it had computed) and stop."""
        try:
            self.settle()
        finally:
            self.executor.shutdown(wait=True)
