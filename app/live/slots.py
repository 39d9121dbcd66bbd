"""How many event streams each user and each client address holds open, in this process.

A stream holds a connection, a file descriptor and a task for as long as its page is open,
so a rate budget cannot bound it: one client could open streams slowly and keep them all.
What bounds it is a count. Counts are per process (an instance's own descriptors are what a
client exhausts), kept in memory, and given back the moment a stream ends.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

Refusal = Literal["user", "address"]


class StreamSlots:
    def __init__(self, *, per_user: int, per_address: int) -> None:
        self.per_user = per_user
        self.per_address = per_address
        self._users: Counter[str] = Counter()
        self._addresses: Counter[str] = Counter()

    def take(self, user: str | None, address: str) -> Refusal | None:
        """Count one more stream for both; None when allowed, else which cap refused it."""
        if user is not None and self._users[user] >= self.per_user:
            return "user"
        if self._addresses[address] >= self.per_address:
            return "address"
        if user is not None:
            self._users[user] += 1
        self._addresses[address] += 1
        return None

    def give_back(self, user: str | None, address: str) -> None:
        if user is not None:
            _decrement(self._users, user)
        _decrement(self._addresses, address)

    def held(self) -> int:
        """Streams open in this process (each counts once, against its address)."""
        return sum(self._addresses.values())


def _decrement(counts: Counter[str], key: str) -> None:
    counts[key] -= 1
    if counts[key] <= 0:
        del counts[key]  # so the counters hold only who holds a stream now
