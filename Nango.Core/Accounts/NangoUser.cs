using Microsoft.AspNetCore.Identity;

namespace Nango.Core.Accounts;

public sealed class NangoUser : IdentityUser<Guid>
{
    public int AccountId { get; set; }

    public string? DisplayName { get; set; }
}
