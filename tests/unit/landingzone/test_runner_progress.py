"""Progress per municipality: plain lines when not on a terminal, redrawn bars when on one."""

import io

from landingzone.runner.events import Progress
from landingzone.runner.progress import ProgressBoard


def test_plain_lines_only_when_a_host_finishes_or_the_run_ends():
    stream = io.StringIO()
    board = ProgressBoard(stream, interactive=False)
    board.update(Progress("gent", 0, 2, 0, 0))
    board.update(Progress("gent", 0, 2, 5, 1))  # controls counted, no host done: no new line
    board.update(Progress("gent", 1, 2, 120, 30))
    board.update(Progress("aalst", 0, 1, 0, 0))
    board.update(Progress("gent", 2, 2, 240, 60, finished=True))
    assert stream.getvalue().splitlines() == [
        "gent: hosts 0/2, controls 0 passed, 0 failed (running)",
        "gent: hosts 1/2, controls 120 passed, 30 failed (running)",
        "aalst: hosts 0/1, controls 0 passed, 0 failed (running)",
        "gent: hosts 2/2, controls 240 passed, 60 failed (finished)",
    ]
    assert "\x1b" not in stream.getvalue()


def test_on_a_terminal_every_municipality_keeps_one_redrawn_bar():
    stream = io.StringIO()
    board = ProgressBoard(stream, interactive=True)
    board.update(Progress("gent", 1, 2, 10, 2))
    board.update(Progress("aalst", 0, 1, 0, 0))
    board.update(Progress("gent", 2, 2, 20, 4, finished=True))
    last_frame = stream.getvalue().rsplit("\x1b[2F", 1)[1]
    assert "gent  [####################] 2/2 hosts  20 passed  4 failed  done" in last_frame
    assert "aalst [--------------------] 0/1 hosts" in last_frame
