using Nango.Core.Functions.Runners;
using Nango.Core.Records;

namespace Nango.Core;

/// <summary>Root of every setting under the <c>Nango</c> configuration section (DESIGN.md, configuration contract).</summary>
public sealed class NangoOptions
{
    public const string SectionName = "Nango";

    public string ServerUrl { get; set; } = "http://localhost:3003";

    /// <summary>Base64 of 32 bytes; the primary key of the secrets key ring.</summary>
    public string? EncryptionKey { get; set; }

    /// <summary>Older keys still accepted for decryption, by key id (rotation).</summary>
    public Dictionary<string, string> EncryptionKeys { get; set; } = [];

    public string DataPath { get; set; } = "./.nango";

    public string InternalUrl { get; set; } = "http://127.0.0.1:3004";

    public CatalogOptions Catalog { get; set; } = new();

    public ProxyOptions Proxy { get; set; } = new();

    public RunnerOptions Runner { get; set; } = new();

    public LogsOptions Logs { get; set; } = new();

    public FunctionsOptions Functions { get; set; } = new();

    public BootstrapOptions Bootstrap { get; set; } = new();

    public DatabaseOptions Database { get; set; } = new();

    public SchedulingOptions Scheduling { get; set; } = new();

    public WebhookOptions Webhooks { get; set; } = new();

    public RecordsOptions Records { get; set; } = new();

    public Syncs.SyncsOptions Syncs { get; set; } = new();

    public CacheOptions Cache { get; set; } = new();
}

/// <summary>
/// In-memory caches of hot-path reads. Changes evict entries on every instance through Postgres NOTIFY; the lifetimes
/// below are only the safety net, the longest a missed change could be served. Zero turns a cache off.
/// </summary>
public sealed class CacheOptions
{
    public static readonly TimeSpan MaxTtl = TimeSpan.FromMinutes(1);

    /// <summary>Secret key → environment, read by every API call.</summary>
    public TimeSpan SecretKeyTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>What the proxy reads per call: connection, integration and decrypted credentials.</summary>
    public TimeSpan ProxyConnectionTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>What running a function reads per task: the live function and its action target (integration, connection).</summary>
    public TimeSpan FunctionTtl { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class CatalogOptions
{
    public List<string> ExtraFiles { get; set; } = [];
}

public sealed class ProxyOptions
{
    /// <summary>Null means: true in Development, false elsewhere.</summary>
    public bool? AllowPrivateNetworks { get; set; }

    /// <summary>
    /// Private ranges (CIDR, e.g. <c>10.20.0.0/16</c>) that stay reachable while private networks are refused: an
    /// internal API a self-hoster means to proxy to, without opening the whole private address space.
    /// </summary>
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>First wait between proxy attempts; it doubles on every retry (Nango: 3 s).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Longest wait between attempts, for computed backoff and for waits a provider asks for alike.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Request bodies up to this size are kept in memory so a retry can resend them; larger ones stream once.</summary>
    public long MaxBufferedBodyBytes { get; set; } = 75 * 1024 * 1024;

    /// <summary>How long one attempt may wait for the provider's response headers.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);
}

public sealed class LogsOptions
{
    public string Store { get; set; } = "Postgres";

    public string? ElasticsearchUrl { get; set; }

    public int RetentionDays { get; set; } = 15;
}

public sealed class FunctionsOptions
{
    /// <summary>Whether this instance takes function tasks off the queue and runs them (other instances still do).</summary>
    public bool DispatchEnabled { get; set; } = true;

    public string Store { get; set; } = "FileSystem";

    public string? AzureBlobConnectionString { get; set; }

    public string AzureBlobContainer { get; set; } = "nango-functions";

    /// <summary>
    /// The Blob service API version the client speaks (a <c>BlobClientOptions.ServiceVersion</c> name). Pinned because the
    /// client's newest can be ahead of what an emulator accepts: Azurite 3.37.0 takes at most 2026-06-06.
    /// </summary>
    public string AzureBlobServiceVersion { get; set; } = "V2026_06_06";

    /// <summary>
    /// Days an ended task (a sync run, an action, a webhook or event handler run) is kept; Nango's cleaning daemon
    /// keeps 5. A schedule's latest run is kept whatever its age.
    /// </summary>
    public int TaskRetentionDays { get; set; } = 5;
}

public sealed class BootstrapOptions
{
    public string? AdminEmail { get; set; }

    public string? AdminPassword { get; set; }

    public string? SecretKey { get; set; }

    public string? ProdSecretKey { get; set; }

    public string? WebhookSigningKey { get; set; }
}

public sealed class DatabaseOptions
{
    public bool MigrateOnStartup { get; set; } = true;
}

public sealed class SchedulingOptions
{
    /// <summary>Turns the Quartz scheduler off, e.g. for one-shot maintenance commands.</summary>
    public bool Enabled { get; set; } = true;

    public TimeSpan SecretReEncryptionInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often expiring credentials are refreshed ahead of use (Nango: every 10 minutes).</summary>
    public TimeSpan CredentialRefreshInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often function tasks past their timeouts are expired (Nango: every second).</summary>
    public TimeSpan TaskExpiryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the sync scheduler enqueues due schedules (<c>Nango__Scheduling__SyncTickInterval</c>).</summary>
    public TimeSpan SyncTickInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Outgoing delivery and incoming ingress of webhooks (<c>Nango__Webhooks__*</c>).</summary>
public sealed class WebhookOptions
{
    /// <summary>Turns this instance's delivery workers off (events still queue and other instances deliver them).</summary>
    public bool DeliveryEnabled { get; set; } = true;

    /// <summary>Deliveries in flight at once per instance.</summary>
    public int Concurrency { get; set; } = 32;

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Attempts before an event is dead-lettered; with the default delays they span about 24 hours.</summary>
    public int MaxAttempts { get; set; } = 17;

    /// <summary>Delay before the second attempt; each later delay doubles (with jitter) up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(4);

    /// <summary>How long a claimed delivery stays claimed; after it another instance retries it (crash recovery).</summary>
    public TimeSpan ClaimDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Consecutive failures of one target that open its circuit.</summary>
    public int CircuitBreakerThreshold { get; set; } = 5;

    /// <summary>How long an open circuit holds deliveries to its target back.</summary>
    public TimeSpan CircuitBreakerCooldown { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest sleep of an idle worker; new events wake it at once through Postgres NOTIFY.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>After a signing-key rotation the old key also signs (a second signature) for this long.</summary>
    public TimeSpan SigningKeyGracePeriod { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Incoming provider webhooks accepted per environment per minute (Nango: 4000).</summary>
    public int IncomingPerMinute { get; set; } = 4000;

    /// <summary>Largest incoming provider webhook body.</summary>
    public long IncomingMaxBodyBytes { get; set; } = 5 * 1024 * 1024;
}
