"""The story interpreter: state x bundle x action -> view + new state + events. Pure and deterministic."""

from engine.play.actions import (
    Action,
    Choose,
    Continue,
    EnterChapter,
    NextChapter,
    Refresh,
    Restart,
    Say,
    Start,
)
from engine.play.interpreter import Context, Settled, Step, play, resume, settle
from engine.play.state import STATE_FORMAT, PlayerState, StateFormatError, new_state
from engine.play.view import Button, View

__all__ = [
    "STATE_FORMAT",
    "Action",
    "Button",
    "Choose",
    "Context",
    "Continue",
    "EnterChapter",
    "NextChapter",
    "PlayerState",
    "Refresh",
    "Restart",
    "Say",
    "Settled",
    "Start",
    "StateFormatError",
    "Step",
    "View",
    "new_state",
    "play",
    "resume",
    "settle",
]
