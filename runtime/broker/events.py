"""The in-process event bus behind the ``events.*`` ops.

Subscriptions belong to a plugin (its operator-assigned identity), not to an
instance. Each subscriber has a bounded queue; when it is full, new events for that
subscriber are dropped, counted and logged. Delivery runs on one thread per bus,
through a callback the runtime provides (it runs the plugin's ``on_event`` hook on
exactly one instance).
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from dataclasses import dataclass, field
from typing import Callable

from host_abi.limits import EVENT_QUEUE_LENGTH

__all__ = ["EventBus", "Event", "Subscription", "DIRECTIONS"]

log = logging.getLogger("runtime.events")

#: Direction numbers: 0 local, 1 up (edge to control), 2 down (control to edges).
DIRECTIONS = {0: "local", 1: "up", 2: "down"}


@dataclass(frozen=True)
class Event:
    id: str
    topic: str
    origin: str
    direction: int
    payload: bytes


@dataclass
class Subscription:
    id: str
    plugin: str
    topic: str | None  # None: every topic
    handler: str
    queue: "queue.Queue[Event]" = field(default_factory=lambda: queue.Queue(EVENT_QUEUE_LENGTH))
    dropped: int = 0


Deliver = Callable[[Subscription, Event], None]


class EventBus:
    """Publish/subscribe inside one runtime. ``node`` names this node in event origins."""

    def __init__(self, deliver: Deliver, node: str = "local",
                 queue_length: int = EVENT_QUEUE_LENGTH) -> None:
        self._deliver = deliver
        self.node = node
        self.queue_length = queue_length
        self._subs: dict[str, Subscription] = {}
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._closed = False
        self.published = 0
        self._thread = threading.Thread(target=self._run, name="event-bus", daemon=True)
        self._thread.start()

    def publish(self, plugin: str, topic: str, payload: bytes, direction: int) -> Event:
        """Publish from ``plugin``; the origin is ``plugin:<identity>@<node>``."""
        event = Event(str(uuid.uuid4()), topic, f"plugin:{plugin}@{self.node}",
                      direction if direction in DIRECTIONS else 0, payload)
        with self._lock:
            self.published += 1
        self._fan_out(event)
        return event

    def _fan_out(self, event: Event) -> None:
        """Queue ``event`` for every local subscriber of its topic."""
        topic = event.topic
        with self._lock:
            for sub in self._subs.values():
                if sub.topic is None or sub.topic == topic:
                    try:
                        sub.queue.put_nowait(event)
                    except queue.Full:
                        sub.dropped += 1
                        log.warning("event %s on %r dropped for subscriber %s (plugin %s): queue "
                                    "of %d full (%d dropped so far)", event.id, topic, sub.id,
                                    sub.plugin, self.queue_length, sub.dropped)
            self._wake.notify_all()

    def subscribe(self, plugin: str, topic: str | None, handler: str = "") -> Subscription:
        sub = Subscription(str(uuid.uuid4()), plugin, topic, handler,
                           queue.Queue(self.queue_length))
        with self._lock:
            self._subs[sub.id] = sub
        return sub

    def unsubscribe(self, plugin: str, subscription_id: str) -> bool:
        """Remove a subscription of ``plugin`` (another plugin's id is not found)."""
        with self._lock:
            sub = self._subs.get(subscription_id)
            if sub is None or sub.plugin != plugin:
                return False
            del self._subs[subscription_id]
            return True

    def unsubscribe_plugin(self, plugin: str) -> None:
        with self._lock:
            for sid in [s for s, sub in self._subs.items() if sub.plugin == plugin]:
                del self._subs[sid]

    def statistics(self) -> dict[str, int]:
        with self._lock:
            return {"published": self.published, "subscriptions": len(self._subs),
                    "dropped": sum(s.dropped for s in self._subs.values()),
                    "queued": sum(s.queue.qsize() for s in self._subs.values())}

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until every queue is empty (for tests); False on timeout."""
        import time
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if all(s.queue.empty() for s in self._subs.values()) and not self._busy:
                    return True
            time.sleep(0.001)
        return False

    _busy = False

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._closed and all(s.queue.empty() for s in self._subs.values()):
                    self._wake.wait(0.5)
                if self._closed:
                    return
                work = [(s, s.queue.get_nowait()) for s in self._subs.values() if not s.queue.empty()]
                self._busy = True
            for sub, event in work:
                try:
                    self._deliver(sub, event)
                except Exception:  # the deliver callback reports its own failures
                    log.exception("delivering event %s to plugin %s failed", event.id, sub.plugin)
            with self._lock:
                self._busy = False

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._wake.notify_all()
        self._thread.join(timeout=2)
