"""Where the leaderboards live in Redis, and how a score is stored so Redis ranks like the database.

The database ranks by score (points: more is better; chapter completion: earlier is better) and then
by user id. Redis orders equal scores by member, byte-wise: so members are zero-padded user ids and
points are stored negated — ``ZRANGE 0 9`` is then the top 10 and ``ZRANK`` the rank, in exactly the
database's order (engine.services.leaderboards keeps the one definition of that order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

MEMBER_WIDTH = 20  # digits: any 64-bit user id
WEEK_TTL = 60 * 24 * 3600  # a week's board is kept ~2 months after its last update


def member(user_id: int) -> str:
    return str(user_id).zfill(MEMBER_WIDTH)


def user_of(value: bytes | str) -> int:
    return int(value.decode() if isinstance(value, bytes) else value)


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def completion_score(moment: datetime) -> int:
    """Completion time as integer microseconds since the epoch (exact in a double until year 2255)."""
    return int(moment.astimezone(UTC).timestamp() * 1_000_000)


def completion_time(score: float) -> datetime:
    return datetime.fromtimestamp(score / 1_000_000, UTC)


@dataclass(frozen=True, slots=True)
class BoardKeys:
    prefix: str = "diana:"

    def all_time(self) -> str:
        return f"{self.prefix}lb:all"

    def week(self, week: str) -> str:
        return f"{self.prefix}lb:week:{week}"

    def chapter(self, chapter: str) -> str:
        return f"{self.prefix}lb:chapter:{chapter}"

    def seen(self, group: str, event_id: str) -> str:
        return f"{self.prefix}seen:{group}:{event_id}"

    def stats(self, day: str) -> str:
        return f"{self.prefix}stats:{day}"
