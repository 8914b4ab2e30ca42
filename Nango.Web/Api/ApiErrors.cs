using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Nango.Core.Common;

namespace Nango.Web.Api;

/// <summary>Nango's error envelope: <c>{"error":{"code","message","errors"?}}</c>.</summary>
public sealed record ApiErrorBody(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Message = null,
    [property: JsonPropertyName("errors"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ApiValidationIssue>? Errors = null,
    [property: JsonPropertyName("payload"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] object? Payload = null);

public sealed record ApiValidationIssue(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("path")] IReadOnlyList<object> Path);

public sealed record ApiError([property: JsonPropertyName("error")] ApiErrorBody Error);

/// <summary>The one place that builds error responses, so every endpoint answers the same envelope.</summary>
public static class ApiErrors
{
    public static JsonHttpResult<ApiError> Create(int status, string code, string? message = null, IReadOnlyList<ApiValidationIssue>? errors = null, object? payload = null) =>
        TypedResults.Json(new ApiError(new ApiErrorBody(code, message, errors, payload)), statusCode: status);

    public static JsonHttpResult<ApiError> InvalidBody(IEnumerable<ValidationError> errors) =>
        Create(StatusCodes.Status400BadRequest, ErrorCodes.InvalidBody, null, ToIssues(errors));

    public static JsonHttpResult<ApiError> InvalidQuery(IEnumerable<ValidationError> errors) =>
        Create(StatusCodes.Status400BadRequest, ErrorCodes.InvalidQueryParams, null, ToIssues(errors));

    public static JsonHttpResult<ApiError> InvalidUri(IEnumerable<ValidationError> errors) =>
        Create(StatusCodes.Status400BadRequest, ErrorCodes.InvalidUriParams, null, ToIssues(errors));

    public static JsonHttpResult<ApiError> InvalidHeaders(IEnumerable<ValidationError> errors) =>
        Create(StatusCodes.Status400BadRequest, ErrorCodes.InvalidHeaders, null, ToIssues(errors));

    public static JsonHttpResult<ApiError> NotFound(string message) =>
        Create(StatusCodes.Status404NotFound, ErrorCodes.NotFound, message);

    public static JsonHttpResult<ApiError> UnknownProviderConfig() =>
        Create(StatusCodes.Status400BadRequest, ErrorCodes.UnknownProviderConfig,
            "Provider config not found for the given provider config key. Please make sure the provider config exists in the Nango dashboard.");

    public static JsonHttpResult<ApiError> UnknownConnection(int status = StatusCodes.Status404NotFound) =>
        Create(status, ErrorCodes.UnknownConnection, "Provided ConnectionId and ProviderConfigKey does not match a valid connection");

    private static List<ApiValidationIssue> ToIssues(IEnumerable<ValidationError> errors) =>
        errors.Select(e => new ApiValidationIssue(e.Code, e.Message, e.Path)).ToList();
}

public sealed record SuccessResponse(bool Success);
