using Nango.Core.Common;

namespace Nango.Web.Api;

/// <summary>
/// Checks identifiers in the path against Nango's rules (reference §0.4) before a handler runs, so a
/// malformed key is a 400 invalid_uri_params rather than a lookup that finds nothing.
/// </summary>
internal sealed class RouteIdentifierFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var values = context.HttpContext.Request.RouteValues;
        var errors = new List<ValidationError>();
        if (values.TryGetValue("uniqueKey", out var key) && !Identifiers.IsProviderConfigKey(key as string))
        {
            errors.Add(ValidationError.At("Invalid unique key: letters, digits and ~:.@ _- (at most 255)", "uniqueKey"));
        }
        if (values.TryGetValue("connectionId", out var connectionId) && !Identifiers.IsConnectionId(connectionId as string))
        {
            errors.Add(ValidationError.At("Invalid connection id", "connectionId"));
        }
        return errors.Count > 0 ? ApiErrors.InvalidUri(errors) : await next(context);
    }
}
