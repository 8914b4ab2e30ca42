using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Nango.Core.Auth;

public static class AuthServiceCollectionExtensions
{
    /// <summary>Auth flows, credential verification and refresh. Needs the webhooks part (auth events) and the address guard.</summary>
    public static IServiceCollection AddNangoAuth(this IServiceCollection services)
    {
        services.TryAddSingleton<OAuth2TokenClient>();
        services.TryAddSingleton<OAuth1.OAuth1Client>();
        services.TryAddSingleton<Tokens.TwoStepClient>();
        services.TryAddSingleton<Tokens.AppTokenClient>();
        services.TryAddSingleton<Tokens.TokenModeRefresher>();
        services.TryAddSingleton<CredentialVerifier>();
        services.TryAddSingleton<AuthConnectionWriter>();
        services.TryAddSingleton<OAuthFlowService>();
        services.TryAddSingleton<CredentialFlowService>();
        services.TryAddSingleton<CredentialRefresher>();
        services.TryAddSingleton<AuthResultPublisher>();
        return services;
    }
}
