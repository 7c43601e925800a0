from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InitRequest(_message.Message):
    __slots__ = ("config",)
    class ConfigEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    config: _containers.ScalarMap[str, str]
    def __init__(self, config: _Optional[_Mapping[str, str]] = ...) -> None: ...

class InitResponse(_message.Message):
    __slots__ = ("success", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., error_message: _Optional[str] = ...) -> None: ...

class PingRequest(_message.Message):
    __slots__ = ("timestamp",)
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    timestamp: int
    def __init__(self, timestamp: _Optional[int] = ...) -> None: ...

class PingResponse(_message.Message):
    __slots__ = ("timestamp", "healthy")
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    HEALTHY_FIELD_NUMBER: _ClassVar[int]
    timestamp: int
    healthy: bool
    def __init__(self, timestamp: _Optional[int] = ..., healthy: _Optional[bool] = ...) -> None: ...

class ShutdownRequest(_message.Message):
    __slots__ = ("timeout_seconds",)
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    timeout_seconds: int
    def __init__(self, timeout_seconds: _Optional[int] = ...) -> None: ...

class ShutdownResponse(_message.Message):
    __slots__ = ("success",)
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    success: bool
    def __init__(self, success: _Optional[bool] = ...) -> None: ...

class PluginContext(_message.Message):
    __slots__ = ("request_id", "vendor", "llm_id", "llm_slug", "app_id", "user_id", "metadata", "trace_context")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class TraceContextEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    LLM_ID_FIELD_NUMBER: _ClassVar[int]
    LLM_SLUG_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    TRACE_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    vendor: str
    llm_id: int
    llm_slug: str
    app_id: int
    user_id: int
    metadata: _containers.ScalarMap[str, str]
    trace_context: _containers.ScalarMap[str, str]
    def __init__(self, request_id: _Optional[str] = ..., vendor: _Optional[str] = ..., llm_id: _Optional[int] = ..., llm_slug: _Optional[str] = ..., app_id: _Optional[int] = ..., user_id: _Optional[int] = ..., metadata: _Optional[_Mapping[str, str]] = ..., trace_context: _Optional[_Mapping[str, str]] = ...) -> None: ...

class PluginRequest(_message.Message):
    __slots__ = ("method", "path", "headers", "body", "context", "remote_addr")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    REMOTE_ADDR_FIELD_NUMBER: _ClassVar[int]
    method: str
    path: str
    headers: _containers.ScalarMap[str, str]
    body: bytes
    context: PluginContext
    remote_addr: str
    def __init__(self, method: _Optional[str] = ..., path: _Optional[str] = ..., headers: _Optional[_Mapping[str, str]] = ..., body: _Optional[bytes] = ..., context: _Optional[_Union[PluginContext, _Mapping]] = ..., remote_addr: _Optional[str] = ...) -> None: ...

class PluginResponse(_message.Message):
    __slots__ = ("modified", "status_code", "headers", "body", "block", "error_message", "context_updates")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class ContextUpdatesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MODIFIED_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_UPDATES_FIELD_NUMBER: _ClassVar[int]
    modified: bool
    status_code: int
    headers: _containers.ScalarMap[str, str]
    body: bytes
    block: bool
    error_message: str
    context_updates: _containers.ScalarMap[str, str]
    def __init__(self, modified: _Optional[bool] = ..., status_code: _Optional[int] = ..., headers: _Optional[_Mapping[str, str]] = ..., body: _Optional[bytes] = ..., block: _Optional[bool] = ..., error_message: _Optional[str] = ..., context_updates: _Optional[_Mapping[str, str]] = ...) -> None: ...

class AuthRequest(_message.Message):
    __slots__ = ("credential", "auth_type", "request", "context")
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    AUTH_TYPE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    credential: str
    auth_type: str
    request: PluginRequest
    context: PluginContext
    def __init__(self, credential: _Optional[str] = ..., auth_type: _Optional[str] = ..., request: _Optional[_Union[PluginRequest, _Mapping]] = ..., context: _Optional[_Union[PluginContext, _Mapping]] = ...) -> None: ...

class AuthResponse(_message.Message):
    __slots__ = ("authenticated", "user_id", "app_id", "claims", "error_message")
    class ClaimsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    AUTHENTICATED_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    authenticated: bool
    user_id: str
    app_id: str
    claims: _containers.ScalarMap[str, str]
    error_message: str
    def __init__(self, authenticated: _Optional[bool] = ..., user_id: _Optional[str] = ..., app_id: _Optional[str] = ..., claims: _Optional[_Mapping[str, str]] = ..., error_message: _Optional[str] = ...) -> None: ...

class EnrichedRequest(_message.Message):
    __slots__ = ("request", "user_id", "app_id", "auth_claims", "authenticated")
    class AuthClaimsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    AUTH_CLAIMS_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATED_FIELD_NUMBER: _ClassVar[int]
    request: PluginRequest
    user_id: str
    app_id: str
    auth_claims: _containers.ScalarMap[str, str]
    authenticated: bool
    def __init__(self, request: _Optional[_Union[PluginRequest, _Mapping]] = ..., user_id: _Optional[str] = ..., app_id: _Optional[str] = ..., auth_claims: _Optional[_Mapping[str, str]] = ..., authenticated: _Optional[bool] = ...) -> None: ...

class HeadersRequest(_message.Message):
    __slots__ = ("headers", "context")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    headers: _containers.ScalarMap[str, str]
    context: PluginContext
    def __init__(self, headers: _Optional[_Mapping[str, str]] = ..., context: _Optional[_Union[PluginContext, _Mapping]] = ...) -> None: ...

class HeadersResponse(_message.Message):
    __slots__ = ("modified", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MODIFIED_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    modified: bool
    headers: _containers.ScalarMap[str, str]
    def __init__(self, modified: _Optional[bool] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ResponseWriteRequest(_message.Message):
    __slots__ = ("body", "headers", "is_stream_chunk", "context")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    BODY_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    IS_STREAM_CHUNK_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    body: bytes
    headers: _containers.ScalarMap[str, str]
    is_stream_chunk: bool
    context: PluginContext
    def __init__(self, body: _Optional[bytes] = ..., headers: _Optional[_Mapping[str, str]] = ..., is_stream_chunk: _Optional[bool] = ..., context: _Optional[_Union[PluginContext, _Mapping]] = ...) -> None: ...

class ResponseWriteResponse(_message.Message):
    __slots__ = ("modified", "body", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MODIFIED_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    modified: bool
    body: bytes
    headers: _containers.ScalarMap[str, str]
    def __init__(self, modified: _Optional[bool] = ..., body: _Optional[bytes] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class StreamCompleteRequest(_message.Message):
    __slots__ = ("accumulated_response", "headers", "status_code", "context", "chunk_count", "request_body")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ACCUMULATED_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    CHUNK_COUNT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_BODY_FIELD_NUMBER: _ClassVar[int]
    accumulated_response: bytes
    headers: _containers.ScalarMap[str, str]
    status_code: int
    context: PluginContext
    chunk_count: int
    request_body: bytes
    def __init__(self, accumulated_response: _Optional[bytes] = ..., headers: _Optional[_Mapping[str, str]] = ..., status_code: _Optional[int] = ..., context: _Optional[_Union[PluginContext, _Mapping]] = ..., chunk_count: _Optional[int] = ..., request_body: _Optional[bytes] = ...) -> None: ...

class StreamCompleteResponse(_message.Message):
    __slots__ = ("handled", "cached", "error_message")
    HANDLED_FIELD_NUMBER: _ClassVar[int]
    CACHED_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    handled: bool
    cached: bool
    error_message: str
    def __init__(self, handled: _Optional[bool] = ..., cached: _Optional[bool] = ..., error_message: _Optional[str] = ...) -> None: ...

class GetAppRequest(_message.Message):
    __slots__ = ("credential", "context")
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    credential: str
    context: PluginContext
    def __init__(self, credential: _Optional[str] = ..., context: _Optional[_Union[PluginContext, _Mapping]] = ...) -> None: ...

class GetAppResponse(_message.Message):
    __slots__ = ("success", "error_message", "app")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    APP_FIELD_NUMBER: _ClassVar[int]
    success: bool
    error_message: str
    app: App
    def __init__(self, success: _Optional[bool] = ..., error_message: _Optional[str] = ..., app: _Optional[_Union[App, _Mapping]] = ...) -> None: ...

class GetUserRequest(_message.Message):
    __slots__ = ("credential", "context")
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    credential: str
    context: PluginContext
    def __init__(self, credential: _Optional[str] = ..., context: _Optional[_Union[PluginContext, _Mapping]] = ...) -> None: ...

class GetUserResponse(_message.Message):
    __slots__ = ("success", "error_message", "user")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    success: bool
    error_message: str
    user: User
    def __init__(self, success: _Optional[bool] = ..., error_message: _Optional[str] = ..., user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class App(_message.Message):
    __slots__ = ("id", "name", "description", "owner_email", "is_active", "monthly_budget", "rate_limit", "metadata", "plugin_resources")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    OWNER_EMAIL_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_BUDGET_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_RESOURCES_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    description: str
    owner_email: str
    is_active: bool
    monthly_budget: float
    rate_limit: int
    metadata: _containers.ScalarMap[str, str]
    plugin_resources: _containers.RepeatedCompositeFieldContainer[AppPluginResourceAssociation]
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., owner_email: _Optional[str] = ..., is_active: _Optional[bool] = ..., monthly_budget: _Optional[float] = ..., rate_limit: _Optional[int] = ..., metadata: _Optional[_Mapping[str, str]] = ..., plugin_resources: _Optional[_Iterable[_Union[AppPluginResourceAssociation, _Mapping]]] = ...) -> None: ...

class AppPluginResourceAssociation(_message.Message):
    __slots__ = ("plugin_id", "resource_type_slug", "instance_ids", "instances")
    PLUGIN_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_TYPE_SLUG_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_IDS_FIELD_NUMBER: _ClassVar[int]
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    plugin_id: int
    resource_type_slug: str
    instance_ids: _containers.RepeatedScalarFieldContainer[str]
    instances: _containers.RepeatedCompositeFieldContainer[AppPluginResourceInstance]
    def __init__(self, plugin_id: _Optional[int] = ..., resource_type_slug: _Optional[str] = ..., instance_ids: _Optional[_Iterable[str]] = ..., instances: _Optional[_Iterable[_Union[AppPluginResourceInstance, _Mapping]]] = ...) -> None: ...

class AppPluginResourceInstance(_message.Message):
    __slots__ = ("id", "name", "privacy_score", "metadata")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PRIVACY_SCORE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    privacy_score: int
    metadata: bytes
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., privacy_score: _Optional[int] = ..., metadata: _Optional[bytes] = ...) -> None: ...

class User(_message.Message):
    __slots__ = ("id", "email", "name", "is_active", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    id: int
    email: str
    name: str
    is_active: bool
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[int] = ..., email: _Optional[str] = ..., name: _Optional[str] = ..., is_active: _Optional[bool] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ProxyLogRequest(_message.Message):
    __slots__ = ("app_id", "user_id", "vendor", "request_body", "response_body", "response_code", "timestamp", "request_id", "context")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_BODY_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_BODY_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_CODE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    app_id: int
    user_id: int
    vendor: str
    request_body: bytes
    response_body: bytes
    response_code: int
    timestamp: int
    request_id: str
    context: PluginContext
    def __init__(self, app_id: _Optional[int] = ..., user_id: _Optional[int] = ..., vendor: _Optional[str] = ..., request_body: _Optional[bytes] = ..., response_body: _Optional[bytes] = ..., response_code: _Optional[int] = ..., timestamp: _Optional[int] = ..., request_id: _Optional[str] = ..., context: _Optional[_Union[PluginContext, _Mapping]] = ...) -> None: ...

class AnalyticsRequest(_message.Message):
    __slots__ = ("llm_id", "model_name", "vendor", "prompt_tokens", "response_tokens", "cache_write_prompt_tokens", "cache_read_prompt_tokens", "total_tokens", "cost", "currency", "app_id", "user_id", "timestamp", "tool_calls", "choices", "request_id", "context")
    LLM_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CACHE_WRITE_PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CACHE_READ_PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALLS_FIELD_NUMBER: _ClassVar[int]
    CHOICES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    llm_id: int
    model_name: str
    vendor: str
    prompt_tokens: int
    response_tokens: int
    cache_write_prompt_tokens: int
    cache_read_prompt_tokens: int
    total_tokens: int
    cost: float
    currency: str
    app_id: int
    user_id: int
    timestamp: int
    tool_calls: int
    choices: int
    request_id: str
    context: PluginContext
    def __init__(self, llm_id: _Optional[int] = ..., model_name: _Optional[str] = ..., vendor: _Optional[str] = ..., prompt_tokens: _Optional[int] = ..., response_tokens: _Optional[int] = ..., cache_write_prompt_tokens: _Optional[int] = ..., cache_read_prompt_tokens: _Optional[int] = ..., total_tokens: _Optional[int] = ..., cost: _Optional[float] = ..., currency: _Optional[str] = ..., app_id: _Optional[int] = ..., user_id: _Optional[int] = ..., timestamp: _Optional[int] = ..., tool_calls: _Optional[int] = ..., choices: _Optional[int] = ..., request_id: _Optional[str] = ..., context: _Optional[_Union[PluginContext, _Mapping]] = ...) -> None: ...

class BudgetUsageRequest(_message.Message):
    __slots__ = ("app_id", "llm_id", "tokens_used", "cost", "requests_count", "prompt_tokens", "completion_tokens", "period_start", "period_end", "timestamp", "request_id", "context")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    LLM_ID_FIELD_NUMBER: _ClassVar[int]
    TOKENS_USED_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_COUNT_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    app_id: int
    llm_id: int
    tokens_used: int
    cost: float
    requests_count: int
    prompt_tokens: int
    completion_tokens: int
    period_start: int
    period_end: int
    timestamp: int
    request_id: str
    context: PluginContext
    def __init__(self, app_id: _Optional[int] = ..., llm_id: _Optional[int] = ..., tokens_used: _Optional[int] = ..., cost: _Optional[float] = ..., requests_count: _Optional[int] = ..., prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ..., period_start: _Optional[int] = ..., period_end: _Optional[int] = ..., timestamp: _Optional[int] = ..., request_id: _Optional[str] = ..., context: _Optional[_Union[PluginContext, _Mapping]] = ...) -> None: ...

class DataCollectionResponse(_message.Message):
    __slots__ = ("success", "handled", "error_message", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    HANDLED_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    success: bool
    handled: bool
    error_message: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, success: _Optional[bool] = ..., handled: _Optional[bool] = ..., error_message: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class GetAssetRequest(_message.Message):
    __slots__ = ("asset_path",)
    ASSET_PATH_FIELD_NUMBER: _ClassVar[int]
    asset_path: str
    def __init__(self, asset_path: _Optional[str] = ...) -> None: ...

class GetAssetResponse(_message.Message):
    __slots__ = ("success", "content", "mime_type", "error_message", "content_length")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_LENGTH_FIELD_NUMBER: _ClassVar[int]
    success: bool
    content: bytes
    mime_type: str
    error_message: str
    content_length: int
    def __init__(self, success: _Optional[bool] = ..., content: _Optional[bytes] = ..., mime_type: _Optional[str] = ..., error_message: _Optional[str] = ..., content_length: _Optional[int] = ...) -> None: ...

class ListAssetsRequest(_message.Message):
    __slots__ = ("path_prefix",)
    PATH_PREFIX_FIELD_NUMBER: _ClassVar[int]
    path_prefix: str
    def __init__(self, path_prefix: _Optional[str] = ...) -> None: ...

class ListAssetsResponse(_message.Message):
    __slots__ = ("success", "assets", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ASSETS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    assets: _containers.RepeatedCompositeFieldContainer[AssetInfo]
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., assets: _Optional[_Iterable[_Union[AssetInfo, _Mapping]]] = ..., error_message: _Optional[str] = ...) -> None: ...

class AssetInfo(_message.Message):
    __slots__ = ("path", "mime_type", "size")
    PATH_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    path: str
    mime_type: str
    size: int
    def __init__(self, path: _Optional[str] = ..., mime_type: _Optional[str] = ..., size: _Optional[int] = ...) -> None: ...

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

class CallRequest(_message.Message):
    __slots__ = ("method", "payload", "service_broker_id")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    SERVICE_BROKER_ID_FIELD_NUMBER: _ClassVar[int]
    method: str
    payload: str
    service_broker_id: int
    def __init__(self, method: _Optional[str] = ..., payload: _Optional[str] = ..., service_broker_id: _Optional[int] = ...) -> None: ...

class CallResponse(_message.Message):
    __slots__ = ("success", "data", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    data: str
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., data: _Optional[str] = ..., error_message: _Optional[str] = ...) -> None: ...

class PortalCallRequest(_message.Message):
    __slots__ = ("method", "payload", "service_broker_id", "user_context")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    SERVICE_BROKER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    method: str
    payload: str
    service_broker_id: int
    user_context: PortalUserContext
    def __init__(self, method: _Optional[str] = ..., payload: _Optional[str] = ..., service_broker_id: _Optional[int] = ..., user_context: _Optional[_Union[PortalUserContext, _Mapping]] = ...) -> None: ...

class PortalCallResponse(_message.Message):
    __slots__ = ("success", "data", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    data: str
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., data: _Optional[str] = ..., error_message: _Optional[str] = ...) -> None: ...

class PortalUserContext(_message.Message):
    __slots__ = ("user_id", "email", "name", "is_admin", "groups", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    IS_ADMIN_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    email: str
    name: str
    is_admin: bool
    groups: _containers.RepeatedScalarFieldContainer[str]
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, user_id: _Optional[int] = ..., email: _Optional[str] = ..., name: _Optional[str] = ..., is_admin: _Optional[bool] = ..., groups: _Optional[_Iterable[str]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class GetConfigSchemaRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetConfigSchemaResponse(_message.Message):
    __slots__ = ("success", "schema_json", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    schema_json: str
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., schema_json: _Optional[str] = ..., error_message: _Optional[str] = ...) -> None: ...

class AgentMessageRequest(_message.Message):
    __slots__ = ("session_id", "user_message", "available_tools", "available_datasources", "available_llms", "config_json", "history", "context", "service_broker_id")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_TOOLS_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_DATASOURCES_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_LLMS_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SERVICE_BROKER_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    user_message: str
    available_tools: _containers.RepeatedCompositeFieldContainer[AgentToolInfo]
    available_datasources: _containers.RepeatedCompositeFieldContainer[AgentDatasourceInfo]
    available_llms: _containers.RepeatedCompositeFieldContainer[AgentLLMInfo]
    config_json: str
    history: _containers.RepeatedCompositeFieldContainer[AgentConversationMessage]
    context: PluginContext
    service_broker_id: int
    def __init__(self, session_id: _Optional[str] = ..., user_message: _Optional[str] = ..., available_tools: _Optional[_Iterable[_Union[AgentToolInfo, _Mapping]]] = ..., available_datasources: _Optional[_Iterable[_Union[AgentDatasourceInfo, _Mapping]]] = ..., available_llms: _Optional[_Iterable[_Union[AgentLLMInfo, _Mapping]]] = ..., config_json: _Optional[str] = ..., history: _Optional[_Iterable[_Union[AgentConversationMessage, _Mapping]]] = ..., context: _Optional[_Union[PluginContext, _Mapping]] = ..., service_broker_id: _Optional[int] = ...) -> None: ...

class AgentMessageChunk(_message.Message):
    __slots__ = ("type", "content", "metadata_json", "is_final")
    class ChunkType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        CONTENT: _ClassVar[AgentMessageChunk.ChunkType]
        TOOL_CALL: _ClassVar[AgentMessageChunk.ChunkType]
        TOOL_RESULT: _ClassVar[AgentMessageChunk.ChunkType]
        THINKING: _ClassVar[AgentMessageChunk.ChunkType]
        ERROR: _ClassVar[AgentMessageChunk.ChunkType]
        DONE: _ClassVar[AgentMessageChunk.ChunkType]
    CONTENT: AgentMessageChunk.ChunkType
    TOOL_CALL: AgentMessageChunk.ChunkType
    TOOL_RESULT: AgentMessageChunk.ChunkType
    THINKING: AgentMessageChunk.ChunkType
    ERROR: AgentMessageChunk.ChunkType
    DONE: AgentMessageChunk.ChunkType
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    IS_FINAL_FIELD_NUMBER: _ClassVar[int]
    type: AgentMessageChunk.ChunkType
    content: str
    metadata_json: str
    is_final: bool
    def __init__(self, type: _Optional[_Union[AgentMessageChunk.ChunkType, str]] = ..., content: _Optional[str] = ..., metadata_json: _Optional[str] = ..., is_final: _Optional[bool] = ...) -> None: ...

class AgentToolInfo(_message.Message):
    __slots__ = ("id", "name", "slug", "description", "operations", "privacy_score")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SLUG_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    PRIVACY_SCORE_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    slug: str
    description: str
    operations: _containers.RepeatedScalarFieldContainer[str]
    privacy_score: int
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., slug: _Optional[str] = ..., description: _Optional[str] = ..., operations: _Optional[_Iterable[str]] = ..., privacy_score: _Optional[int] = ...) -> None: ...

class AgentDatasourceInfo(_message.Message):
    __slots__ = ("id", "name", "description", "db_source_type", "privacy_score")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DB_SOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    PRIVACY_SCORE_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    description: str
    db_source_type: str
    privacy_score: int
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., db_source_type: _Optional[str] = ..., privacy_score: _Optional[int] = ...) -> None: ...

class AgentLLMInfo(_message.Message):
    __slots__ = ("id", "name", "vendor", "default_model", "allowed_models", "privacy_score")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_MODEL_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_MODELS_FIELD_NUMBER: _ClassVar[int]
    PRIVACY_SCORE_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    vendor: str
    default_model: str
    allowed_models: _containers.RepeatedScalarFieldContainer[str]
    privacy_score: int
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., vendor: _Optional[str] = ..., default_model: _Optional[str] = ..., allowed_models: _Optional[_Iterable[str]] = ..., privacy_score: _Optional[int] = ...) -> None: ...

class AgentConversationMessage(_message.Message):
    __slots__ = ("role", "content", "timestamp", "metadata_json")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    role: str
    content: str
    timestamp: int
    metadata_json: str
    def __init__(self, role: _Optional[str] = ..., content: _Optional[str] = ..., timestamp: _Optional[int] = ..., metadata_json: _Optional[str] = ...) -> None: ...

class GetObjectHookRegistrationsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetObjectHookRegistrationsResponse(_message.Message):
    __slots__ = ("registrations",)
    REGISTRATIONS_FIELD_NUMBER: _ClassVar[int]
    registrations: _containers.RepeatedCompositeFieldContainer[ObjectHookRegistration]
    def __init__(self, registrations: _Optional[_Iterable[_Union[ObjectHookRegistration, _Mapping]]] = ...) -> None: ...

class ObjectHookRegistration(_message.Message):
    __slots__ = ("object_type", "hook_types", "priority")
    OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    HOOK_TYPES_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    object_type: str
    hook_types: _containers.RepeatedScalarFieldContainer[str]
    priority: int
    def __init__(self, object_type: _Optional[str] = ..., hook_types: _Optional[_Iterable[str]] = ..., priority: _Optional[int] = ...) -> None: ...

class ObjectHookRequest(_message.Message):
    __slots__ = ("hook_type", "object_type", "operation_id", "user_id", "plugin_id", "context", "object_json", "metadata", "timestamp")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    HOOK_TYPE_FIELD_NUMBER: _ClassVar[int]
    OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    OBJECT_JSON_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    hook_type: str
    object_type: str
    operation_id: str
    user_id: int
    plugin_id: int
    context: PluginContext
    object_json: str
    metadata: _containers.ScalarMap[str, str]
    timestamp: int
    def __init__(self, hook_type: _Optional[str] = ..., object_type: _Optional[str] = ..., operation_id: _Optional[str] = ..., user_id: _Optional[int] = ..., plugin_id: _Optional[int] = ..., context: _Optional[_Union[PluginContext, _Mapping]] = ..., object_json: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., timestamp: _Optional[int] = ...) -> None: ...

class ObjectHookResponse(_message.Message):
    __slots__ = ("allow_operation", "rejection_reason", "modified_object_json", "plugin_metadata", "message", "modified")
    class PluginMetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ALLOW_OPERATION_FIELD_NUMBER: _ClassVar[int]
    REJECTION_REASON_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_OBJECT_JSON_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_METADATA_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_FIELD_NUMBER: _ClassVar[int]
    allow_operation: bool
    rejection_reason: str
    modified_object_json: str
    plugin_metadata: _containers.ScalarMap[str, str]
    message: str
    modified: bool
    def __init__(self, allow_operation: _Optional[bool] = ..., rejection_reason: _Optional[str] = ..., modified_object_json: _Optional[str] = ..., plugin_metadata: _Optional[_Mapping[str, str]] = ..., message: _Optional[str] = ..., modified: _Optional[bool] = ...) -> None: ...

class ExecuteScheduledTaskRequest(_message.Message):
    __slots__ = ("context", "schedule", "service_broker_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    SERVICE_BROKER_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    schedule: ScheduleDefinition
    service_broker_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., schedule: _Optional[_Union[ScheduleDefinition, _Mapping]] = ..., service_broker_id: _Optional[int] = ...) -> None: ...

class ExecuteScheduledTaskResponse(_message.Message):
    __slots__ = ("success", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., error_message: _Optional[str] = ...) -> None: ...

class ScheduleDefinition(_message.Message):
    __slots__ = ("id", "name", "cron", "timezone", "enabled", "timeout_seconds", "config_json")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CRON_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    cron: str
    timezone: str
    enabled: bool
    timeout_seconds: int
    config_json: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., cron: _Optional[str] = ..., timezone: _Optional[str] = ..., enabled: _Optional[bool] = ..., timeout_seconds: _Optional[int] = ..., config_json: _Optional[str] = ...) -> None: ...

class EdgePayloadRequest(_message.Message):
    __slots__ = ("payload", "edge_id", "edge_namespace", "correlation_id", "metadata", "edge_timestamp", "received_timestamp", "context", "service_broker_id")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    EDGE_ID_FIELD_NUMBER: _ClassVar[int]
    EDGE_NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    EDGE_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SERVICE_BROKER_ID_FIELD_NUMBER: _ClassVar[int]
    payload: bytes
    edge_id: str
    edge_namespace: str
    correlation_id: str
    metadata: _containers.ScalarMap[str, str]
    edge_timestamp: int
    received_timestamp: int
    context: PluginContext
    service_broker_id: int
    def __init__(self, payload: _Optional[bytes] = ..., edge_id: _Optional[str] = ..., edge_namespace: _Optional[str] = ..., correlation_id: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., edge_timestamp: _Optional[int] = ..., received_timestamp: _Optional[int] = ..., context: _Optional[_Union[PluginContext, _Mapping]] = ..., service_broker_id: _Optional[int] = ...) -> None: ...

class EdgePayloadResponse(_message.Message):
    __slots__ = ("success", "handled", "error_message", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    HANDLED_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    success: bool
    handled: bool
    error_message: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, success: _Optional[bool] = ..., handled: _Optional[bool] = ..., error_message: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class OpenSessionRequest(_message.Message):
    __slots__ = ("service_broker_id", "plugin_id", "metadata", "timeout_ms")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SERVICE_BROKER_ID_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    service_broker_id: int
    plugin_id: int
    metadata: _containers.ScalarMap[str, str]
    timeout_ms: int
    def __init__(self, service_broker_id: _Optional[int] = ..., plugin_id: _Optional[int] = ..., metadata: _Optional[_Mapping[str, str]] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class OpenSessionResponse(_message.Message):
    __slots__ = ("success", "error_message", "session_id", "close_reason")
    class CloseReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[OpenSessionResponse.CloseReason]
        TIMEOUT: _ClassVar[OpenSessionResponse.CloseReason]
        EXPLICIT_CLOSE: _ClassVar[OpenSessionResponse.CloseReason]
        PLUGIN_ERROR: _ClassVar[OpenSessionResponse.CloseReason]
    UNKNOWN: OpenSessionResponse.CloseReason
    TIMEOUT: OpenSessionResponse.CloseReason
    EXPLICIT_CLOSE: OpenSessionResponse.CloseReason
    PLUGIN_ERROR: OpenSessionResponse.CloseReason
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    CLOSE_REASON_FIELD_NUMBER: _ClassVar[int]
    success: bool
    error_message: str
    session_id: str
    close_reason: OpenSessionResponse.CloseReason
    def __init__(self, success: _Optional[bool] = ..., error_message: _Optional[str] = ..., session_id: _Optional[str] = ..., close_reason: _Optional[_Union[OpenSessionResponse.CloseReason, str]] = ...) -> None: ...

class CloseSessionRequest(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class CloseSessionResponse(_message.Message):
    __slots__ = ("success", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., error_message: _Optional[str] = ...) -> None: ...

class GetEndpointRegistrationsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetEndpointRegistrationsResponse(_message.Message):
    __slots__ = ("registrations",)
    REGISTRATIONS_FIELD_NUMBER: _ClassVar[int]
    registrations: _containers.RepeatedCompositeFieldContainer[EndpointRegistration]
    def __init__(self, registrations: _Optional[_Iterable[_Union[EndpointRegistration, _Mapping]]] = ...) -> None: ...

class EndpointRegistration(_message.Message):
    __slots__ = ("path", "methods", "description", "require_auth", "stream_response", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PATH_FIELD_NUMBER: _ClassVar[int]
    METHODS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REQUIRE_AUTH_FIELD_NUMBER: _ClassVar[int]
    STREAM_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    path: str
    methods: _containers.RepeatedScalarFieldContainer[str]
    description: str
    require_auth: bool
    stream_response: bool
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, path: _Optional[str] = ..., methods: _Optional[_Iterable[str]] = ..., description: _Optional[str] = ..., require_auth: _Optional[bool] = ..., stream_response: _Optional[bool] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class EndpointRequest(_message.Message):
    __slots__ = ("method", "path", "relative_path", "path_segments", "headers", "body", "query_string", "remote_addr", "host", "protocol", "context", "authenticated", "app", "scopes")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    RELATIVE_PATH_FIELD_NUMBER: _ClassVar[int]
    PATH_SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    QUERY_STRING_FIELD_NUMBER: _ClassVar[int]
    REMOTE_ADDR_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATED_FIELD_NUMBER: _ClassVar[int]
    APP_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    method: str
    path: str
    relative_path: str
    path_segments: _containers.RepeatedScalarFieldContainer[str]
    headers: _containers.ScalarMap[str, str]
    body: bytes
    query_string: str
    remote_addr: str
    host: str
    protocol: str
    context: PluginContext
    authenticated: bool
    app: App
    scopes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, method: _Optional[str] = ..., path: _Optional[str] = ..., relative_path: _Optional[str] = ..., path_segments: _Optional[_Iterable[str]] = ..., headers: _Optional[_Mapping[str, str]] = ..., body: _Optional[bytes] = ..., query_string: _Optional[str] = ..., remote_addr: _Optional[str] = ..., host: _Optional[str] = ..., protocol: _Optional[str] = ..., context: _Optional[_Union[PluginContext, _Mapping]] = ..., authenticated: _Optional[bool] = ..., app: _Optional[_Union[App, _Mapping]] = ..., scopes: _Optional[_Iterable[str]] = ...) -> None: ...

class EndpointResponse(_message.Message):
    __slots__ = ("status_code", "headers", "body", "error_message")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    status_code: int
    headers: _containers.ScalarMap[str, str]
    body: bytes
    error_message: str
    def __init__(self, status_code: _Optional[int] = ..., headers: _Optional[_Mapping[str, str]] = ..., body: _Optional[bytes] = ..., error_message: _Optional[str] = ...) -> None: ...

class EndpointResponseChunk(_message.Message):
    __slots__ = ("type", "status_code", "headers", "data", "error_message")
    class ChunkType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        HEADERS: _ClassVar[EndpointResponseChunk.ChunkType]
        BODY: _ClassVar[EndpointResponseChunk.ChunkType]
        DONE: _ClassVar[EndpointResponseChunk.ChunkType]
        ERROR: _ClassVar[EndpointResponseChunk.ChunkType]
    HEADERS: EndpointResponseChunk.ChunkType
    BODY: EndpointResponseChunk.ChunkType
    DONE: EndpointResponseChunk.ChunkType
    ERROR: EndpointResponseChunk.ChunkType
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    type: EndpointResponseChunk.ChunkType
    status_code: int
    headers: _containers.ScalarMap[str, str]
    data: bytes
    error_message: str
    def __init__(self, type: _Optional[_Union[EndpointResponseChunk.ChunkType, str]] = ..., status_code: _Optional[int] = ..., headers: _Optional[_Mapping[str, str]] = ..., data: _Optional[bytes] = ..., error_message: _Optional[str] = ...) -> None: ...

class GetResourceTypeRegistrationsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetResourceTypeRegistrationsResponse(_message.Message):
    __slots__ = ("registrations",)
    REGISTRATIONS_FIELD_NUMBER: _ClassVar[int]
    registrations: _containers.RepeatedCompositeFieldContainer[ResourceTypeRegistrationProto]
    def __init__(self, registrations: _Optional[_Iterable[_Union[ResourceTypeRegistrationProto, _Mapping]]] = ...) -> None: ...

class ResourceTypeRegistrationProto(_message.Message):
    __slots__ = ("slug", "name", "description", "icon", "has_privacy_score", "supports_submissions", "form_component")
    SLUG_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ICON_FIELD_NUMBER: _ClassVar[int]
    HAS_PRIVACY_SCORE_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_SUBMISSIONS_FIELD_NUMBER: _ClassVar[int]
    FORM_COMPONENT_FIELD_NUMBER: _ClassVar[int]
    slug: str
    name: str
    description: str
    icon: str
    has_privacy_score: bool
    supports_submissions: bool
    form_component: ResourceFormComponentProto
    def __init__(self, slug: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., icon: _Optional[str] = ..., has_privacy_score: _Optional[bool] = ..., supports_submissions: _Optional[bool] = ..., form_component: _Optional[_Union[ResourceFormComponentProto, _Mapping]] = ...) -> None: ...

class ResourceFormComponentProto(_message.Message):
    __slots__ = ("tag", "entry_point")
    TAG_FIELD_NUMBER: _ClassVar[int]
    ENTRY_POINT_FIELD_NUMBER: _ClassVar[int]
    tag: str
    entry_point: str
    def __init__(self, tag: _Optional[str] = ..., entry_point: _Optional[str] = ...) -> None: ...

class ListResourceInstancesRequest(_message.Message):
    __slots__ = ("resource_type_slug", "context", "service_broker_id")
    RESOURCE_TYPE_SLUG_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SERVICE_BROKER_ID_FIELD_NUMBER: _ClassVar[int]
    resource_type_slug: str
    context: PluginContext
    service_broker_id: int
    def __init__(self, resource_type_slug: _Optional[str] = ..., context: _Optional[_Union[PluginContext, _Mapping]] = ..., service_broker_id: _Optional[int] = ...) -> None: ...

class ListResourceInstancesResponse(_message.Message):
    __slots__ = ("success", "instances", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    instances: _containers.RepeatedCompositeFieldContainer[ResourceInstanceProto]
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., instances: _Optional[_Iterable[_Union[ResourceInstanceProto, _Mapping]]] = ..., error_message: _Optional[str] = ...) -> None: ...

class ResourceInstanceProto(_message.Message):
    __slots__ = ("id", "name", "description", "privacy_score", "metadata", "is_active")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PRIVACY_SCORE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    privacy_score: int
    metadata: bytes
    is_active: bool
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., privacy_score: _Optional[int] = ..., metadata: _Optional[bytes] = ..., is_active: _Optional[bool] = ...) -> None: ...

class GetResourceInstanceRequest(_message.Message):
    __slots__ = ("resource_type_slug", "instance_id", "context", "service_broker_id")
    RESOURCE_TYPE_SLUG_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SERVICE_BROKER_ID_FIELD_NUMBER: _ClassVar[int]
    resource_type_slug: str
    instance_id: str
    context: PluginContext
    service_broker_id: int
    def __init__(self, resource_type_slug: _Optional[str] = ..., instance_id: _Optional[str] = ..., context: _Optional[_Union[PluginContext, _Mapping]] = ..., service_broker_id: _Optional[int] = ...) -> None: ...

class GetResourceInstanceResponse(_message.Message):
    __slots__ = ("success", "instance", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    instance: ResourceInstanceProto
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., instance: _Optional[_Union[ResourceInstanceProto, _Mapping]] = ..., error_message: _Optional[str] = ...) -> None: ...

class ValidateResourceSelectionRequest(_message.Message):
    __slots__ = ("resource_type_slug", "instance_ids", "app_id", "context", "service_broker_id")
    RESOURCE_TYPE_SLUG_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_IDS_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SERVICE_BROKER_ID_FIELD_NUMBER: _ClassVar[int]
    resource_type_slug: str
    instance_ids: _containers.RepeatedScalarFieldContainer[str]
    app_id: int
    context: PluginContext
    service_broker_id: int
    def __init__(self, resource_type_slug: _Optional[str] = ..., instance_ids: _Optional[_Iterable[str]] = ..., app_id: _Optional[int] = ..., context: _Optional[_Union[PluginContext, _Mapping]] = ..., service_broker_id: _Optional[int] = ...) -> None: ...

class ValidateResourceSelectionResponse(_message.Message):
    __slots__ = ("valid", "error_message")
    VALID_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    error_message: str
    def __init__(self, valid: _Optional[bool] = ..., error_message: _Optional[str] = ...) -> None: ...

class CreateResourceInstanceRequest(_message.Message):
    __slots__ = ("resource_type_slug", "payload", "context", "service_broker_id")
    RESOURCE_TYPE_SLUG_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SERVICE_BROKER_ID_FIELD_NUMBER: _ClassVar[int]
    resource_type_slug: str
    payload: bytes
    context: PluginContext
    service_broker_id: int
    def __init__(self, resource_type_slug: _Optional[str] = ..., payload: _Optional[bytes] = ..., context: _Optional[_Union[PluginContext, _Mapping]] = ..., service_broker_id: _Optional[int] = ...) -> None: ...

class CreateResourceInstanceResponse(_message.Message):
    __slots__ = ("success", "instance", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    instance: ResourceInstanceProto
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., instance: _Optional[_Union[ResourceInstanceProto, _Mapping]] = ..., error_message: _Optional[str] = ...) -> None: ...
