from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class PublishRequest(_message.Message):
    __slots__ = ("topic", "payload", "direction", "plugin_id")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_ID_FIELD_NUMBER: _ClassVar[int]
    topic: str
    payload: bytes
    direction: int
    plugin_id: str
    def __init__(self, topic: _Optional[str] = ..., payload: _Optional[bytes] = ..., direction: _Optional[int] = ..., plugin_id: _Optional[str] = ...) -> None: ...

class PublishResponse(_message.Message):
    __slots__ = ("success", "error_message", "event_id")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    success: bool
    error_message: str
    event_id: str
    def __init__(self, success: _Optional[bool] = ..., error_message: _Optional[str] = ..., event_id: _Optional[str] = ...) -> None: ...

class SubscribeRequest(_message.Message):
    __slots__ = ("topic", "subscribe_all", "plugin_id")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBE_ALL_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_ID_FIELD_NUMBER: _ClassVar[int]
    topic: str
    subscribe_all: bool
    plugin_id: str
    def __init__(self, topic: _Optional[str] = ..., subscribe_all: _Optional[bool] = ..., plugin_id: _Optional[str] = ...) -> None: ...

class EventMessage(_message.Message):
    __slots__ = ("id", "topic", "origin", "direction", "payload")
    ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    id: str
    topic: str
    origin: str
    direction: int
    payload: bytes
    def __init__(self, id: _Optional[str] = ..., topic: _Optional[str] = ..., origin: _Optional[str] = ..., direction: _Optional[int] = ..., payload: _Optional[bytes] = ...) -> None: ...

class UnsubscribeRequest(_message.Message):
    __slots__ = ("subscription_id",)
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    def __init__(self, subscription_id: _Optional[str] = ...) -> None: ...

class UnsubscribeResponse(_message.Message):
    __slots__ = ("success", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., error_message: _Optional[str] = ...) -> None: ...
