namespace Nango.Core.Environments;

/// <summary>
/// One of an account's environments (<c>dev</c>, <c>prod</c>). Named NangoEnvironment so it never
/// collides with <see cref="System.Environment"/>.
/// </summary>
public sealed class NangoEnvironment
{
    public int Id { get; set; }

    public int AccountId { get; set; }

    public Guid Uuid { get; set; }

    public required string Name { get; set; }

    /// <summary>Lookup hash of the secret key (<see cref="Secrets.SecretHasher"/>).</summary>
    public required string SecretKeyHash { get; set; }

    public required string SecretKeyCiphertext { get; set; }

    public Guid PublicKey { get; set; }

    /// <summary>Null means the default <c>{ServerUrl}/oauth/callback</c>.</summary>
    public string? CallbackUrl { get; set; }

    public string? WebhookUrl { get; set; }

    public string? WebhookUrlSecondary { get; set; }

    public required string WebhookSigningKeyCiphertext { get; set; }

    /// <summary>The key before the last rotation; it signs too (a second signature) until <see cref="PreviousWebhookSigningKeyExpiresAt"/>.</summary>
    public string? PreviousWebhookSigningKeyCiphertext { get; set; }

    public DateTimeOffset? PreviousWebhookSigningKeyExpiresAt { get; set; }

    public bool SendAuthWebhook { get; set; } = true;

    public bool SendRefreshFailedWebhook { get; set; } = true;

    public bool SendSyncErrorWebhook { get; set; } = true;

    public bool AlwaysSendSyncCompletionWebhook { get; set; }

    public bool SendAsyncActionWebhook { get; set; } = true;

    /// <summary>Whether proxy callers may send <c>Base-Url-Override</c> (a leaked key could otherwise send credentials anywhere).</summary>
    public bool AllowBaseUrlOverride { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

public sealed class EnvironmentVariable
{
    public int Id { get; set; }

    public int EnvironmentId { get; set; }

    public required string Name { get; set; }

    public required string ValueCiphertext { get; set; }
}
