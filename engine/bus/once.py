"""Apply an event's Redis effects exactly once: the dedupe mark and the effects in one Lua script.

Redis runs a script atomically, so either the event id is marked seen AND every effect is applied,
or (seen before) nothing is. A redelivered event — the relay republished it, or a consumer died after
the effect and before XACK — finds its mark and changes nothing. Marks expire after ``ttl`` seconds,
which must outlive any redelivery (the outbox keeps published rows as long: RelayTuning.retention).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# KEYS[1]: the event's dedupe mark; KEYS[1+i]: op i's key. ARGV[1]: mark TTL; then per op:
# name, number, member, key TTL (0: none).
_SCRIPT = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) == false then return 0 end
local a = 2
for i = 2, #KEYS do
  local op, n, member, ttl = ARGV[a], ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3])
  if op == 'zincrby' then redis.call('ZINCRBY', KEYS[i], n, member)
  elseif op == 'zaddgt' then redis.call('ZADD', KEYS[i], 'GT', n, member)
  elseif op == 'hincrby' then redis.call('HINCRBY', KEYS[i], member, n)
  end
  if ttl > 0 then redis.call('EXPIRE', KEYS[i], ttl) end
  a = a + 4
end
return 1
"""

DEDUPE_TTL = 8 * 24 * 3600  # longer than the outbox retention (7 days)


@dataclass(frozen=True, slots=True)
class Op:
    """One effect: ``zincrby`` key by number for member, ``zaddgt`` member at number (only raising it),
    ``hincrby`` field ``member`` of hash key by number."""

    name: str
    key: str
    number: float | int
    member: str
    ttl: int = 0


class ApplyOnce:
    def __init__(self, client: Any, *, ttl: int = DEDUPE_TTL) -> None:
        self.client = client
        self.ttl = ttl
        self.script = client.register_script(_SCRIPT)

    async def queue(self, pipe: Any, mark: str, ops: Sequence[Op]) -> None:
        """Add one event's script call to a pipeline (one round trip for a whole batch)."""
        args: list[object] = [self.ttl]
        for op in ops:
            args += [op.name, op.number, op.member, op.ttl]
        await self.script(keys=[mark, *(op.key for op in ops)], args=args, client=pipe)
