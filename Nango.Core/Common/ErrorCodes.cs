namespace Nango.Core.Common;

/// <summary>Nango's error codes, shared by the API and the dashboard so both say the same thing.</summary>
public static class ErrorCodes
{
    public const string MissingAuthHeader = "missing_auth_header";
    public const string MalformedAuthHeader = "malformed_auth_header";
    public const string InvalidSecretKeyFormat = "invalid_secret_key_format";
    public const string UnknownAccount = "unknown_account";
    public const string InvalidConnectSessionTokenFormat = "invalid_connect_session_token_format";
    public const string UnknownConnectSessionToken = "unknown_connect_session_token";
    public const string InvalidBody = "invalid_body";
    public const string InvalidQueryParams = "invalid_query_params";
    public const string InvalidUriParams = "invalid_uri_params";
    public const string InvalidHeaders = "invalid_headers";
    public const string InvalidContentType = "invalid_content_type";
    public const string NotFound = "not_found";
    public const string UnknownProviderConfig = "unknown_provider_config";
    public const string UnknownProvider = "unknown_provider";
    public const string UnknownConnection = "unknown_connection";
    public const string DuplicateProviderConfig = "duplicate_provider_config";
    public const string DuplicateConnection = "duplicate_connection";
    public const string Conflict = "conflict";
    public const string ServerError = "server_error";
    public const string RequestTooLarge = "request_too_large";
    public const string UnknownEnvironment = "unknown_environment";
    public const string WebhookMissingSignature = "webhook_missing_signature";
    public const string WebhookInvalidSignature = "webhook_invalid_signature";
    public const string WebhookRateLimitExceeded = "webhook_rate_limit_exceeded";
    public const string InvalidCliVersion = "invalid_cli_version";
    public const string ConcurrentDeployment = "concurrent_deployment";
    public const string AmbiguousFunction = "ambiguous_function";
    public const string FunctionManagedByDeploy = "function_managed_by_deploy";
    public const string InvalidSyncRecord = "invalid_sync_record";
    public const string RecordTooLarge = "record_too_large";
}
