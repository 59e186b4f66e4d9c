"""The `diana` command line: writers' and admins' front-end over the engine's services."""
