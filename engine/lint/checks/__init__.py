"""Built-in checks; importing this package registers them all."""

from engine.lint.checks import expressions, references, shape, text, values  # noqa: F401
