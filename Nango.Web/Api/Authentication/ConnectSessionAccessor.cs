using Nango.Core.ConnectSessions;

namespace Nango.Web.Api.Authentication;

/// <summary>The connect session the current request was authenticated with; its environment is the request's tenant scope.</summary>
public static class ConnectSessionAccessor
{
    private const string ItemKey = "nango.connect_session";

    public static void Set(HttpContext context, ConnectSessionContext session)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(session);
        context.Items[ItemKey] = session;
        EnvironmentAccessor.Set(context, session.Environment);
    }

    public static ConnectSessionContext GetConnectSession(this HttpContext context) =>
        context.Items[ItemKey] as ConnectSessionContext
        ?? throw new InvalidOperationException("No connect session on this request: the endpoint must require connect-session authentication.");
}
