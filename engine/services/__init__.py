"""Application services: the use cases both front-ends (bot, CLI) call. The only layer that combines
the pure core with the adapters (database, bus, clock)."""
