"""Programs the benchmarks start as subprocesses (not benchmarks themselves: `make bench` skips them)."""
