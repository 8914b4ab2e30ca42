namespace Nango.Web.Components.Dashboard;

/// <summary>Every dashboard link is built here, so routes change in one place.</summary>
public static class DashboardUrls
{
    public const string Root = "/dashboard";
    public const string SignIn = "/signin";
    public const string SignUp = "/signup";
    public const string SignInEndpoint = "/dashboard/auth/signin";
    public const string SignUpEndpoint = "/dashboard/auth/signup";
    public const string SignOutEndpoint = "/dashboard/auth/signout";
    public const string DefaultEnvironment = "dev";

    public static string Home(string env) => $"{Root}/{Escape(env)}";

    public static string Integrations(string env) => $"{Root}/{Escape(env)}/integrations";

    public static string CreateIntegration(string env, string? provider = null) =>
        provider is null ? $"{Root}/{Escape(env)}/integrations/create" : $"{Root}/{Escape(env)}/integrations/create/{Escape(provider)}";

    public static string Integration(string env, string uniqueKey) => $"{Root}/{Escape(env)}/integrations/{Escape(uniqueKey)}";

    /// <summary>The integration page with its Functions tab open.</summary>
    public static string IntegrationFunctions(string env, string uniqueKey) => Integration(env, uniqueKey) + "?tab=functions";

    /// <summary>One deployed function; the type is part of the path because a sync and an action may share a name.</summary>
    public static string Function(string env, string uniqueKey, string type, string name) =>
        $"{Integration(env, uniqueKey)}/functions/{Escape(type)}/{Escape(name)}";

    public static string Connections(string env, string? integration = null, string? search = null)
    {
        var url = $"{Root}/{Escape(env)}/connections";
        var query = new List<string>();
        if (!string.IsNullOrEmpty(integration))
        {
            query.Add("integration=" + Escape(integration));
        }
        if (!string.IsNullOrEmpty(search))
        {
            query.Add("search=" + Escape(search));
        }
        return query.Count == 0 ? url : url + "?" + string.Join('&', query);
    }

    /// <summary>
    /// The Connect UI (not a dashboard page, but the dashboard frames it). Its path ends with a slash, as
    /// <c>@nangohq/frontend</c> builds it; <paramref name="framed"/> drops the page-wide backdrop.
    /// </summary>
    public static string ConnectUi(string? theme = null, bool framed = false)
    {
        var query = new List<string>();
        if (theme is not null)
        {
            query.Add("theme=" + Escape(theme));
        }
        if (framed)
        {
            query.Add("embedded=true");
        }
        return query.Count == 0 ? "/connect/" : "/connect/?" + string.Join('&', query);
    }

    public static string Connection(string env, string integration, string connectionId) =>
        $"{Root}/{Escape(env)}/connections/{Escape(integration)}/{Escape(connectionId)}";

    /// <summary>
    /// The Logs page, optionally filtered. Lists repeat their key (<c>?integration=a&amp;integration=b</c>), the form
    /// Blazor binds to array query parameters, so unique keys and connection ids need no separator rules.
    /// </summary>
    public static string Logs(
        string env,
        IEnumerable<string>? integrations = null,
        IEnumerable<string>? connections = null,
        IEnumerable<string>? states = null,
        IEnumerable<string>? types = null,
        IEnumerable<string>? functions = null,
        string? period = null,
        string? search = null,
        Guid? operation = null,
        bool? live = null)
    {
        var query = new List<string>();
        void AddAll(string key, IEnumerable<string>? values)
        {
            foreach (var value in values ?? [])
            {
                if (!string.IsNullOrEmpty(value))
                {
                    query.Add(key + "=" + Escape(value));
                }
            }
        }
        AddAll("state", states);
        AddAll("type", types);
        AddAll("integration", integrations);
        AddAll("connection", connections);
        AddAll("function", functions);
        if (!string.IsNullOrEmpty(period))
        {
            query.Add("period=" + Escape(period));
        }
        if (!string.IsNullOrEmpty(search))
        {
            query.Add("search=" + Escape(search));
        }
        if (live is false)
        {
            query.Add("live=false");
        }
        if (operation is { } id)
        {
            query.Add("operation=" + id.ToString("D"));
        }
        var url = $"{Root}/{Escape(env)}/logs";
        return query.Count == 0 ? url : url + "?" + string.Join('&', query);
    }

    /// <summary>The Webhooks page (outgoing deliveries), optionally filtered or with one delivery open; lists repeat their key.</summary>
    public static string Webhooks(
        string env,
        IEnumerable<string>? statuses = null,
        IEnumerable<string>? eventTypes = null,
        string? target = null,
        long? delivery = null)
    {
        var query = new List<string>();
        foreach (var status in statuses ?? [])
        {
            query.Add("status=" + Escape(status));
        }
        foreach (var eventType in eventTypes ?? [])
        {
            query.Add("event=" + Escape(eventType));
        }
        if (!string.IsNullOrEmpty(target))
        {
            query.Add("target=" + Escape(target));
        }
        if (delivery is { } id)
        {
            query.Add("delivery=" + id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        var url = $"{Root}/{Escape(env)}/webhooks";
        return query.Count == 0 ? url : url + "?" + string.Join('&', query);
    }

    public static string EnvironmentSettings(string env) => $"{Root}/{Escape(env)}/environment-settings";

    /// <summary>The same page in another environment (environment switcher).</summary>
    public static string SwitchEnvironment(string currentPath, string currentEnv, string targetEnv)
    {
        var prefix = $"{Root}/{Escape(currentEnv)}";
        var path = currentPath.StartsWith(prefix, StringComparison.Ordinal) ? currentPath[prefix.Length..] : "";
        // Detail pages (one integration or connection) rarely exist in the other environment; go to the list.
        var section = path.Split('/', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return section is null ? Home(targetEnv) : $"{Root}/{Escape(targetEnv)}/{section}";
    }

    private static string Escape(string value) => Uri.EscapeDataString(value);
}
