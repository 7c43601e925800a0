import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PluginContext(_message.Message):
    __slots__ = ("plugin_id", "method_scope")
    PLUGIN_ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_SCOPE_FIELD_NUMBER: _ClassVar[int]
    plugin_id: int
    method_scope: str
    def __init__(self, plugin_id: _Optional[int] = ..., method_scope: _Optional[str] = ...) -> None: ...

class ListLLMsRequest(_message.Message):
    __slots__ = ("context", "vendor", "is_active", "page", "limit")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    vendor: str
    is_active: bool
    page: int
    limit: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., vendor: _Optional[str] = ..., is_active: _Optional[bool] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListLLMsResponse(_message.Message):
    __slots__ = ("llms", "total_count")
    LLMS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    llms: _containers.RepeatedCompositeFieldContainer[LLMInfo]
    total_count: int
    def __init__(self, llms: _Optional[_Iterable[_Union[LLMInfo, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...

class GetLLMRequest(_message.Message):
    __slots__ = ("context", "llm_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    LLM_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    llm_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., llm_id: _Optional[int] = ...) -> None: ...

class GetLLMResponse(_message.Message):
    __slots__ = ("llm",)
    LLM_FIELD_NUMBER: _ClassVar[int]
    llm: LLMInfo
    def __init__(self, llm: _Optional[_Union[LLMInfo, _Mapping]] = ...) -> None: ...

class LLMInfo(_message.Message):
    __slots__ = ("id", "name", "vendor", "slug", "endpoint", "has_api_key", "default_model", "allowed_models", "is_active", "max_tokens", "timeout_seconds", "retry_count", "monthly_budget", "rate_limit_rpm", "created_at", "updated_at", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    SLUG_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    HAS_API_KEY_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_MODEL_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_MODELS_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RETRY_COUNT_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_BUDGET_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_RPM_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    vendor: str
    slug: str
    endpoint: str
    has_api_key: bool
    default_model: str
    allowed_models: _containers.RepeatedScalarFieldContainer[str]
    is_active: bool
    max_tokens: int
    timeout_seconds: int
    retry_count: int
    monthly_budget: float
    rate_limit_rpm: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., vendor: _Optional[str] = ..., slug: _Optional[str] = ..., endpoint: _Optional[str] = ..., has_api_key: _Optional[bool] = ..., default_model: _Optional[str] = ..., allowed_models: _Optional[_Iterable[str]] = ..., is_active: _Optional[bool] = ..., max_tokens: _Optional[int] = ..., timeout_seconds: _Optional[int] = ..., retry_count: _Optional[int] = ..., monthly_budget: _Optional[float] = ..., rate_limit_rpm: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ListAppsRequest(_message.Message):
    __slots__ = ("context", "is_active", "page", "limit")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    is_active: bool
    page: int
    limit: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., is_active: _Optional[bool] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListAppsResponse(_message.Message):
    __slots__ = ("apps", "total_count")
    APPS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    apps: _containers.RepeatedCompositeFieldContainer[AppInfo]
    total_count: int
    def __init__(self, apps: _Optional[_Iterable[_Union[AppInfo, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...

class GetAppRequest(_message.Message):
    __slots__ = ("context", "app_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    app_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., app_id: _Optional[int] = ...) -> None: ...

class GetAppResponse(_message.Message):
    __slots__ = ("app",)
    APP_FIELD_NUMBER: _ClassVar[int]
    app: AppInfo
    def __init__(self, app: _Optional[_Union[AppInfo, _Mapping]] = ...) -> None: ...

class AppInfo(_message.Message):
    __slots__ = ("id", "name", "description", "owner_email", "is_active", "monthly_budget", "budget_reset_day", "rate_limit_rpm", "allowed_ips", "created_at", "updated_at", "metadata")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    OWNER_EMAIL_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_BUDGET_FIELD_NUMBER: _ClassVar[int]
    BUDGET_RESET_DAY_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_RPM_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_IPS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    description: str
    owner_email: str
    is_active: bool
    monthly_budget: float
    budget_reset_day: int
    rate_limit_rpm: int
    allowed_ips: _containers.RepeatedScalarFieldContainer[str]
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    metadata: str
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., owner_email: _Optional[str] = ..., is_active: _Optional[bool] = ..., monthly_budget: _Optional[float] = ..., budget_reset_day: _Optional[int] = ..., rate_limit_rpm: _Optional[int] = ..., allowed_ips: _Optional[_Iterable[str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metadata: _Optional[str] = ...) -> None: ...

class GetBudgetStatusRequest(_message.Message):
    __slots__ = ("context", "app_id", "llm_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    LLM_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    app_id: int
    llm_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., app_id: _Optional[int] = ..., llm_id: _Optional[int] = ...) -> None: ...

class GetBudgetStatusResponse(_message.Message):
    __slots__ = ("app_id", "llm_id", "monthly_budget", "current_usage", "remaining_budget", "tokens_used", "requests_count", "period_start", "period_end", "is_over_budget", "percentage_used")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    LLM_ID_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_BUDGET_FIELD_NUMBER: _ClassVar[int]
    CURRENT_USAGE_FIELD_NUMBER: _ClassVar[int]
    REMAINING_BUDGET_FIELD_NUMBER: _ClassVar[int]
    TOKENS_USED_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_COUNT_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    IS_OVER_BUDGET_FIELD_NUMBER: _ClassVar[int]
    PERCENTAGE_USED_FIELD_NUMBER: _ClassVar[int]
    app_id: int
    llm_id: int
    monthly_budget: float
    current_usage: float
    remaining_budget: float
    tokens_used: int
    requests_count: int
    period_start: int
    period_end: int
    is_over_budget: bool
    percentage_used: float
    def __init__(self, app_id: _Optional[int] = ..., llm_id: _Optional[int] = ..., monthly_budget: _Optional[float] = ..., current_usage: _Optional[float] = ..., remaining_budget: _Optional[float] = ..., tokens_used: _Optional[int] = ..., requests_count: _Optional[int] = ..., period_start: _Optional[int] = ..., period_end: _Optional[int] = ..., is_over_budget: _Optional[bool] = ..., percentage_used: _Optional[float] = ...) -> None: ...

class ListModelPricesRequest(_message.Message):
    __slots__ = ("context", "vendor")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    vendor: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., vendor: _Optional[str] = ...) -> None: ...

class ListModelPricesResponse(_message.Message):
    __slots__ = ("model_prices",)
    MODEL_PRICES_FIELD_NUMBER: _ClassVar[int]
    model_prices: _containers.RepeatedCompositeFieldContainer[ModelPriceInfo]
    def __init__(self, model_prices: _Optional[_Iterable[_Union[ModelPriceInfo, _Mapping]]] = ...) -> None: ...

class GetModelPriceRequest(_message.Message):
    __slots__ = ("context", "model_name", "vendor")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    model_name: str
    vendor: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., model_name: _Optional[str] = ..., vendor: _Optional[str] = ...) -> None: ...

class GetModelPriceResponse(_message.Message):
    __slots__ = ("model_price",)
    MODEL_PRICE_FIELD_NUMBER: _ClassVar[int]
    model_price: ModelPriceInfo
    def __init__(self, model_price: _Optional[_Union[ModelPriceInfo, _Mapping]] = ...) -> None: ...

class ModelPriceInfo(_message.Message):
    __slots__ = ("id", "vendor", "model_name", "cpt", "cpit", "cache_write_pt", "cache_read_pt", "currency", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    CPT_FIELD_NUMBER: _ClassVar[int]
    CPIT_FIELD_NUMBER: _ClassVar[int]
    CACHE_WRITE_PT_FIELD_NUMBER: _ClassVar[int]
    CACHE_READ_PT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: int
    vendor: str
    model_name: str
    cpt: float
    cpit: float
    cache_write_pt: float
    cache_read_pt: float
    currency: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[int] = ..., vendor: _Optional[str] = ..., model_name: _Optional[str] = ..., cpt: _Optional[float] = ..., cpit: _Optional[float] = ..., cache_write_pt: _Optional[float] = ..., cache_read_pt: _Optional[float] = ..., currency: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ValidateCredentialRequest(_message.Message):
    __slots__ = ("context", "secret")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    secret: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class ValidateCredentialResponse(_message.Message):
    __slots__ = ("valid", "app_id", "credential_id", "expires_at")
    VALID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    app_id: int
    credential_id: int
    expires_at: int
    def __init__(self, valid: _Optional[bool] = ..., app_id: _Optional[int] = ..., credential_id: _Optional[int] = ..., expires_at: _Optional[int] = ...) -> None: ...

class WritePluginKVRequest(_message.Message):
    __slots__ = ("context", "key", "value", "expire_at")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_AT_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    key: str
    value: bytes
    expire_at: _timestamp_pb2.Timestamp
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., key: _Optional[str] = ..., value: _Optional[bytes] = ..., expire_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WritePluginKVResponse(_message.Message):
    __slots__ = ("created",)
    CREATED_FIELD_NUMBER: _ClassVar[int]
    created: bool
    def __init__(self, created: _Optional[bool] = ...) -> None: ...

class ReadPluginKVRequest(_message.Message):
    __slots__ = ("context", "key")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    key: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., key: _Optional[str] = ...) -> None: ...

class ReadPluginKVResponse(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: bytes
    def __init__(self, value: _Optional[bytes] = ...) -> None: ...

class DeletePluginKVRequest(_message.Message):
    __slots__ = ("context", "key")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    key: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., key: _Optional[str] = ...) -> None: ...

class DeletePluginKVResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: _Optional[bool] = ...) -> None: ...

class QueueControlPayloadRequest(_message.Message):
    __slots__ = ("context", "payload", "correlation_id", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    payload: bytes
    correlation_id: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., payload: _Optional[bytes] = ..., correlation_id: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class QueueControlPayloadResponse(_message.Message):
    __slots__ = ("success", "error_message", "pending_count")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PENDING_COUNT_FIELD_NUMBER: _ClassVar[int]
    success: bool
    error_message: str
    pending_count: int
    def __init__(self, success: _Optional[bool] = ..., error_message: _Optional[str] = ..., pending_count: _Optional[int] = ...) -> None: ...

class GetLicenseInfoRequest(_message.Message):
    __slots__ = ("context",)
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ...) -> None: ...

class GetLicenseInfoResponse(_message.Message):
    __slots__ = ("license_valid", "days_remaining", "license_type", "entitlements", "organization", "expires_at")
    LICENSE_VALID_FIELD_NUMBER: _ClassVar[int]
    DAYS_REMAINING_FIELD_NUMBER: _ClassVar[int]
    LICENSE_TYPE_FIELD_NUMBER: _ClassVar[int]
    ENTITLEMENTS_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    license_valid: bool
    days_remaining: int
    license_type: str
    entitlements: _containers.RepeatedScalarFieldContainer[str]
    organization: str
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, license_valid: _Optional[bool] = ..., days_remaining: _Optional[int] = ..., license_type: _Optional[str] = ..., entitlements: _Optional[_Iterable[str]] = ..., organization: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
