"""What the relay, the buses and the consumers agree on: an event, a delivery, two small protocols.

Delivery is at least once: an event can arrive twice (a relay that died after publishing and before
marking its rows; a consumer that died after its effect and before its acknowledgement). Consumers
make that harmless by deduplicating on ``BusEvent.event_id``, the outbox's unique id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol


class BusUnavailableError(ConnectionError):
    """The bus could not take or hand out events (Redis down): nothing was lost, retry later."""


@dataclass(frozen=True, slots=True)
class BusEvent:
    """One outbox row on its way to the consumers."""

    event_id: str
    type: str
    user_id: int | None
    created_at: datetime  # when the service's transaction wrote it (UTC): lag is measured from here
    payload: Mapping[str, Any] = field(default_factory=dict)

    def to_fields(self) -> dict[str, str]:
        """A stream entry's fields (Redis stores flat strings)."""
        return {
            "id": self.event_id,
            "type": self.type,
            "user": "" if self.user_id is None else str(self.user_id),
            "at": self.created_at.isoformat(),
            "payload": json.dumps(dict(self.payload), ensure_ascii=False, separators=(",", ":")),
        }

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> BusEvent:
        created = datetime.fromisoformat(fields["at"])
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        user = fields.get("user", "")
        return cls(
            event_id=fields["id"],
            type=fields["type"],
            user_id=int(user) if user else None,
            created_at=created,
            payload=json.loads(fields.get("payload") or "{}"),
        )


@dataclass(frozen=True, slots=True)
class Delivery:
    """An event handed to a consumer group; ``entry_id`` is what the consumer acknowledges."""

    entry_id: str
    event: BusEvent


class EventBus(Protocol):
    """Redis Streams semantics: append-only log, consumer groups, per-group pending entries."""

    async def publish(self, events: Sequence[BusEvent]) -> None:
        """Append in order; raises BusUnavailableError when nothing could be appended."""

    async def ensure_group(self, group: str) -> None:
        """Create the group (reading from the start of the log) if it does not exist."""

    async def read(self, group: str, consumer: str, count: int, block_ms: int) -> list[Delivery]:
        """New events for this consumer of the group, waiting up to ``block_ms`` for some."""

    async def read_own_pending(self, group: str, consumer: str, count: int) -> list[Delivery]:
        """Events delivered to this consumer name and never acknowledged (it crashed, it failed)."""

    async def claim_stale(self, group: str, consumer: str, idle_ms: int, count: int) -> list[Delivery]:
        """Take over events another consumer of the group has held unacknowledged for ``idle_ms``."""

    async def ack(self, group: str, entry_ids: Sequence[str]) -> None:
        """Done with these: they leave the group's pending list."""

    async def pending(self, group: str) -> int:
        """How many events the group has been handed and not acknowledged."""

    async def close(self) -> None: ...


class Consumer(Protocol):
    """One consumer group's work. ``apply`` must be idempotent by event id and raise to retry."""

    group: str

    async def apply(self, events: Sequence[BusEvent]) -> None: ...
