using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Nango.Core.Accounts;

/// <summary>Puts the user's account id into the sign-in cookie, so every dashboard page knows its tenant without a lookup.</summary>
public sealed class NangoUserClaimsPrincipalFactory(UserManager<NangoUser> userManager, RoleManager<IdentityRole<Guid>> roleManager, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<NangoUser, IdentityRole<Guid>>(userManager, roleManager, options)
{
    public const string AccountIdClaim = "nango:account_id";

    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(NangoUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim(AccountIdClaim, user.AccountId.ToString(CultureInfo.InvariantCulture)));
        return identity;
    }
}
