using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Nango.Core;
using Nango.Core.Providers;

namespace Nango.Web.Api.Providers;

/// <summary>
/// Logos are drawn here rather than hotlinked: an initials avatar in a colour derived from the provider
/// name, served at Nango's logo path so clients that show <c>logo</c> URLs keep working offline.
/// </summary>
public static class ProviderLogos
{
    private static readonly string[] _palette = ["#5b6cf0", "#e8590c", "#0ca678", "#d6336c", "#1098ad", "#7048e8", "#f08c00", "#37b24d", "#1c7ed6", "#ae3ec9"];

    public static string Url(NangoOptions options, string provider) =>
        $"{options.ServerUrl.TrimEnd('/')}/images/template-logos/{Uri.EscapeDataString(provider)}.svg";

    public static void MapProviderLogos(this IEndpointRouteBuilder app) =>
        app.MapGet("/images/template-logos/{file}", (string file, IProviderCatalog catalog) =>
            {
                var name = file.EndsWith(".svg", StringComparison.OrdinalIgnoreCase) ? file[..^4] : file;
                var label = catalog.Find(name)?.DisplayName ?? name;
                return Results.Text(Svg(label, name), "image/svg+xml");
            })
            .WithName("ProviderLogo").WithSummary("An initials avatar for a provider.").AllowAnonymous()
            .CacheOutput(policy => policy.Expire(TimeSpan.FromHours(1)));

    /// <summary>
    /// "Google Calendar" → GC, "GitHub (User OAuth)" → GH, "HubSpot" → HS, "Stripe" → ST: the qualifier in
    /// brackets is dropped, and a single word gives its capitals when it has two or more.
    /// </summary>
    public static string Initials(string displayName)
    {
        ArgumentNullException.ThrowIfNull(displayName);
        var bracket = displayName.IndexOf('(', StringComparison.Ordinal);
        var name = bracket > 0 ? displayName[..bracket] : displayName;
        var words = name.Split([' ', '-', '_', '.', ')'], StringSplitOptions.RemoveEmptyEntries);
        var initials = words.Length switch
        {
            0 => "?",
            1 when words[0].Count(char.IsUpper) >= 2 => string.Concat(words[0].Where(char.IsUpper).Take(2)),
            1 => words[0][..Math.Min(2, words[0].Length)],
            _ => string.Concat(words[0][0], words[1][0]),
        };
        return initials.ToUpper(CultureInfo.InvariantCulture);
    }

    public static string Colour(string key) => _palette[SHA256.HashData(Encoding.UTF8.GetBytes(key))[0] % _palette.Length];

    private static string Svg(string displayName, string key) =>
        $"""<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="{Colour(key)}"/><text x="32" y="41" font-family="Helvetica,Arial,sans-serif" font-size="24" font-weight="600" fill="#fff" text-anchor="middle">{System.Net.WebUtility.HtmlEncode(Initials(displayName))}</text></svg>""";
}
