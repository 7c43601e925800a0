"""The event a subscriber receives."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["Event"]


@dataclass(frozen=True, slots=True)
class Event:
    """One event from the bus. ``origin`` is the publisher's identity as the host saw it."""

    id: str
    topic: str
    origin: str
    direction: int
    payload: bytes
    subscription_id: str = ""

    def json(self) -> Any:
        """The payload parsed as JSON."""
        return json.loads(self.payload)
