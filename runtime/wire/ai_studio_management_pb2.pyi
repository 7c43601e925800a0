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

class ListPluginsRequest(_message.Message):
    __slots__ = ("context", "hook_type", "is_active", "namespace", "page", "limit")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    HOOK_TYPE_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    hook_type: str
    is_active: bool
    namespace: str
    page: int
    limit: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., hook_type: _Optional[str] = ..., is_active: _Optional[bool] = ..., namespace: _Optional[str] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListPluginsResponse(_message.Message):
    __slots__ = ("plugins", "total_count", "total_pages")
    PLUGINS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PAGES_FIELD_NUMBER: _ClassVar[int]
    plugins: _containers.RepeatedCompositeFieldContainer[PluginInfo]
    total_count: int
    total_pages: int
    def __init__(self, plugins: _Optional[_Iterable[_Union[PluginInfo, _Mapping]]] = ..., total_count: _Optional[int] = ..., total_pages: _Optional[int] = ...) -> None: ...

class GetPluginRequest(_message.Message):
    __slots__ = ("context", "plugin_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    plugin_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., plugin_id: _Optional[int] = ...) -> None: ...

class GetPluginResponse(_message.Message):
    __slots__ = ("plugin",)
    PLUGIN_FIELD_NUMBER: _ClassVar[int]
    plugin: PluginInfo
    def __init__(self, plugin: _Optional[_Union[PluginInfo, _Mapping]] = ...) -> None: ...

class UpdatePluginConfigRequest(_message.Message):
    __slots__ = ("context", "plugin_id", "config_json")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    plugin_id: int
    config_json: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., plugin_id: _Optional[int] = ..., config_json: _Optional[str] = ...) -> None: ...

class UpdatePluginConfigResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class PluginInfo(_message.Message):
    __slots__ = ("id", "name", "description", "command", "config_json", "hook_type", "is_active", "namespace", "hook_types", "service_access_authorized", "service_scopes", "created_at", "updated_at", "hook_types_customized", "plugin_category")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    HOOK_TYPE_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    HOOK_TYPES_FIELD_NUMBER: _ClassVar[int]
    SERVICE_ACCESS_AUTHORIZED_FIELD_NUMBER: _ClassVar[int]
    SERVICE_SCOPES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    HOOK_TYPES_CUSTOMIZED_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    description: str
    command: str
    config_json: str
    hook_type: str
    is_active: bool
    namespace: str
    hook_types: _containers.RepeatedScalarFieldContainer[str]
    service_access_authorized: bool
    service_scopes: _containers.RepeatedScalarFieldContainer[str]
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    hook_types_customized: bool
    plugin_category: str
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., command: _Optional[str] = ..., config_json: _Optional[str] = ..., hook_type: _Optional[str] = ..., is_active: _Optional[bool] = ..., namespace: _Optional[str] = ..., hook_types: _Optional[_Iterable[str]] = ..., service_access_authorized: _Optional[bool] = ..., service_scopes: _Optional[_Iterable[str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., hook_types_customized: _Optional[bool] = ..., plugin_category: _Optional[str] = ...) -> None: ...

class ListLLMsRequest(_message.Message):
    __slots__ = ("context", "vendor", "is_active", "namespace", "page", "limit")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    vendor: str
    is_active: bool
    namespace: str
    page: int
    limit: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., vendor: _Optional[str] = ..., is_active: _Optional[bool] = ..., namespace: _Optional[str] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

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

class GetLLMPluginsRequest(_message.Message):
    __slots__ = ("context", "llm_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    LLM_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    llm_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., llm_id: _Optional[int] = ...) -> None: ...

class GetLLMPluginsResponse(_message.Message):
    __slots__ = ("plugins",)
    PLUGINS_FIELD_NUMBER: _ClassVar[int]
    plugins: _containers.RepeatedCompositeFieldContainer[PluginInfo]
    def __init__(self, plugins: _Optional[_Iterable[_Union[PluginInfo, _Mapping]]] = ...) -> None: ...

class LLMInfo(_message.Message):
    __slots__ = ("id", "name", "vendor", "api_endpoint", "has_api_key", "privacy_score", "short_description", "default_model", "allowed_models", "active", "namespace", "monthly_budget", "created_at", "updated_at", "metadata")
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
    API_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    HAS_API_KEY_FIELD_NUMBER: _ClassVar[int]
    PRIVACY_SCORE_FIELD_NUMBER: _ClassVar[int]
    SHORT_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_MODEL_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_MODELS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_BUDGET_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    vendor: str
    api_endpoint: str
    has_api_key: bool
    privacy_score: int
    short_description: str
    default_model: str
    allowed_models: _containers.RepeatedScalarFieldContainer[str]
    active: bool
    namespace: str
    monthly_budget: float
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., vendor: _Optional[str] = ..., api_endpoint: _Optional[str] = ..., has_api_key: _Optional[bool] = ..., privacy_score: _Optional[int] = ..., short_description: _Optional[str] = ..., default_model: _Optional[str] = ..., allowed_models: _Optional[_Iterable[str]] = ..., active: _Optional[bool] = ..., namespace: _Optional[str] = ..., monthly_budget: _Optional[float] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CreateLLMRequest(_message.Message):
    __slots__ = ("context", "name", "api_key", "api_endpoint", "privacy_score", "short_description", "long_description", "logo_url", "vendor", "active", "default_model", "allowed_models", "monthly_budget", "namespace")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    API_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    PRIVACY_SCORE_FIELD_NUMBER: _ClassVar[int]
    SHORT_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LONG_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LOGO_URL_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_MODEL_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_MODELS_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_BUDGET_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    name: str
    api_key: str
    api_endpoint: str
    privacy_score: int
    short_description: str
    long_description: str
    logo_url: str
    vendor: str
    active: bool
    default_model: str
    allowed_models: _containers.RepeatedScalarFieldContainer[str]
    monthly_budget: float
    namespace: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., name: _Optional[str] = ..., api_key: _Optional[str] = ..., api_endpoint: _Optional[str] = ..., privacy_score: _Optional[int] = ..., short_description: _Optional[str] = ..., long_description: _Optional[str] = ..., logo_url: _Optional[str] = ..., vendor: _Optional[str] = ..., active: _Optional[bool] = ..., default_model: _Optional[str] = ..., allowed_models: _Optional[_Iterable[str]] = ..., monthly_budget: _Optional[float] = ..., namespace: _Optional[str] = ...) -> None: ...

class CreateLLMResponse(_message.Message):
    __slots__ = ("llm",)
    LLM_FIELD_NUMBER: _ClassVar[int]
    llm: LLMInfo
    def __init__(self, llm: _Optional[_Union[LLMInfo, _Mapping]] = ...) -> None: ...

class UpdateLLMRequest(_message.Message):
    __slots__ = ("context", "llm_id", "name", "api_key", "api_endpoint", "privacy_score", "short_description", "long_description", "logo_url", "active", "default_model", "allowed_models", "monthly_budget", "namespace")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    LLM_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    API_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    PRIVACY_SCORE_FIELD_NUMBER: _ClassVar[int]
    SHORT_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LONG_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LOGO_URL_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_MODEL_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_MODELS_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_BUDGET_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    llm_id: int
    name: str
    api_key: str
    api_endpoint: str
    privacy_score: int
    short_description: str
    long_description: str
    logo_url: str
    active: bool
    default_model: str
    allowed_models: _containers.RepeatedScalarFieldContainer[str]
    monthly_budget: float
    namespace: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., llm_id: _Optional[int] = ..., name: _Optional[str] = ..., api_key: _Optional[str] = ..., api_endpoint: _Optional[str] = ..., privacy_score: _Optional[int] = ..., short_description: _Optional[str] = ..., long_description: _Optional[str] = ..., logo_url: _Optional[str] = ..., active: _Optional[bool] = ..., default_model: _Optional[str] = ..., allowed_models: _Optional[_Iterable[str]] = ..., monthly_budget: _Optional[float] = ..., namespace: _Optional[str] = ...) -> None: ...

class UpdateLLMResponse(_message.Message):
    __slots__ = ("llm",)
    LLM_FIELD_NUMBER: _ClassVar[int]
    llm: LLMInfo
    def __init__(self, llm: _Optional[_Union[LLMInfo, _Mapping]] = ...) -> None: ...

class DeleteLLMRequest(_message.Message):
    __slots__ = ("context", "llm_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    LLM_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    llm_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., llm_id: _Optional[int] = ...) -> None: ...

class DeleteLLMResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class UpdateLLMPluginsRequest(_message.Message):
    __slots__ = ("context", "llm_id", "plugin_ids", "append")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    LLM_ID_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_IDS_FIELD_NUMBER: _ClassVar[int]
    APPEND_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    llm_id: int
    plugin_ids: _containers.RepeatedScalarFieldContainer[int]
    append: bool
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., llm_id: _Optional[int] = ..., plugin_ids: _Optional[_Iterable[int]] = ..., append: _Optional[bool] = ...) -> None: ...

class UpdateLLMPluginsResponse(_message.Message):
    __slots__ = ("success", "message", "plugin_ids")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_IDS_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    plugin_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., plugin_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class GetAnalyticsSummaryRequest(_message.Message):
    __slots__ = ("context", "time_range", "app_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TIME_RANGE_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    time_range: str
    app_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., time_range: _Optional[str] = ..., app_id: _Optional[int] = ...) -> None: ...

class GetAnalyticsSummaryResponse(_message.Message):
    __slots__ = ("total_requests", "successful_requests", "failed_requests", "total_cost", "currency", "total_tokens", "top_endpoints", "model_usage")
    TOTAL_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    SUCCESSFUL_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    FAILED_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COST_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TOP_ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    MODEL_USAGE_FIELD_NUMBER: _ClassVar[int]
    total_requests: int
    successful_requests: int
    failed_requests: int
    total_cost: float
    currency: str
    total_tokens: int
    top_endpoints: _containers.RepeatedCompositeFieldContainer[TopEndpoint]
    model_usage: _containers.RepeatedCompositeFieldContainer[ModelUsage]
    def __init__(self, total_requests: _Optional[int] = ..., successful_requests: _Optional[int] = ..., failed_requests: _Optional[int] = ..., total_cost: _Optional[float] = ..., currency: _Optional[str] = ..., total_tokens: _Optional[int] = ..., top_endpoints: _Optional[_Iterable[_Union[TopEndpoint, _Mapping]]] = ..., model_usage: _Optional[_Iterable[_Union[ModelUsage, _Mapping]]] = ...) -> None: ...

class GetUsageStatisticsRequest(_message.Message):
    __slots__ = ("context", "time_range", "group_by")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TIME_RANGE_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    time_range: str
    group_by: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., time_range: _Optional[str] = ..., group_by: _Optional[str] = ...) -> None: ...

class GetUsageStatisticsResponse(_message.Message):
    __slots__ = ("statistics",)
    STATISTICS_FIELD_NUMBER: _ClassVar[int]
    statistics: _containers.RepeatedCompositeFieldContainer[UsageStatistic]
    def __init__(self, statistics: _Optional[_Iterable[_Union[UsageStatistic, _Mapping]]] = ...) -> None: ...

class GetCostAnalysisRequest(_message.Message):
    __slots__ = ("context", "time_range", "app_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TIME_RANGE_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    time_range: str
    app_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., time_range: _Optional[str] = ..., app_id: _Optional[int] = ...) -> None: ...

class GetCostAnalysisResponse(_message.Message):
    __slots__ = ("total_cost", "currency", "breakdown")
    TOTAL_COST_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    BREAKDOWN_FIELD_NUMBER: _ClassVar[int]
    total_cost: float
    currency: str
    breakdown: _containers.RepeatedCompositeFieldContainer[CostBreakdown]
    def __init__(self, total_cost: _Optional[float] = ..., currency: _Optional[str] = ..., breakdown: _Optional[_Iterable[_Union[CostBreakdown, _Mapping]]] = ...) -> None: ...

class TopEndpoint(_message.Message):
    __slots__ = ("path", "request_count", "blocked_count", "success_rate")
    PATH_FIELD_NUMBER: _ClassVar[int]
    REQUEST_COUNT_FIELD_NUMBER: _ClassVar[int]
    BLOCKED_COUNT_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_RATE_FIELD_NUMBER: _ClassVar[int]
    path: str
    request_count: int
    blocked_count: int
    success_rate: float
    def __init__(self, path: _Optional[str] = ..., request_count: _Optional[int] = ..., blocked_count: _Optional[int] = ..., success_rate: _Optional[float] = ...) -> None: ...

class ModelUsage(_message.Message):
    __slots__ = ("model_name", "vendor", "request_count", "total_tokens", "total_cost")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COST_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    vendor: str
    request_count: int
    total_tokens: int
    total_cost: float
    def __init__(self, model_name: _Optional[str] = ..., vendor: _Optional[str] = ..., request_count: _Optional[int] = ..., total_tokens: _Optional[int] = ..., total_cost: _Optional[float] = ...) -> None: ...

class UsageStatistic(_message.Message):
    __slots__ = ("key", "label", "request_count", "token_count", "cost", "timestamp")
    KEY_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    key: str
    label: str
    request_count: int
    token_count: int
    cost: float
    timestamp: _timestamp_pb2.Timestamp
    def __init__(self, key: _Optional[str] = ..., label: _Optional[str] = ..., request_count: _Optional[int] = ..., token_count: _Optional[int] = ..., cost: _Optional[float] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CostBreakdown(_message.Message):
    __slots__ = ("category", "name", "cost", "percentage")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    PERCENTAGE_FIELD_NUMBER: _ClassVar[int]
    category: str
    name: str
    cost: float
    percentage: float
    def __init__(self, category: _Optional[str] = ..., name: _Optional[str] = ..., cost: _Optional[float] = ..., percentage: _Optional[float] = ...) -> None: ...

class ListAppsRequest(_message.Message):
    __slots__ = ("context", "is_active", "namespace", "page", "limit", "user_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    is_active: bool
    namespace: str
    page: int
    limit: int
    user_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., is_active: _Optional[bool] = ..., namespace: _Optional[str] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ..., user_id: _Optional[int] = ...) -> None: ...

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
    __slots__ = ("id", "name", "description", "is_active", "namespace", "monthly_budget", "llm_ids", "created_at", "updated_at", "owner_email", "metadata", "tool_ids", "datasource_ids", "user_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_BUDGET_FIELD_NUMBER: _ClassVar[int]
    LLM_IDS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    OWNER_EMAIL_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    TOOL_IDS_FIELD_NUMBER: _ClassVar[int]
    DATASOURCE_IDS_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    description: str
    is_active: bool
    namespace: str
    monthly_budget: float
    llm_ids: _containers.RepeatedScalarFieldContainer[int]
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    owner_email: str
    metadata: str
    tool_ids: _containers.RepeatedScalarFieldContainer[int]
    datasource_ids: _containers.RepeatedScalarFieldContainer[int]
    user_id: int
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., is_active: _Optional[bool] = ..., namespace: _Optional[str] = ..., monthly_budget: _Optional[float] = ..., llm_ids: _Optional[_Iterable[int]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., owner_email: _Optional[str] = ..., metadata: _Optional[str] = ..., tool_ids: _Optional[_Iterable[int]] = ..., datasource_ids: _Optional[_Iterable[int]] = ..., user_id: _Optional[int] = ...) -> None: ...

class CreateAppRequest(_message.Message):
    __slots__ = ("context", "name", "description", "user_id", "datasource_ids", "llm_ids", "tool_ids", "monthly_budget", "namespace", "metadata")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    DATASOURCE_IDS_FIELD_NUMBER: _ClassVar[int]
    LLM_IDS_FIELD_NUMBER: _ClassVar[int]
    TOOL_IDS_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_BUDGET_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    name: str
    description: str
    user_id: int
    datasource_ids: _containers.RepeatedScalarFieldContainer[int]
    llm_ids: _containers.RepeatedScalarFieldContainer[int]
    tool_ids: _containers.RepeatedScalarFieldContainer[int]
    monthly_budget: float
    namespace: str
    metadata: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., user_id: _Optional[int] = ..., datasource_ids: _Optional[_Iterable[int]] = ..., llm_ids: _Optional[_Iterable[int]] = ..., tool_ids: _Optional[_Iterable[int]] = ..., monthly_budget: _Optional[float] = ..., namespace: _Optional[str] = ..., metadata: _Optional[str] = ...) -> None: ...

class CreateAppResponse(_message.Message):
    __slots__ = ("app",)
    APP_FIELD_NUMBER: _ClassVar[int]
    app: AppInfo
    def __init__(self, app: _Optional[_Union[AppInfo, _Mapping]] = ...) -> None: ...

class UpdateAppRequest(_message.Message):
    __slots__ = ("context", "app_id", "name", "description", "is_active", "llm_ids", "tool_ids", "monthly_budget", "metadata", "datasource_ids")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    LLM_IDS_FIELD_NUMBER: _ClassVar[int]
    TOOL_IDS_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_BUDGET_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    DATASOURCE_IDS_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    app_id: int
    name: str
    description: str
    is_active: bool
    llm_ids: _containers.RepeatedScalarFieldContainer[int]
    tool_ids: _containers.RepeatedScalarFieldContainer[int]
    monthly_budget: float
    metadata: str
    datasource_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., app_id: _Optional[int] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., is_active: _Optional[bool] = ..., llm_ids: _Optional[_Iterable[int]] = ..., tool_ids: _Optional[_Iterable[int]] = ..., monthly_budget: _Optional[float] = ..., metadata: _Optional[str] = ..., datasource_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class UpdateAppResponse(_message.Message):
    __slots__ = ("app",)
    APP_FIELD_NUMBER: _ClassVar[int]
    app: AppInfo
    def __init__(self, app: _Optional[_Union[AppInfo, _Mapping]] = ...) -> None: ...

class DeleteAppRequest(_message.Message):
    __slots__ = ("context", "app_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    app_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., app_id: _Optional[int] = ...) -> None: ...

class DeleteAppResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class PatchAppMetadataRequest(_message.Message):
    __slots__ = ("context", "app_id", "key", "value", "delete")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    DELETE_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    app_id: int
    key: str
    value: str
    delete: bool
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., app_id: _Optional[int] = ..., key: _Optional[str] = ..., value: _Optional[str] = ..., delete: _Optional[bool] = ...) -> None: ...

class PatchAppMetadataResponse(_message.Message):
    __slots__ = ("success", "message", "metadata")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    metadata: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., metadata: _Optional[str] = ...) -> None: ...

class ListToolsRequest(_message.Message):
    __slots__ = ("context", "tool_type", "is_active", "namespace", "page", "limit")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TOOL_TYPE_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    tool_type: str
    is_active: bool
    namespace: str
    page: int
    limit: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., tool_type: _Optional[str] = ..., is_active: _Optional[bool] = ..., namespace: _Optional[str] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListToolsResponse(_message.Message):
    __slots__ = ("tools", "total_count")
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    tools: _containers.RepeatedCompositeFieldContainer[ToolInfo]
    total_count: int
    def __init__(self, tools: _Optional[_Iterable[_Union[ToolInfo, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...

class GetToolRequest(_message.Message):
    __slots__ = ("context", "tool_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TOOL_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    tool_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., tool_id: _Optional[int] = ...) -> None: ...

class GetToolResponse(_message.Message):
    __slots__ = ("tool",)
    TOOL_FIELD_NUMBER: _ClassVar[int]
    tool: ToolInfo
    def __init__(self, tool: _Optional[_Union[ToolInfo, _Mapping]] = ...) -> None: ...

class GetToolOperationsRequest(_message.Message):
    __slots__ = ("context", "tool_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TOOL_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    tool_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., tool_id: _Optional[int] = ...) -> None: ...

class GetToolOperationsResponse(_message.Message):
    __slots__ = ("operations",)
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    operations: _containers.RepeatedCompositeFieldContainer[ToolOperation]
    def __init__(self, operations: _Optional[_Iterable[_Union[ToolOperation, _Mapping]]] = ...) -> None: ...

class CallToolOperationRequest(_message.Message):
    __slots__ = ("context", "tool_id", "operation_id", "params_json", "payload_json", "headers_json")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TOOL_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    PARAMS_JSON_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_JSON_FIELD_NUMBER: _ClassVar[int]
    HEADERS_JSON_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    tool_id: int
    operation_id: str
    params_json: str
    payload_json: str
    headers_json: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., tool_id: _Optional[int] = ..., operation_id: _Optional[str] = ..., params_json: _Optional[str] = ..., payload_json: _Optional[str] = ..., headers_json: _Optional[str] = ...) -> None: ...

class CallToolOperationResponse(_message.Message):
    __slots__ = ("success", "result_json", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    result_json: str
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., result_json: _Optional[str] = ..., error_message: _Optional[str] = ...) -> None: ...

class ToolInfo(_message.Message):
    __slots__ = ("id", "name", "slug", "description", "tool_type", "oas_spec", "operations", "is_active", "namespace", "privacy_score", "created_at", "updated_at", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SLUG_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TOOL_TYPE_FIELD_NUMBER: _ClassVar[int]
    OAS_SPEC_FIELD_NUMBER: _ClassVar[int]
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    PRIVACY_SCORE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    slug: str
    description: str
    tool_type: str
    oas_spec: str
    operations: _containers.RepeatedScalarFieldContainer[str]
    is_active: bool
    namespace: str
    privacy_score: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., slug: _Optional[str] = ..., description: _Optional[str] = ..., tool_type: _Optional[str] = ..., oas_spec: _Optional[str] = ..., operations: _Optional[_Iterable[str]] = ..., is_active: _Optional[bool] = ..., namespace: _Optional[str] = ..., privacy_score: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ToolOperation(_message.Message):
    __slots__ = ("operation_id", "method", "path", "summary", "description", "parameters", "request_body")
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_BODY_FIELD_NUMBER: _ClassVar[int]
    operation_id: str
    method: str
    path: str
    summary: str
    description: str
    parameters: _containers.RepeatedCompositeFieldContainer[ToolParameter]
    request_body: ToolRequestBody
    def __init__(self, operation_id: _Optional[str] = ..., method: _Optional[str] = ..., path: _Optional[str] = ..., summary: _Optional[str] = ..., description: _Optional[str] = ..., parameters: _Optional[_Iterable[_Union[ToolParameter, _Mapping]]] = ..., request_body: _Optional[_Union[ToolRequestBody, _Mapping]] = ...) -> None: ...

class ToolParameter(_message.Message):
    __slots__ = ("name", "description", "required", "type", "example")
    NAME_FIELD_NUMBER: _ClassVar[int]
    IN_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    EXAMPLE_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    required: bool
    type: str
    example: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., required: _Optional[bool] = ..., type: _Optional[str] = ..., example: _Optional[str] = ..., **kwargs) -> None: ...

class ToolRequestBody(_message.Message):
    __slots__ = ("description", "required", "content_type", "schema_json")
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_JSON_FIELD_NUMBER: _ClassVar[int]
    description: str
    required: bool
    content_type: str
    schema_json: str
    def __init__(self, description: _Optional[str] = ..., required: _Optional[bool] = ..., content_type: _Optional[str] = ..., schema_json: _Optional[str] = ...) -> None: ...

class CreateToolRequest(_message.Message):
    __slots__ = ("context", "name", "description", "tool_type", "oas_spec", "privacy_score", "auth_schema_name", "auth_key")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TOOL_TYPE_FIELD_NUMBER: _ClassVar[int]
    OAS_SPEC_FIELD_NUMBER: _ClassVar[int]
    PRIVACY_SCORE_FIELD_NUMBER: _ClassVar[int]
    AUTH_SCHEMA_NAME_FIELD_NUMBER: _ClassVar[int]
    AUTH_KEY_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    name: str
    description: str
    tool_type: str
    oas_spec: str
    privacy_score: int
    auth_schema_name: str
    auth_key: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., tool_type: _Optional[str] = ..., oas_spec: _Optional[str] = ..., privacy_score: _Optional[int] = ..., auth_schema_name: _Optional[str] = ..., auth_key: _Optional[str] = ...) -> None: ...

class CreateToolResponse(_message.Message):
    __slots__ = ("tool",)
    TOOL_FIELD_NUMBER: _ClassVar[int]
    tool: ToolInfo
    def __init__(self, tool: _Optional[_Union[ToolInfo, _Mapping]] = ...) -> None: ...

class UpdateToolRequest(_message.Message):
    __slots__ = ("context", "tool_id", "name", "description", "tool_type", "oas_spec", "privacy_score", "auth_schema_name", "auth_key")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TOOL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TOOL_TYPE_FIELD_NUMBER: _ClassVar[int]
    OAS_SPEC_FIELD_NUMBER: _ClassVar[int]
    PRIVACY_SCORE_FIELD_NUMBER: _ClassVar[int]
    AUTH_SCHEMA_NAME_FIELD_NUMBER: _ClassVar[int]
    AUTH_KEY_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    tool_id: int
    name: str
    description: str
    tool_type: str
    oas_spec: str
    privacy_score: int
    auth_schema_name: str
    auth_key: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., tool_id: _Optional[int] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., tool_type: _Optional[str] = ..., oas_spec: _Optional[str] = ..., privacy_score: _Optional[int] = ..., auth_schema_name: _Optional[str] = ..., auth_key: _Optional[str] = ...) -> None: ...

class UpdateToolResponse(_message.Message):
    __slots__ = ("tool",)
    TOOL_FIELD_NUMBER: _ClassVar[int]
    tool: ToolInfo
    def __init__(self, tool: _Optional[_Union[ToolInfo, _Mapping]] = ...) -> None: ...

class DeleteToolRequest(_message.Message):
    __slots__ = ("context", "tool_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TOOL_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    tool_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., tool_id: _Optional[int] = ...) -> None: ...

class DeleteToolResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class ListDatasourcesRequest(_message.Message):
    __slots__ = ("context", "is_active", "user_id", "page", "limit")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    is_active: bool
    user_id: str
    page: int
    limit: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., is_active: _Optional[bool] = ..., user_id: _Optional[str] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListDatasourcesResponse(_message.Message):
    __slots__ = ("datasources", "total_count")
    DATASOURCES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    datasources: _containers.RepeatedCompositeFieldContainer[DatasourceInfo]
    total_count: int
    def __init__(self, datasources: _Optional[_Iterable[_Union[DatasourceInfo, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...

class GetDatasourceRequest(_message.Message):
    __slots__ = ("context", "datasource_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    DATASOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    datasource_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., datasource_id: _Optional[int] = ...) -> None: ...

class GetDatasourceResponse(_message.Message):
    __slots__ = ("datasource",)
    DATASOURCE_FIELD_NUMBER: _ClassVar[int]
    datasource: DatasourceInfo
    def __init__(self, datasource: _Optional[_Union[DatasourceInfo, _Mapping]] = ...) -> None: ...

class CreateDatasourceRequest(_message.Message):
    __slots__ = ("context", "name", "short_description", "long_description", "icon", "url", "privacy_score", "user_id", "tag_names", "db_conn_string", "db_source_type", "db_conn_api_key", "db_name", "embed_vendor", "embed_url", "embed_api_key", "embed_model", "active")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHORT_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LONG_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ICON_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    PRIVACY_SCORE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TAG_NAMES_FIELD_NUMBER: _ClassVar[int]
    DB_CONN_STRING_FIELD_NUMBER: _ClassVar[int]
    DB_SOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    DB_CONN_API_KEY_FIELD_NUMBER: _ClassVar[int]
    DB_NAME_FIELD_NUMBER: _ClassVar[int]
    EMBED_VENDOR_FIELD_NUMBER: _ClassVar[int]
    EMBED_URL_FIELD_NUMBER: _ClassVar[int]
    EMBED_API_KEY_FIELD_NUMBER: _ClassVar[int]
    EMBED_MODEL_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    name: str
    short_description: str
    long_description: str
    icon: str
    url: str
    privacy_score: int
    user_id: int
    tag_names: _containers.RepeatedScalarFieldContainer[str]
    db_conn_string: str
    db_source_type: str
    db_conn_api_key: str
    db_name: str
    embed_vendor: str
    embed_url: str
    embed_api_key: str
    embed_model: str
    active: bool
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., name: _Optional[str] = ..., short_description: _Optional[str] = ..., long_description: _Optional[str] = ..., icon: _Optional[str] = ..., url: _Optional[str] = ..., privacy_score: _Optional[int] = ..., user_id: _Optional[int] = ..., tag_names: _Optional[_Iterable[str]] = ..., db_conn_string: _Optional[str] = ..., db_source_type: _Optional[str] = ..., db_conn_api_key: _Optional[str] = ..., db_name: _Optional[str] = ..., embed_vendor: _Optional[str] = ..., embed_url: _Optional[str] = ..., embed_api_key: _Optional[str] = ..., embed_model: _Optional[str] = ..., active: _Optional[bool] = ...) -> None: ...

class CreateDatasourceResponse(_message.Message):
    __slots__ = ("datasource",)
    DATASOURCE_FIELD_NUMBER: _ClassVar[int]
    datasource: DatasourceInfo
    def __init__(self, datasource: _Optional[_Union[DatasourceInfo, _Mapping]] = ...) -> None: ...

class UpdateDatasourceRequest(_message.Message):
    __slots__ = ("context", "datasource_id", "name", "short_description", "long_description", "icon", "url", "privacy_score", "db_conn_string", "db_source_type", "db_conn_api_key", "db_name", "embed_vendor", "embed_url", "embed_api_key", "embed_model", "active", "tag_names", "user_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    DATASOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHORT_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LONG_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ICON_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    PRIVACY_SCORE_FIELD_NUMBER: _ClassVar[int]
    DB_CONN_STRING_FIELD_NUMBER: _ClassVar[int]
    DB_SOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    DB_CONN_API_KEY_FIELD_NUMBER: _ClassVar[int]
    DB_NAME_FIELD_NUMBER: _ClassVar[int]
    EMBED_VENDOR_FIELD_NUMBER: _ClassVar[int]
    EMBED_URL_FIELD_NUMBER: _ClassVar[int]
    EMBED_API_KEY_FIELD_NUMBER: _ClassVar[int]
    EMBED_MODEL_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    TAG_NAMES_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    datasource_id: int
    name: str
    short_description: str
    long_description: str
    icon: str
    url: str
    privacy_score: int
    db_conn_string: str
    db_source_type: str
    db_conn_api_key: str
    db_name: str
    embed_vendor: str
    embed_url: str
    embed_api_key: str
    embed_model: str
    active: bool
    tag_names: _containers.RepeatedScalarFieldContainer[str]
    user_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., datasource_id: _Optional[int] = ..., name: _Optional[str] = ..., short_description: _Optional[str] = ..., long_description: _Optional[str] = ..., icon: _Optional[str] = ..., url: _Optional[str] = ..., privacy_score: _Optional[int] = ..., db_conn_string: _Optional[str] = ..., db_source_type: _Optional[str] = ..., db_conn_api_key: _Optional[str] = ..., db_name: _Optional[str] = ..., embed_vendor: _Optional[str] = ..., embed_url: _Optional[str] = ..., embed_api_key: _Optional[str] = ..., embed_model: _Optional[str] = ..., active: _Optional[bool] = ..., tag_names: _Optional[_Iterable[str]] = ..., user_id: _Optional[int] = ...) -> None: ...

class UpdateDatasourceResponse(_message.Message):
    __slots__ = ("datasource",)
    DATASOURCE_FIELD_NUMBER: _ClassVar[int]
    datasource: DatasourceInfo
    def __init__(self, datasource: _Optional[_Union[DatasourceInfo, _Mapping]] = ...) -> None: ...

class DeleteDatasourceRequest(_message.Message):
    __slots__ = ("context", "datasource_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    DATASOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    datasource_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., datasource_id: _Optional[int] = ...) -> None: ...

class DeleteDatasourceResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class CloneDatasourceRequest(_message.Message):
    __slots__ = ("context", "source_datasource_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_DATASOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    source_datasource_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., source_datasource_id: _Optional[int] = ...) -> None: ...

class CloneDatasourceResponse(_message.Message):
    __slots__ = ("datasource",)
    DATASOURCE_FIELD_NUMBER: _ClassVar[int]
    datasource: DatasourceInfo
    def __init__(self, datasource: _Optional[_Union[DatasourceInfo, _Mapping]] = ...) -> None: ...

class SearchDatasourcesRequest(_message.Message):
    __slots__ = ("context", "query")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    query: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., query: _Optional[str] = ...) -> None: ...

class SearchDatasourcesResponse(_message.Message):
    __slots__ = ("datasources",)
    DATASOURCES_FIELD_NUMBER: _ClassVar[int]
    datasources: _containers.RepeatedCompositeFieldContainer[DatasourceInfo]
    def __init__(self, datasources: _Optional[_Iterable[_Union[DatasourceInfo, _Mapping]]] = ...) -> None: ...

class ProcessEmbeddingsRequest(_message.Message):
    __slots__ = ("context", "datasource_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    DATASOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    datasource_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., datasource_id: _Optional[int] = ...) -> None: ...

class ProcessEmbeddingsResponse(_message.Message):
    __slots__ = ("success", "message", "job_id")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    job_id: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ..., job_id: _Optional[str] = ...) -> None: ...

class GenerateEmbeddingRequest(_message.Message):
    __slots__ = ("context", "datasource_id", "texts")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    DATASOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    TEXTS_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    datasource_id: int
    texts: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., datasource_id: _Optional[int] = ..., texts: _Optional[_Iterable[str]] = ...) -> None: ...

class GenerateEmbeddingResponse(_message.Message):
    __slots__ = ("success", "vectors", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    VECTORS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    vectors: _containers.RepeatedCompositeFieldContainer[EmbeddingVector]
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., vectors: _Optional[_Iterable[_Union[EmbeddingVector, _Mapping]]] = ..., error_message: _Optional[str] = ...) -> None: ...

class EmbeddingVector(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, values: _Optional[_Iterable[float]] = ...) -> None: ...

class StoreDocumentsRequest(_message.Message):
    __slots__ = ("context", "datasource_id", "documents")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    DATASOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    datasource_id: int
    documents: _containers.RepeatedCompositeFieldContainer[DocumentWithEmbedding]
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., datasource_id: _Optional[int] = ..., documents: _Optional[_Iterable[_Union[DocumentWithEmbedding, _Mapping]]] = ...) -> None: ...

class DocumentWithEmbedding(_message.Message):
    __slots__ = ("content", "embedding", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    content: str
    embedding: _containers.RepeatedScalarFieldContainer[float]
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, content: _Optional[str] = ..., embedding: _Optional[_Iterable[float]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class StoreDocumentsResponse(_message.Message):
    __slots__ = ("success", "stored_count", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    STORED_COUNT_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    stored_count: int
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., stored_count: _Optional[int] = ..., error_message: _Optional[str] = ...) -> None: ...

class ProcessAndStoreRequest(_message.Message):
    __slots__ = ("context", "datasource_id", "chunks")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    DATASOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    datasource_id: int
    chunks: _containers.RepeatedCompositeFieldContainer[DocumentChunk]
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., datasource_id: _Optional[int] = ..., chunks: _Optional[_Iterable[_Union[DocumentChunk, _Mapping]]] = ...) -> None: ...

class DocumentChunk(_message.Message):
    __slots__ = ("content", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    content: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, content: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ProcessAndStoreResponse(_message.Message):
    __slots__ = ("success", "processed_count", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    PROCESSED_COUNT_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    processed_count: int
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., processed_count: _Optional[int] = ..., error_message: _Optional[str] = ...) -> None: ...

class DeleteDocumentsByMetadataRequest(_message.Message):
    __slots__ = ("context", "datasource_id", "metadata_filter", "filter_mode", "dry_run")
    class MetadataFilterEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    DATASOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FILTER_FIELD_NUMBER: _ClassVar[int]
    FILTER_MODE_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    datasource_id: int
    metadata_filter: _containers.ScalarMap[str, str]
    filter_mode: str
    dry_run: bool
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., datasource_id: _Optional[int] = ..., metadata_filter: _Optional[_Mapping[str, str]] = ..., filter_mode: _Optional[str] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class DeleteDocumentsByMetadataResponse(_message.Message):
    __slots__ = ("success", "deleted_count", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DELETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    deleted_count: int
    message: str
    def __init__(self, success: _Optional[bool] = ..., deleted_count: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class QueryByMetadataOnlyRequest(_message.Message):
    __slots__ = ("context", "datasource_id", "metadata_filter", "filter_mode", "limit", "offset")
    class MetadataFilterEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    DATASOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FILTER_FIELD_NUMBER: _ClassVar[int]
    FILTER_MODE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    datasource_id: int
    metadata_filter: _containers.ScalarMap[str, str]
    filter_mode: str
    limit: int
    offset: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., datasource_id: _Optional[int] = ..., metadata_filter: _Optional[_Mapping[str, str]] = ..., filter_mode: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class QueryByMetadataOnlyResponse(_message.Message):
    __slots__ = ("results", "total_count")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[DatasourceResult]
    total_count: int
    def __init__(self, results: _Optional[_Iterable[_Union[DatasourceResult, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...

class ListNamespacesRequest(_message.Message):
    __slots__ = ("context", "datasource_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    DATASOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    datasource_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., datasource_id: _Optional[int] = ...) -> None: ...

class ListNamespacesResponse(_message.Message):
    __slots__ = ("namespaces",)
    NAMESPACES_FIELD_NUMBER: _ClassVar[int]
    namespaces: _containers.RepeatedCompositeFieldContainer[NamespaceInfo]
    def __init__(self, namespaces: _Optional[_Iterable[_Union[NamespaceInfo, _Mapping]]] = ...) -> None: ...

class NamespaceInfo(_message.Message):
    __slots__ = ("name", "document_count")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    name: str
    document_count: int
    def __init__(self, name: _Optional[str] = ..., document_count: _Optional[int] = ...) -> None: ...

class DeleteNamespaceRequest(_message.Message):
    __slots__ = ("context", "datasource_id", "namespace", "confirm")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    DATASOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    CONFIRM_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    datasource_id: int
    namespace: str
    confirm: bool
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., datasource_id: _Optional[int] = ..., namespace: _Optional[str] = ..., confirm: _Optional[bool] = ...) -> None: ...

class DeleteNamespaceResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class QueryByVectorRequest(_message.Message):
    __slots__ = ("context", "datasource_id", "embedding", "max_results", "similarity_threshold")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    DATASOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FIELD_NUMBER: _ClassVar[int]
    MAX_RESULTS_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    datasource_id: int
    embedding: _containers.RepeatedScalarFieldContainer[float]
    max_results: int
    similarity_threshold: float
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., datasource_id: _Optional[int] = ..., embedding: _Optional[_Iterable[float]] = ..., max_results: _Optional[int] = ..., similarity_threshold: _Optional[float] = ...) -> None: ...

class DatasourceInfo(_message.Message):
    __slots__ = ("id", "name", "short_description", "long_description", "icon", "url", "privacy_score", "user_id", "tags", "db_source_type", "db_name", "embed_vendor", "embed_model", "active", "has_db_conn_api_key", "has_embed_api_key", "created_at", "updated_at", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHORT_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LONG_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ICON_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    PRIVACY_SCORE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    DB_SOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    DB_NAME_FIELD_NUMBER: _ClassVar[int]
    EMBED_VENDOR_FIELD_NUMBER: _ClassVar[int]
    EMBED_MODEL_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    HAS_DB_CONN_API_KEY_FIELD_NUMBER: _ClassVar[int]
    HAS_EMBED_API_KEY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    short_description: str
    long_description: str
    icon: str
    url: str
    privacy_score: int
    user_id: int
    tags: _containers.RepeatedCompositeFieldContainer[TagInfo]
    db_source_type: str
    db_name: str
    embed_vendor: str
    embed_model: str
    active: bool
    has_db_conn_api_key: bool
    has_embed_api_key: bool
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., short_description: _Optional[str] = ..., long_description: _Optional[str] = ..., icon: _Optional[str] = ..., url: _Optional[str] = ..., privacy_score: _Optional[int] = ..., user_id: _Optional[int] = ..., tags: _Optional[_Iterable[_Union[TagInfo, _Mapping]]] = ..., db_source_type: _Optional[str] = ..., db_name: _Optional[str] = ..., embed_vendor: _Optional[str] = ..., embed_model: _Optional[str] = ..., active: _Optional[bool] = ..., has_db_conn_api_key: _Optional[bool] = ..., has_embed_api_key: _Optional[bool] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ListDataCataloguesRequest(_message.Message):
    __slots__ = ("context", "page", "limit")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    page: int
    limit: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListDataCataloguesResponse(_message.Message):
    __slots__ = ("data_catalogues", "total_count")
    DATA_CATALOGUES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    data_catalogues: _containers.RepeatedCompositeFieldContainer[DataCatalogueInfo]
    total_count: int
    def __init__(self, data_catalogues: _Optional[_Iterable[_Union[DataCatalogueInfo, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...

class GetDataCatalogueRequest(_message.Message):
    __slots__ = ("context", "data_catalogue_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    DATA_CATALOGUE_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    data_catalogue_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., data_catalogue_id: _Optional[int] = ...) -> None: ...

class GetDataCatalogueResponse(_message.Message):
    __slots__ = ("data_catalogue",)
    DATA_CATALOGUE_FIELD_NUMBER: _ClassVar[int]
    data_catalogue: DataCatalogueInfo
    def __init__(self, data_catalogue: _Optional[_Union[DataCatalogueInfo, _Mapping]] = ...) -> None: ...

class CreateDataCatalogueRequest(_message.Message):
    __slots__ = ("context", "name", "short_description", "long_description", "icon")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHORT_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LONG_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ICON_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    name: str
    short_description: str
    long_description: str
    icon: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., name: _Optional[str] = ..., short_description: _Optional[str] = ..., long_description: _Optional[str] = ..., icon: _Optional[str] = ...) -> None: ...

class CreateDataCatalogueResponse(_message.Message):
    __slots__ = ("data_catalogue",)
    DATA_CATALOGUE_FIELD_NUMBER: _ClassVar[int]
    data_catalogue: DataCatalogueInfo
    def __init__(self, data_catalogue: _Optional[_Union[DataCatalogueInfo, _Mapping]] = ...) -> None: ...

class UpdateDataCatalogueRequest(_message.Message):
    __slots__ = ("context", "data_catalogue_id", "name", "short_description", "long_description", "icon")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    DATA_CATALOGUE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHORT_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LONG_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ICON_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    data_catalogue_id: int
    name: str
    short_description: str
    long_description: str
    icon: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., data_catalogue_id: _Optional[int] = ..., name: _Optional[str] = ..., short_description: _Optional[str] = ..., long_description: _Optional[str] = ..., icon: _Optional[str] = ...) -> None: ...

class UpdateDataCatalogueResponse(_message.Message):
    __slots__ = ("data_catalogue",)
    DATA_CATALOGUE_FIELD_NUMBER: _ClassVar[int]
    data_catalogue: DataCatalogueInfo
    def __init__(self, data_catalogue: _Optional[_Union[DataCatalogueInfo, _Mapping]] = ...) -> None: ...

class DeleteDataCatalogueRequest(_message.Message):
    __slots__ = ("context", "data_catalogue_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    DATA_CATALOGUE_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    data_catalogue_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., data_catalogue_id: _Optional[int] = ...) -> None: ...

class DeleteDataCatalogueResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class DataCatalogueInfo(_message.Message):
    __slots__ = ("id", "name", "short_description", "long_description", "icon", "datasources", "tags", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHORT_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LONG_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ICON_FIELD_NUMBER: _ClassVar[int]
    DATASOURCES_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    short_description: str
    long_description: str
    icon: str
    datasources: _containers.RepeatedCompositeFieldContainer[DatasourceInfo]
    tags: _containers.RepeatedCompositeFieldContainer[TagInfo]
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., short_description: _Optional[str] = ..., long_description: _Optional[str] = ..., icon: _Optional[str] = ..., datasources: _Optional[_Iterable[_Union[DatasourceInfo, _Mapping]]] = ..., tags: _Optional[_Iterable[_Union[TagInfo, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListTagsRequest(_message.Message):
    __slots__ = ("context", "page", "limit")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    page: int
    limit: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListTagsResponse(_message.Message):
    __slots__ = ("tags", "total_count")
    TAGS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    tags: _containers.RepeatedCompositeFieldContainer[TagInfo]
    total_count: int
    def __init__(self, tags: _Optional[_Iterable[_Union[TagInfo, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...

class GetTagRequest(_message.Message):
    __slots__ = ("context", "tag_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TAG_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    tag_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., tag_id: _Optional[int] = ...) -> None: ...

class GetTagResponse(_message.Message):
    __slots__ = ("tag",)
    TAG_FIELD_NUMBER: _ClassVar[int]
    tag: TagInfo
    def __init__(self, tag: _Optional[_Union[TagInfo, _Mapping]] = ...) -> None: ...

class CreateTagRequest(_message.Message):
    __slots__ = ("context", "name")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    name: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., name: _Optional[str] = ...) -> None: ...

class CreateTagResponse(_message.Message):
    __slots__ = ("tag",)
    TAG_FIELD_NUMBER: _ClassVar[int]
    tag: TagInfo
    def __init__(self, tag: _Optional[_Union[TagInfo, _Mapping]] = ...) -> None: ...

class UpdateTagRequest(_message.Message):
    __slots__ = ("context", "tag_id", "name")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TAG_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    tag_id: int
    name: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., tag_id: _Optional[int] = ..., name: _Optional[str] = ...) -> None: ...

class UpdateTagResponse(_message.Message):
    __slots__ = ("tag",)
    TAG_FIELD_NUMBER: _ClassVar[int]
    tag: TagInfo
    def __init__(self, tag: _Optional[_Union[TagInfo, _Mapping]] = ...) -> None: ...

class DeleteTagRequest(_message.Message):
    __slots__ = ("context", "tag_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TAG_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    tag_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., tag_id: _Optional[int] = ...) -> None: ...

class DeleteTagResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class SearchTagsRequest(_message.Message):
    __slots__ = ("context", "query")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    query: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., query: _Optional[str] = ...) -> None: ...

class SearchTagsResponse(_message.Message):
    __slots__ = ("tags",)
    TAGS_FIELD_NUMBER: _ClassVar[int]
    tags: _containers.RepeatedCompositeFieldContainer[TagInfo]
    def __init__(self, tags: _Optional[_Iterable[_Union[TagInfo, _Mapping]]] = ...) -> None: ...

class TagInfo(_message.Message):
    __slots__ = ("id", "name", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetChatRecordsPerDayRequest(_message.Message):
    __slots__ = ("context", "start_date", "end_date", "app_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    start_date: str
    end_date: str
    app_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., app_id: _Optional[int] = ...) -> None: ...

class GetChatRecordsPerDayResponse(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[DayRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[DayRecord, _Mapping]]] = ...) -> None: ...

class GetModelUsageRequest(_message.Message):
    __slots__ = ("context", "start_date", "end_date", "llm_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    LLM_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    start_date: str
    end_date: str
    llm_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., llm_id: _Optional[int] = ...) -> None: ...

class GetModelUsageResponse(_message.Message):
    __slots__ = ("usage",)
    USAGE_FIELD_NUMBER: _ClassVar[int]
    usage: _containers.RepeatedCompositeFieldContainer[ModelUsageRecord]
    def __init__(self, usage: _Optional[_Iterable[_Union[ModelUsageRecord, _Mapping]]] = ...) -> None: ...

class GetVendorUsageRequest(_message.Message):
    __slots__ = ("context", "start_date", "end_date", "vendor", "llm_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    LLM_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    start_date: str
    end_date: str
    vendor: str
    llm_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., vendor: _Optional[str] = ..., llm_id: _Optional[int] = ...) -> None: ...

class GetVendorUsageResponse(_message.Message):
    __slots__ = ("usage",)
    USAGE_FIELD_NUMBER: _ClassVar[int]
    usage: _containers.RepeatedCompositeFieldContainer[VendorUsageRecord]
    def __init__(self, usage: _Optional[_Iterable[_Union[VendorUsageRecord, _Mapping]]] = ...) -> None: ...

class GetTokenUsagePerAppRequest(_message.Message):
    __slots__ = ("context", "start_date", "end_date")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    start_date: str
    end_date: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ...) -> None: ...

class GetTokenUsagePerAppResponse(_message.Message):
    __slots__ = ("usage",)
    USAGE_FIELD_NUMBER: _ClassVar[int]
    usage: _containers.RepeatedCompositeFieldContainer[AppTokenUsage]
    def __init__(self, usage: _Optional[_Iterable[_Union[AppTokenUsage, _Mapping]]] = ...) -> None: ...

class GetToolUsageStatisticsRequest(_message.Message):
    __slots__ = ("context", "start_date", "end_date")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    start_date: str
    end_date: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ...) -> None: ...

class GetToolUsageStatisticsResponse(_message.Message):
    __slots__ = ("usage",)
    USAGE_FIELD_NUMBER: _ClassVar[int]
    usage: _containers.RepeatedCompositeFieldContainer[ToolUsageRecord]
    def __init__(self, usage: _Optional[_Iterable[_Union[ToolUsageRecord, _Mapping]]] = ...) -> None: ...

class DayRecord(_message.Message):
    __slots__ = ("date", "count", "total_cost", "total_tokens")
    DATE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COST_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    date: str
    count: int
    total_cost: float
    total_tokens: int
    def __init__(self, date: _Optional[str] = ..., count: _Optional[int] = ..., total_cost: _Optional[float] = ..., total_tokens: _Optional[int] = ...) -> None: ...

class ModelUsageRecord(_message.Message):
    __slots__ = ("model_name", "vendor", "request_count", "total_tokens", "total_cost", "average_cost")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COST_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_COST_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    vendor: str
    request_count: int
    total_tokens: int
    total_cost: float
    average_cost: float
    def __init__(self, model_name: _Optional[str] = ..., vendor: _Optional[str] = ..., request_count: _Optional[int] = ..., total_tokens: _Optional[int] = ..., total_cost: _Optional[float] = ..., average_cost: _Optional[float] = ...) -> None: ...

class VendorUsageRecord(_message.Message):
    __slots__ = ("date", "request_count", "total_tokens", "total_cost")
    DATE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COST_FIELD_NUMBER: _ClassVar[int]
    date: str
    request_count: int
    total_tokens: int
    total_cost: float
    def __init__(self, date: _Optional[str] = ..., request_count: _Optional[int] = ..., total_tokens: _Optional[int] = ..., total_cost: _Optional[float] = ...) -> None: ...

class AppTokenUsage(_message.Message):
    __slots__ = ("app_id", "app_name", "total_tokens", "total_cost", "request_count")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    APP_NAME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COST_FIELD_NUMBER: _ClassVar[int]
    REQUEST_COUNT_FIELD_NUMBER: _ClassVar[int]
    app_id: int
    app_name: str
    total_tokens: int
    total_cost: float
    request_count: int
    def __init__(self, app_id: _Optional[int] = ..., app_name: _Optional[str] = ..., total_tokens: _Optional[int] = ..., total_cost: _Optional[float] = ..., request_count: _Optional[int] = ...) -> None: ...

class ToolUsageRecord(_message.Message):
    __slots__ = ("tool_id", "tool_name", "operation_id", "call_count", "success_rate", "average_latency_ms")
    TOOL_ID_FIELD_NUMBER: _ClassVar[int]
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_COUNT_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_RATE_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    tool_id: int
    tool_name: str
    operation_id: str
    call_count: int
    success_rate: float
    average_latency_ms: float
    def __init__(self, tool_id: _Optional[int] = ..., tool_name: _Optional[str] = ..., operation_id: _Optional[str] = ..., call_count: _Optional[int] = ..., success_rate: _Optional[float] = ..., average_latency_ms: _Optional[float] = ...) -> None: ...

class ListModelPricesRequest(_message.Message):
    __slots__ = ("context", "vendor", "page", "limit")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    vendor: str
    page: int
    limit: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., vendor: _Optional[str] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListModelPricesResponse(_message.Message):
    __slots__ = ("model_prices", "total_count")
    MODEL_PRICES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    model_prices: _containers.RepeatedCompositeFieldContainer[ModelPriceInfo]
    total_count: int
    def __init__(self, model_prices: _Optional[_Iterable[_Union[ModelPriceInfo, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...

class GetModelPriceRequest(_message.Message):
    __slots__ = ("context", "model_price_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    MODEL_PRICE_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    model_price_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., model_price_id: _Optional[int] = ...) -> None: ...

class GetModelPriceResponse(_message.Message):
    __slots__ = ("model_price",)
    MODEL_PRICE_FIELD_NUMBER: _ClassVar[int]
    model_price: ModelPriceInfo
    def __init__(self, model_price: _Optional[_Union[ModelPriceInfo, _Mapping]] = ...) -> None: ...

class CreateModelPriceRequest(_message.Message):
    __slots__ = ("context", "model_name", "vendor", "cpt", "cpit", "cache_write_pt", "cache_read_pt", "currency")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    CPT_FIELD_NUMBER: _ClassVar[int]
    CPIT_FIELD_NUMBER: _ClassVar[int]
    CACHE_WRITE_PT_FIELD_NUMBER: _ClassVar[int]
    CACHE_READ_PT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    model_name: str
    vendor: str
    cpt: float
    cpit: float
    cache_write_pt: float
    cache_read_pt: float
    currency: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., model_name: _Optional[str] = ..., vendor: _Optional[str] = ..., cpt: _Optional[float] = ..., cpit: _Optional[float] = ..., cache_write_pt: _Optional[float] = ..., cache_read_pt: _Optional[float] = ..., currency: _Optional[str] = ...) -> None: ...

class CreateModelPriceResponse(_message.Message):
    __slots__ = ("model_price",)
    MODEL_PRICE_FIELD_NUMBER: _ClassVar[int]
    model_price: ModelPriceInfo
    def __init__(self, model_price: _Optional[_Union[ModelPriceInfo, _Mapping]] = ...) -> None: ...

class UpdateModelPriceRequest(_message.Message):
    __slots__ = ("context", "model_price_id", "model_name", "vendor", "cpt", "cpit", "cache_write_pt", "cache_read_pt", "currency")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    MODEL_PRICE_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    CPT_FIELD_NUMBER: _ClassVar[int]
    CPIT_FIELD_NUMBER: _ClassVar[int]
    CACHE_WRITE_PT_FIELD_NUMBER: _ClassVar[int]
    CACHE_READ_PT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    model_price_id: int
    model_name: str
    vendor: str
    cpt: float
    cpit: float
    cache_write_pt: float
    cache_read_pt: float
    currency: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., model_price_id: _Optional[int] = ..., model_name: _Optional[str] = ..., vendor: _Optional[str] = ..., cpt: _Optional[float] = ..., cpit: _Optional[float] = ..., cache_write_pt: _Optional[float] = ..., cache_read_pt: _Optional[float] = ..., currency: _Optional[str] = ...) -> None: ...

class UpdateModelPriceResponse(_message.Message):
    __slots__ = ("model_price",)
    MODEL_PRICE_FIELD_NUMBER: _ClassVar[int]
    model_price: ModelPriceInfo
    def __init__(self, model_price: _Optional[_Union[ModelPriceInfo, _Mapping]] = ...) -> None: ...

class DeleteModelPriceRequest(_message.Message):
    __slots__ = ("context", "model_price_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    MODEL_PRICE_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    model_price_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., model_price_id: _Optional[int] = ...) -> None: ...

class DeleteModelPriceResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class GetModelPricesByVendorRequest(_message.Message):
    __slots__ = ("context", "vendor")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    vendor: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., vendor: _Optional[str] = ...) -> None: ...

class GetModelPricesByVendorResponse(_message.Message):
    __slots__ = ("model_prices",)
    MODEL_PRICES_FIELD_NUMBER: _ClassVar[int]
    model_prices: _containers.RepeatedCompositeFieldContainer[ModelPriceInfo]
    def __init__(self, model_prices: _Optional[_Iterable[_Union[ModelPriceInfo, _Mapping]]] = ...) -> None: ...

class ModelPriceInfo(_message.Message):
    __slots__ = ("id", "model_name", "vendor", "cpt", "cpit", "cache_write_pt", "cache_read_pt", "currency", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    CPT_FIELD_NUMBER: _ClassVar[int]
    CPIT_FIELD_NUMBER: _ClassVar[int]
    CACHE_WRITE_PT_FIELD_NUMBER: _ClassVar[int]
    CACHE_READ_PT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: int
    model_name: str
    vendor: str
    cpt: float
    cpit: float
    cache_write_pt: float
    cache_read_pt: float
    currency: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[int] = ..., model_name: _Optional[str] = ..., vendor: _Optional[str] = ..., cpt: _Optional[float] = ..., cpit: _Optional[float] = ..., cache_write_pt: _Optional[float] = ..., cache_read_pt: _Optional[float] = ..., currency: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListFiltersRequest(_message.Message):
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

class ListFiltersResponse(_message.Message):
    __slots__ = ("filters", "total_count")
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    filters: _containers.RepeatedCompositeFieldContainer[FilterInfo]
    total_count: int
    def __init__(self, filters: _Optional[_Iterable[_Union[FilterInfo, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...

class GetFilterRequest(_message.Message):
    __slots__ = ("context", "filter_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    FILTER_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    filter_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., filter_id: _Optional[int] = ...) -> None: ...

class GetFilterResponse(_message.Message):
    __slots__ = ("filter",)
    FILTER_FIELD_NUMBER: _ClassVar[int]
    filter: FilterInfo
    def __init__(self, filter: _Optional[_Union[FilterInfo, _Mapping]] = ...) -> None: ...

class CreateFilterRequest(_message.Message):
    __slots__ = ("context", "name", "description", "script", "response_filter", "namespace")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FILTER_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    name: str
    description: str
    script: str
    response_filter: bool
    namespace: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., script: _Optional[str] = ..., response_filter: _Optional[bool] = ..., namespace: _Optional[str] = ...) -> None: ...

class CreateFilterResponse(_message.Message):
    __slots__ = ("filter",)
    FILTER_FIELD_NUMBER: _ClassVar[int]
    filter: FilterInfo
    def __init__(self, filter: _Optional[_Union[FilterInfo, _Mapping]] = ...) -> None: ...

class UpdateFilterRequest(_message.Message):
    __slots__ = ("context", "filter_id", "name", "description", "script", "response_filter", "namespace")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    FILTER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FILTER_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    filter_id: int
    name: str
    description: str
    script: str
    response_filter: bool
    namespace: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., filter_id: _Optional[int] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., script: _Optional[str] = ..., response_filter: _Optional[bool] = ..., namespace: _Optional[str] = ...) -> None: ...

class UpdateFilterResponse(_message.Message):
    __slots__ = ("filter",)
    FILTER_FIELD_NUMBER: _ClassVar[int]
    filter: FilterInfo
    def __init__(self, filter: _Optional[_Union[FilterInfo, _Mapping]] = ...) -> None: ...

class DeleteFilterRequest(_message.Message):
    __slots__ = ("context", "filter_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    FILTER_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    filter_id: int
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., filter_id: _Optional[int] = ...) -> None: ...

class DeleteFilterResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class FilterInfo(_message.Message):
    __slots__ = ("id", "name", "description", "script", "is_active", "order_index", "namespace", "llm_ids", "created_at", "updated_at", "response_filter")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    ORDER_INDEX_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    LLM_IDS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FILTER_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    description: str
    script: str
    is_active: bool
    order_index: int
    namespace: str
    llm_ids: _containers.RepeatedScalarFieldContainer[int]
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    response_filter: bool
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., script: _Optional[str] = ..., is_active: _Optional[bool] = ..., order_index: _Optional[int] = ..., namespace: _Optional[str] = ..., llm_ids: _Optional[_Iterable[int]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., response_filter: _Optional[bool] = ...) -> None: ...

class GetAvailableLLMDriversRequest(_message.Message):
    __slots__ = ("context",)
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ...) -> None: ...

class GetAvailableLLMDriversResponse(_message.Message):
    __slots__ = ("drivers",)
    DRIVERS_FIELD_NUMBER: _ClassVar[int]
    drivers: _containers.RepeatedCompositeFieldContainer[VendorDriverInfo]
    def __init__(self, drivers: _Optional[_Iterable[_Union[VendorDriverInfo, _Mapping]]] = ...) -> None: ...

class GetAvailableEmbeddersRequest(_message.Message):
    __slots__ = ("context",)
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ...) -> None: ...

class GetAvailableEmbeddersResponse(_message.Message):
    __slots__ = ("embedders",)
    EMBEDDERS_FIELD_NUMBER: _ClassVar[int]
    embedders: _containers.RepeatedCompositeFieldContainer[VendorDriverInfo]
    def __init__(self, embedders: _Optional[_Iterable[_Union[VendorDriverInfo, _Mapping]]] = ...) -> None: ...

class GetAvailableVectorStoresRequest(_message.Message):
    __slots__ = ("context",)
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ...) -> None: ...

class GetAvailableVectorStoresResponse(_message.Message):
    __slots__ = ("vector_stores",)
    VECTOR_STORES_FIELD_NUMBER: _ClassVar[int]
    vector_stores: _containers.RepeatedCompositeFieldContainer[VendorDriverInfo]
    def __init__(self, vector_stores: _Optional[_Iterable[_Union[VendorDriverInfo, _Mapping]]] = ...) -> None: ...

class VendorDriverInfo(_message.Message):
    __slots__ = ("name", "vendor", "version", "description", "supported_features")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SUPPORTED_FEATURES_FIELD_NUMBER: _ClassVar[int]
    name: str
    vendor: str
    version: str
    description: str
    supported_features: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., vendor: _Optional[str] = ..., version: _Optional[str] = ..., description: _Optional[str] = ..., supported_features: _Optional[_Iterable[str]] = ...) -> None: ...

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
    __slots__ = ("created", "message")
    CREATED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    created: bool
    message: str
    def __init__(self, created: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class ReadPluginKVRequest(_message.Message):
    __slots__ = ("context", "key")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    key: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., key: _Optional[str] = ...) -> None: ...

class ReadPluginKVResponse(_message.Message):
    __slots__ = ("value", "message")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    value: bytes
    message: str
    def __init__(self, value: _Optional[bytes] = ..., message: _Optional[str] = ...) -> None: ...

class DeletePluginKVRequest(_message.Message):
    __slots__ = ("context", "key")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    key: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., key: _Optional[str] = ...) -> None: ...

class DeletePluginKVResponse(_message.Message):
    __slots__ = ("deleted", "message")
    DELETED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    message: str
    def __init__(self, deleted: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class ExecuteToolRequest(_message.Message):
    __slots__ = ("context", "tool_id", "operation_id", "params_json", "payload_json", "headers_json")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TOOL_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    PARAMS_JSON_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_JSON_FIELD_NUMBER: _ClassVar[int]
    HEADERS_JSON_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    tool_id: int
    operation_id: str
    params_json: str
    payload_json: str
    headers_json: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., tool_id: _Optional[int] = ..., operation_id: _Optional[str] = ..., params_json: _Optional[str] = ..., payload_json: _Optional[str] = ..., headers_json: _Optional[str] = ...) -> None: ...

class ExecuteToolResponse(_message.Message):
    __slots__ = ("success", "result_json", "error_message", "status_code")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    result_json: str
    error_message: str
    status_code: int
    def __init__(self, success: _Optional[bool] = ..., result_json: _Optional[str] = ..., error_message: _Optional[str] = ..., status_code: _Optional[int] = ...) -> None: ...

class QueryDatasourceRequest(_message.Message):
    __slots__ = ("context", "datasource_id", "query", "max_results", "similarity_threshold")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    DATASOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    MAX_RESULTS_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    datasource_id: int
    query: str
    max_results: int
    similarity_threshold: float
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., datasource_id: _Optional[int] = ..., query: _Optional[str] = ..., max_results: _Optional[int] = ..., similarity_threshold: _Optional[float] = ...) -> None: ...

class QueryDatasourceResponse(_message.Message):
    __slots__ = ("success", "results", "error_message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    results: _containers.RepeatedCompositeFieldContainer[DatasourceResult]
    error_message: str
    def __init__(self, success: _Optional[bool] = ..., results: _Optional[_Iterable[_Union[DatasourceResult, _Mapping]]] = ..., error_message: _Optional[str] = ...) -> None: ...

class DatasourceResult(_message.Message):
    __slots__ = ("content", "similarity_score", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_SCORE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    content: str
    similarity_score: float
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, content: _Optional[str] = ..., similarity_score: _Optional[float] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CallLLMRequest(_message.Message):
    __slots__ = ("context", "llm_id", "model", "messages", "temperature", "max_tokens", "tools", "stream")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    LLM_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    llm_id: int
    model: str
    messages: _containers.RepeatedCompositeFieldContainer[LLMMessage]
    temperature: float
    max_tokens: int
    tools: _containers.RepeatedCompositeFieldContainer[LLMTool]
    stream: bool
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., llm_id: _Optional[int] = ..., model: _Optional[str] = ..., messages: _Optional[_Iterable[_Union[LLMMessage, _Mapping]]] = ..., temperature: _Optional[float] = ..., max_tokens: _Optional[int] = ..., tools: _Optional[_Iterable[_Union[LLMTool, _Mapping]]] = ..., stream: _Optional[bool] = ...) -> None: ...

class CallLLMResponse(_message.Message):
    __slots__ = ("success", "content", "error_message", "usage", "done", "tool_calls")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALLS_FIELD_NUMBER: _ClassVar[int]
    success: bool
    content: str
    error_message: str
    usage: LLMUsage
    done: bool
    tool_calls: _containers.RepeatedCompositeFieldContainer[LLMToolCall]
    def __init__(self, success: _Optional[bool] = ..., content: _Optional[str] = ..., error_message: _Optional[str] = ..., usage: _Optional[_Union[LLMUsage, _Mapping]] = ..., done: _Optional[bool] = ..., tool_calls: _Optional[_Iterable[_Union[LLMToolCall, _Mapping]]] = ...) -> None: ...

class LLMMessage(_message.Message):
    __slots__ = ("role", "content", "name", "tool_call_id")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_ID_FIELD_NUMBER: _ClassVar[int]
    role: str
    content: str
    name: str
    tool_call_id: str
    def __init__(self, role: _Optional[str] = ..., content: _Optional[str] = ..., name: _Optional[str] = ..., tool_call_id: _Optional[str] = ...) -> None: ...

class LLMTool(_message.Message):
    __slots__ = ("type", "function")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    type: str
    function: LLMFunction
    def __init__(self, type: _Optional[str] = ..., function: _Optional[_Union[LLMFunction, _Mapping]] = ...) -> None: ...

class LLMFunction(_message.Message):
    __slots__ = ("name", "description", "parameters_json")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_JSON_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    parameters_json: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., parameters_json: _Optional[str] = ...) -> None: ...

class LLMToolCall(_message.Message):
    __slots__ = ("id", "type", "function")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: str
    function: LLMFunctionCall
    def __init__(self, id: _Optional[str] = ..., type: _Optional[str] = ..., function: _Optional[_Union[LLMFunctionCall, _Mapping]] = ...) -> None: ...

class LLMFunctionCall(_message.Message):
    __slots__ = ("name", "arguments")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    arguments: str
    def __init__(self, name: _Optional[str] = ..., arguments: _Optional[str] = ...) -> None: ...

class LLMUsage(_message.Message):
    __slots__ = ("prompt_tokens", "completion_tokens", "total_tokens", "cache_read_tokens", "cache_write_tokens")
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CACHE_READ_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CACHE_WRITE_TOKENS_FIELD_NUMBER: _ClassVar[int]
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    def __init__(self, prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ..., total_tokens: _Optional[int] = ..., cache_read_tokens: _Optional[int] = ..., cache_write_tokens: _Optional[int] = ...) -> None: ...

class CreateScheduleRequest(_message.Message):
    __slots__ = ("context", "schedule_id", "name", "cron_expr", "timezone", "timeout_seconds", "config_json", "enabled")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CRON_EXPR_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    schedule_id: str
    name: str
    cron_expr: str
    timezone: str
    timeout_seconds: int
    config_json: str
    enabled: bool
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., schedule_id: _Optional[str] = ..., name: _Optional[str] = ..., cron_expr: _Optional[str] = ..., timezone: _Optional[str] = ..., timeout_seconds: _Optional[int] = ..., config_json: _Optional[str] = ..., enabled: _Optional[bool] = ...) -> None: ...

class CreateScheduleResponse(_message.Message):
    __slots__ = ("schedule",)
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    schedule: ScheduleInfo
    def __init__(self, schedule: _Optional[_Union[ScheduleInfo, _Mapping]] = ...) -> None: ...

class GetScheduleRequest(_message.Message):
    __slots__ = ("context", "schedule_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    schedule_id: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., schedule_id: _Optional[str] = ...) -> None: ...

class GetScheduleResponse(_message.Message):
    __slots__ = ("schedule",)
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    schedule: ScheduleInfo
    def __init__(self, schedule: _Optional[_Union[ScheduleInfo, _Mapping]] = ...) -> None: ...

class ListSchedulesRequest(_message.Message):
    __slots__ = ("context",)
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ...) -> None: ...

class ListSchedulesResponse(_message.Message):
    __slots__ = ("schedules", "total_count")
    SCHEDULES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    schedules: _containers.RepeatedCompositeFieldContainer[ScheduleInfo]
    total_count: int
    def __init__(self, schedules: _Optional[_Iterable[_Union[ScheduleInfo, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...

class UpdateScheduleRequest(_message.Message):
    __slots__ = ("context", "schedule_id", "name", "cron_expr", "timezone", "timeout_seconds", "config_json", "enabled")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CRON_EXPR_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    schedule_id: str
    name: str
    cron_expr: str
    timezone: str
    timeout_seconds: int
    config_json: str
    enabled: bool
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., schedule_id: _Optional[str] = ..., name: _Optional[str] = ..., cron_expr: _Optional[str] = ..., timezone: _Optional[str] = ..., timeout_seconds: _Optional[int] = ..., config_json: _Optional[str] = ..., enabled: _Optional[bool] = ...) -> None: ...

class UpdateScheduleResponse(_message.Message):
    __slots__ = ("schedule",)
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    schedule: ScheduleInfo
    def __init__(self, schedule: _Optional[_Union[ScheduleInfo, _Mapping]] = ...) -> None: ...

class DeleteScheduleRequest(_message.Message):
    __slots__ = ("context", "schedule_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    context: PluginContext
    schedule_id: str
    def __init__(self, context: _Optional[_Union[PluginContext, _Mapping]] = ..., schedule_id: _Optional[str] = ...) -> None: ...

class DeleteScheduleResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class ScheduleInfo(_message.Message):
    __slots__ = ("id", "plugin_id", "schedule_id", "name", "cron_expr", "timezone", "enabled", "config", "timeout_seconds", "last_run", "next_run", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CRON_EXPR_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    LAST_RUN_FIELD_NUMBER: _ClassVar[int]
    NEXT_RUN_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: int
    plugin_id: int
    schedule_id: str
    name: str
    cron_expr: str
    timezone: str
    enabled: bool
    config: str
    timeout_seconds: int
    last_run: _timestamp_pb2.Timestamp
    next_run: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[int] = ..., plugin_id: _Optional[int] = ..., schedule_id: _Optional[str] = ..., name: _Optional[str] = ..., cron_expr: _Optional[str] = ..., timezone: _Optional[str] = ..., enabled: _Optional[bool] = ..., config: _Optional[str] = ..., timeout_seconds: _Optional[int] = ..., last_run: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_run: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

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
