namespace Nango.Core.Accounts;

/// <summary>A tenant: owns users and environments; nothing crosses from one account to another.</summary>
public sealed class Account
{
    public int Id { get; set; }

    public Guid Uuid { get; set; }

    public required string Name { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
