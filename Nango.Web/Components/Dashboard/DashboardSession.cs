using System.Globalization;
using Microsoft.AspNetCore.Components.Authorization;
using Nango.Core.Accounts;
using Nango.Core.Environments;

namespace Nango.Web.Components.Dashboard;

/// <summary>
/// The signed-in user's tenant for this circuit. Pages resolve their <c>{env}</c> route value through it,
/// so a URL can only ever reach environments of the user's own account.
/// </summary>
public sealed class DashboardSession(AuthenticationStateProvider authentication, EnvironmentService environments)
{
    public async Task<int?> GetAccountIdAsync()
    {
        var state = await authentication.GetAuthenticationStateAsync();
        var claim = state.User.FindFirst(NangoUserClaimsPrincipalFactory.AccountIdClaim)?.Value;
        return int.TryParse(claim, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) ? id : null;
    }

    public async Task<string?> GetUserNameAsync() => (await authentication.GetAuthenticationStateAsync()).User.Identity?.Name;

    /// <summary>The named environment of the user's account, or null when it has none by that name.</summary>
    public async Task<EnvironmentContext?> ResolveEnvironmentAsync(string name, CancellationToken ct)
    {
        var accountId = await GetAccountIdAsync();
        return accountId is null ? null : await environments.FindByNameAsync(accountId.Value, name, ct);
    }

    public async Task<IReadOnlyList<EnvironmentContext>> ListEnvironmentsAsync(CancellationToken ct)
    {
        var accountId = await GetAccountIdAsync();
        return accountId is null ? [] : await environments.ListForAccountAsync(accountId.Value, ct);
    }
}
