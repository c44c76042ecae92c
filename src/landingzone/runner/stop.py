"""SIGINT and SIGTERM stop a fleet run cleanly instead of killing it half-way.

The handler only raises a flag. Each running job sees it through ansible-runner's cancel
callback (polled every few seconds), which ends the job's whole process group; the run then
ends the ordinary way: its partial events removed, its evidence written with the hosts it did
not reach, its lock released. Municipalities that had not started yet do not start. A second
signal of the same kind is not caught, for an operator who really wants out at once.
"""

import contextlib
import signal
import threading
from collections.abc import Iterator

_requested = threading.Event()
_received: list[int] = []


def stop_requested() -> bool:
    """ansible-runner's cancel_callback: True once the operator asked the run to stop."""
    return _requested.is_set()


def stopping_signal() -> int | None:
    """The signal that asked the run to stop, or None."""
    return _received[0] if _received else None


def _handle(signum, frame) -> None:
    _received.append(signum)
    _requested.set()
    # The next one of the same kind acts as it would without us.
    signal.signal(signum, signal.SIG_DFL if signum == signal.SIGTERM else signal.default_int_handler)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within: SIGINT and SIGTERM ask the run to stop. Only from the main thread."""
    previous = {sig: signal.signal(sig, _handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _requested.clear()
        _received.clear()
