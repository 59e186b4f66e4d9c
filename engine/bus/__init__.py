"""The event bus: outbox rows relayed to Redis Streams (or an in-process twin) and the consumers.

See docs/events.md. Nothing in the pure core imports this package (import-linter contract).
"""

from engine.bus.base import BusEvent, BusUnavailableError, Consumer, Delivery, EventBus

__all__ = ["BusEvent", "BusUnavailableError", "Consumer", "Delivery", "EventBus"]
