"""The `tinhgon` console script. It imports nothing heavy before it knows the command.

`plan solve` and `plan check` go straight to their argparse definitions (tinhgon.planner.filecli):
on a 1,000-unit map building the whole Typer command tree would take longer than the solve. Every
other command goes through the Typer application in tinhgon.cli.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from tinhgon.errors import TinhgonError

_FAST = {("plan", "solve"), ("plan", "check")}


def guarded(run: Callable[[], int | None],
            extra: tuple[tuple[type[BaseException], Callable[[BaseException], int]], ...] = ()) -> None:
    """Run a command and turn every failure into one message and the exit code of FORMATS.md.

    `extra` maps further exception types (Click's, for the Typer path) to their exit code.
    """
    try:
        rv = run()
    except TinhgonError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        print("Đã dừng theo yêu cầu.", file=sys.stderr)
        sys.exit(3)
    except Exception as exc:  # never a bare traceback for the user
        for kind, handle in extra:
            if isinstance(exc, kind):
                sys.exit(handle(exc))
        if os.environ.get("TINHGON_DEBUG"):
            raise
        print(f"Lỗi: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(3)
    sys.exit(rv if isinstance(rv, int) else 0)


def main() -> None:
    argv = sys.argv[1:]
    if tuple(argv[:2]) in _FAST:
        # The planner does no linear algebra: without this, numpy's import starts a BLAS thread per
        # core (in every pool worker too), about 30 ms of wall time and more of CPU on each start.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        from tinhgon.planner.filecli import main as plan_main

        guarded(lambda: plan_main(argv[1:]))
    from tinhgon.cli import main as typer_main

    typer_main()
