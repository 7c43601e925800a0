from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class ConfigSchemaRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ConfigSchemaResponse(_message.Message):
    __slots__ = ("success", "schema_json", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    schema_json: str
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., schema_json: _Optional[str] = ..., error_message: _Optional[str] = ...) -> None: ...

class ConfigPingRequest(_message.Message):
    __slots__ = ("timestamp",)
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    timestamp: int
    def __init__(self, timestamp: _Optional[int] = ...) -> None: ...

class ConfigPingResponse(_message.Message):
    __slots__ = ("timestamp", "healthy")
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    HEALTHY_FIELD_NUMBER: _ClassVar[int]
    timestamp: int
    healthy: bool
    def __init__(self, timestamp: _Optional[int] = ..., healthy: _Optional[bool] = ...) -> None: ...

class GetManifestRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetManifestResponse(_message.Message):
    __slots__ = ("success", "manifest_json", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    manifest_json: str
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., manifest_json: _Optional[str] = ..., error_message: _Optional[str] = ...) -> None: ...
