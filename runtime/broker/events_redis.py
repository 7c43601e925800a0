"""The event bus over Redis pub/sub: events published on one gateway reach the
subscribers of every gateway on the same Redis server.

:class:`RedisEventBus` keeps the in-process bus's semantics for its own subscribers
(subscriptions belong to a plugin identity, bounded queues that drop and count when
full, delivery on the bus's thread to exactly one instance) and moves the fan-out
between runtimes to one Redis channel, ``<prefix>events``. A publish is sent to Redis
only; every runtime, the publisher's included, queues the event when Redis hands it
back, so each subscriber sees each event once and in the order Redis gave it.

An event's origin names the runtime's ``node`` (``plugin:<identity>@<node>``): give
each gateway its own. Redis pub/sub delivers to the runtimes connected at that moment
(at most once, no history); while the connection is down publishes fail with
``SERVICE_UNAVAILABLE`` and the listener reconnects by itself.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from host_abi.errors import ErrorCode
from host_abi.limits import EVENT_QUEUE_LENGTH

from ..errors import ServiceFailure
from .events import DIRECTIONS, Deliver, Event, EventBus
from .kv_redis import _split_options, redacted_url
from .services import OpError

__all__ = ["RedisEventBus", "is_redis_url"]

log = logging.getLogger("runtime.events")


class RedisEventBus(EventBus):
    """``RedisEventBus(deliver, "redis://127.0.0.1:6379/0?prefix=gps:", node="gw-1")``."""

    def __init__(self, deliver: Deliver, url: str, node: str = "local",
                 queue_length: int = EVENT_QUEUE_LENGTH, *, connect_timeout: float = 5.0) -> None:
        import redis
        self._redis = redis
        clean, options = _split_options(url, ("prefix",))
        self.url = redacted_url(url)
        self.channel = f"{options.get('prefix', 'gps:')}events"
        self.received = 0
        self.client = redis.Redis.from_url(clean, socket_connect_timeout=connect_timeout,
                                           socket_timeout=10, health_check_interval=30)
        self._pubsub = self.client.pubsub()
        try:
            self._pubsub.subscribe(self.channel)
            end = time.monotonic() + connect_timeout
            while True:  # wait for the subscription to be confirmed: nothing published after
                msg = self._pubsub.get_message(timeout=max(0.01, end - time.monotonic()))
                if msg is not None and msg.get("type") == "subscribe":
                    break
                if time.monotonic() >= end:
                    raise ServiceFailure(f"no subscription confirmed by {self.url} within "
                                         f"{connect_timeout} s", code=ErrorCode.SERVICE_UNAVAILABLE)
        except redis.exceptions.RedisError as exc:
            self._pubsub.close()
            self.client.close()
            raise ServiceFailure(f"the Redis event bus at {self.url} is unreachable: {exc}",
                                 code=ErrorCode.SERVICE_UNAVAILABLE) from None
        super().__init__(deliver, node=node, queue_length=queue_length)
        self._stop = threading.Event()
        self._listener = threading.Thread(target=self._listen, name="event-bus-redis", daemon=True)
        self._listener.start()

    def publish(self, plugin: str, topic: str, payload: bytes, direction: int) -> Event:
        event = Event(str(uuid.uuid4()), topic, f"plugin:{plugin}@{self.node}",
                      direction if direction in DIRECTIONS else 0, payload)
        doc = json.dumps({"id": event.id, "topic": event.topic, "origin": event.origin,
                          "direction": event.direction, "payload": payload.decode("latin-1")})
        try:
            self.client.publish(self.channel, doc)
        except self._redis.exceptions.RedisError as exc:
            raise OpError(ErrorCode.SERVICE_UNAVAILABLE,
                          f"publishing to the Redis event bus at {self.url} failed: {exc}") from None
        with self._lock:
            self.published += 1
        return event

    @staticmethod
    def _event(data: Any) -> Event:
        doc = json.loads(data)
        return Event(str(doc["id"]), str(doc["topic"]), str(doc["origin"]), int(doc["direction"]),
                     str(doc["payload"]).encode("latin-1"))

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
            except self._redis.exceptions.RedisError as exc:
                if self._stop.is_set():
                    return
                log.warning("the Redis event bus at %s: %s (reconnecting)", self.url, exc)
                self._stop.wait(0.5)
                continue
            except ValueError:  # the connection was closed under us by close()
                return
            if msg is None or msg.get("type") != "message":
                continue
            try:
                event = self._event(msg["data"])
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("ignoring a malformed message on %s: %s", self.channel, exc)
                continue
            with self._lock:
                self.received += 1
            self._fan_out(event)

    def statistics(self) -> dict[str, int]:
        stats = super().statistics()
        with self._lock:
            stats["received"] = self.received
        return stats

    def close(self) -> None:
        self._stop.set()
        self._listener.join(timeout=2)
        try:
            self._pubsub.close()
            self.client.close()
        except self._redis.exceptions.RedisError:
            pass
        super().close()


def is_redis_url(url: str) -> bool:
    return urlsplit(url).scheme.lower() in ("redis", "rediss", "unix")
