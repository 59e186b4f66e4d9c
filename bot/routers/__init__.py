"""One router per concern; order matters: the fallback router (unknown commands) comes last."""
