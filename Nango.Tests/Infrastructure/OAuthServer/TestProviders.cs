using System.Globalization;

namespace Nango.Tests.Infrastructure.OAuthServer;

/// <summary>
/// Catalog entries, in Nango's providers.yaml format, for providers backed by a <see cref="TestOAuthServer"/>.
/// Point <c>Nango:Catalog:ExtraFiles:n</c> at the file so Nango.Web knows them:
/// <see cref="Setting"/> gives the key and value.
/// </summary>
public static class TestProviders
{
    /// <summary>Authorization code (with PKCE) and refresh tokens.</summary>
    public const string OAuth2 = "test-oauth2";

    /// <summary>Client credentials.</summary>
    public const string OAuth2ClientCredentials = "test-oauth2-cc";

    public static readonly IReadOnlyList<string> DefaultScopes = ["read", "write"];

    /// <summary>Writes the catalog file into <paramref name="directory"/> (created if missing) and returns its path.</summary>
    public static string WriteCatalogFile(TestOAuthServer server, string directory)
    {
        ArgumentNullException.ThrowIfNull(server);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "test-providers.yaml");
        File.WriteAllText(path, CatalogYaml(server));
        return path;
    }

    /// <summary>The configuration entry that adds the file at <paramref name="path"/> to Nango's catalog.</summary>
    public static KeyValuePair<string, string?> Setting(string path, int index = 0) =>
        new($"Nango:Catalog:ExtraFiles:{index.ToString(CultureInfo.InvariantCulture)}", path);

    public static string CatalogYaml(TestOAuthServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        // URLs are single-quoted YAML scalars; none of them contains a quote.
        return $"""
            {OAuth2}:
              display_name: Test OAuth2
              categories:
                - dev-tools
              auth_mode: OAUTH2
              authorization_url: '{server.AuthorizationUrl}'
              token_url: '{server.TokenUrl}'
              default_scopes:
            {string.Join('\n', DefaultScopes.Select(s => $"    - {s}"))}
              proxy:
                base_url: '{server.ApiBaseUrl}'
              docs: 'https://nango.dev/docs'
            {OAuth2ClientCredentials}:
              display_name: Test OAuth2 (Client Credentials)
              categories:
                - dev-tools
              auth_mode: OAUTH2_CC
              token_url: '{server.TokenUrl}'
              token_params:
                grant_type: client_credentials
              proxy:
                base_url: '{server.ApiBaseUrl}'
              docs: 'https://nango.dev/docs'

            """;
    }
}
