"""``diana serve`` under a profiler (for ``bench/webhook.py --profile``): the report is written to the
path given as the first argument when the server stops (SIGTERM). A path ending in ``.prof`` gets
cProfile's exact call counts and own times (read with ``pstats``); any other, pyinstrument's sampled
call tree as text (and its session beside it, to re-render)."""

from __future__ import annotations

import cProfile
import sys
from pathlib import Path

from pyinstrument import Profiler


def serve() -> None:
    sys.argv = ["diana", "serve"]
    try:
        from cli.main import main as diana

        diana()
    except SystemExit:
        pass


def main() -> None:
    report = Path(sys.argv[1])
    if report.suffix == ".prof":
        exact = cProfile.Profile()
        exact.enable()
        try:
            serve()
        finally:
            exact.disable()
            exact.dump_stats(str(report))
        return
    profiler = Profiler(interval=0.001, async_mode="disabled")
    profiler.start()
    try:
        serve()
    finally:
        session = profiler.stop()
        session.save(str(report.with_suffix(".pyisession")))  # re-render: pyinstrument --load=...
        report.write_text(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
