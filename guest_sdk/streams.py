"""The sender a streaming hook writes its chunks to."""

from __future__ import annotations

from typing import Callable, Generic, TypeVar

from .errors import StreamCancelled

__all__ = ["ChunkStream"]

T = TypeVar("T")


class ChunkStream(Generic[T]):
    """Sends each chunk to the host as it is produced (op ``stream.emit``).

    ``send`` returns once the host has taken the chunk; it raises
    :class:`~guest_sdk.errors.StreamCancelled` when the receiver has gone away, which
    the SDK treats as a normal end of the hook.
    """

    __slots__ = ("_emit", "_type", "sent")

    def __init__(self, emit: Callable[[T], bool], chunk_type: type[T]) -> None:
        self._emit = emit
        self._type = chunk_type
        self.sent = 0

    def send(self, chunk: T) -> None:
        if not isinstance(chunk, self._type):
            raise TypeError(f"stream.send takes a {self._type.__name__}, "
                            f"not {type(chunk).__name__}")
        cancel = self._emit(chunk)
        self.sent += 1
        if cancel:
            raise StreamCancelled("the receiver cancelled the stream")
