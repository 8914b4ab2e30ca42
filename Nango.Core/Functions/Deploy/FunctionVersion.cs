namespace Nango.Core.Functions.Deploy;

/// <summary>
/// One deployed definition of a function: what the CLI sent for it (description, models and their JSON
/// schema, schedule, endpoints, …) and where its bundle is in the function store. A deploy that changes
/// nothing about a function adds no version.
/// </summary>
public sealed class FunctionVersion
{
    public long Id { get; set; }

    public int FunctionId { get; set; }

    /// <summary>1, 2, 3… per function: the order of deploys. The <see cref="Version"/> label is the author's and may repeat.</summary>
    public int Revision { get; set; }

    /// <summary>The version the author declared (createSync's <c>version</c>), or one Nango-style bump of the previous when none was sent.</summary>
    public required string Version { get; set; }

    public string? Description { get; set; }

    /// <summary>jsonb array of model names the function returns (Nango's <c>models</c>/<c>returns</c>).</summary>
    public string Models { get; set; } = "[]";

    /// <summary>The input model name (actions; syncs' metadata model).</summary>
    public string? Input { get; set; }

    /// <summary>jsonb: <c>{"definitions":{…}}</c> for the models and input, as the CLI sends it; null when none was sent.</summary>
    public string? JsonSchema { get; set; }

    /// <summary>The sync's frequency (<c>every hour</c>); null for actions and on-event scripts.</summary>
    public string? Runs { get; set; }

    public bool AutoStart { get; set; }

    public bool TrackDeletes { get; set; }

    /// <summary><c>full</c> or <c>incremental</c> (deprecated by Nango, still sent).</summary>
    public string? SyncType { get; set; }

    /// <summary>jsonb array of <c>{method, path, group?}</c>.</summary>
    public string Endpoints { get; set; } = "[]";

    /// <summary>jsonb array of OAuth scopes the function needs.</summary>
    public string Scopes { get; set; } = "[]";

    /// <summary>jsonb array of webhook event types the sync subscribes to.</summary>
    public string WebhookSubscriptions { get; set; } = "[]";

    /// <summary>jsonb object (Nango's <c>attributes</c>).</summary>
    public string Attributes { get; set; } = "{}";

    /// <summary>jsonb array (Nango's <c>features</c>, e.g. <c>checkpoints</c>).</summary>
    public string Features { get; set; } = "[]";

    public string? SdkVersion { get; set; }

    /// <summary>Key of the compiled CommonJS bundle in the function store.</summary>
    public required string BundleKey { get; set; }

    /// <summary>Key of the TypeScript source in the function store, when the CLI sent it.</summary>
    public string? SourceKey { get; set; }

    /// <summary>Lowercase hex SHA-256 of the bundle: a stable cache key for prepared scripts.</summary>
    public required string CodeHash { get; set; }

    /// <summary>SHA-256 over the whole definition and both files; equal hashes mean an unchanged function.</summary>
    public required string DefinitionHash { get; set; }

    public long? DeploymentId { get; set; }

    public DateTimeOffset DeployedAt { get; set; }
}
