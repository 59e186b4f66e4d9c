"""Built-in checks; importing this package registers them all."""

from engine.lint.checks import (  # noqa: F401
    expressions,
    graph,
    moods,
    references,
    shape,
    softlocks,
    text,
    values,
    variables,
)
