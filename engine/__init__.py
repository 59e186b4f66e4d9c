"""Diana's engine: the pure story core (content, expr, play, economy, lint, mood) and its adapters."""
