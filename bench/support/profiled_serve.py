"""``diana serve`` under pyinstrument (for ``bench/webhook.py --profile``): the report is written to the
path given as the first argument when the server stops (SIGTERM)."""

from __future__ import annotations

import sys
from pathlib import Path

from pyinstrument import Profiler


def main() -> None:
    report = Path(sys.argv[1])
    sys.argv = ["diana", "serve"]
    profiler = Profiler(interval=0.001, async_mode="disabled")
    profiler.start()
    try:
        from cli.main import main as diana

        diana()
    except SystemExit:
        pass
    finally:
        session = profiler.stop()
        session.save(str(report.with_suffix(".pyisession")))  # re-render: pyinstrument --load=...
        report.write_text(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
