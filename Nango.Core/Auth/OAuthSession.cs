using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nango.Core.Environments;

namespace Nango.Core.Auth;

/// <summary>
/// An OAuth authorisation in progress, between the redirect to the provider and its callback. Its id is the
/// OAuth <c>state</c>; it is consumed by the first callback (a replayed callback finds it used) and expires.
/// </summary>
public sealed class OAuthSession
{
    public Guid Id { get; set; }

    public int EnvironmentId { get; set; }

    public int IntegrationId { get; set; }

    public required string ConnectionId { get; set; }

    /// <summary>jsonb: connection config gathered so far (<c>params[…]</c>, session defaults).</summary>
    public string ConnectionConfig { get; set; } = "{}";

    /// <summary>jsonb: the <see cref="AuthCaller"/> details (end user, tags, webhook override) to apply at the end.</summary>
    public string Caller { get; set; } = "{}";

    /// <summary>The PKCE verifier (or OAuth 1 request token secret), encrypted.</summary>
    public string? SecretCiphertext { get; set; }

    public required string CallbackUrl { get; set; }

    /// <summary>
    /// OAuth 1.0a: the temporary token the provider issued. Its callback names the authorisation by this token, so a
    /// callback that lost our <c>state</c> still finds its session, and one with a state must carry the same token.
    /// </summary>
    public string? RequestToken { get; set; }

    /// <summary>The popup's WebSocket client, told the result when the callback completes.</summary>
    public string? WsClientId { get; set; }

    /// <summary>jsonb: client id/secret overrides for this connection.</summary>
    public string? ClientOverride { get; set; }

    /// <summary>jsonb: the message sent to the popup's socket, kept so a socket that attaches late still gets it.</summary>
    public string? Result { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? ConsumedAt { get; set; }
}

internal sealed class OAuthSessionConfiguration : IEntityTypeConfiguration<OAuthSession>
{
    public void Configure(EntityTypeBuilder<OAuthSession> builder)
    {
        builder.ToTable("oauth_sessions");
        builder.Property(s => s.Id).ValueGeneratedNever();
        builder.HasOne<NangoEnvironment>().WithMany().HasForeignKey(s => s.EnvironmentId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(s => s.ConnectionConfig).HasColumnType("jsonb");
        builder.Property(s => s.Caller).HasColumnType("jsonb");
        builder.Property(s => s.ClientOverride).HasColumnType("jsonb");
        builder.Property(s => s.Result).HasColumnType("jsonb");
        builder.HasIndex(s => s.WsClientId);
        builder.HasIndex(s => s.RequestToken);
        builder.HasIndex(s => s.ExpiresAt);
    }
}
