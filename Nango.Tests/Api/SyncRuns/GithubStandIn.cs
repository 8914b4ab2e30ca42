using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Nango.Tests.Api.SyncRuns;

/// <summary>
/// A loopback stand-in for the two GitHub endpoints the <c>nango init</c> example sync reads: <c>/user/repos</c> and
/// <c>/repos/:owner/:repo/issues</c>, paged by <c>per_page</c>/<c>page</c> with RFC 8288 <c>Link: rel="next"</c> as
/// GitHub does. Tests change, add and remove issues between runs.
/// </summary>
public sealed class GithubStandIn : IAsyncDisposable
{
    private readonly ConcurrentDictionary<int, Issue> _issues = new();
    private WebApplication _app = null!;

    public const string Owner = "acme";

    public const string Repo = "widgets";

    public string BaseUrl { get; private set; } = null!;

    /// <summary>When set, the issues endpoint answers 500 from this page on (a run that fails midway).</summary>
    public int? FailFromPage { get; set; }

    /// <summary>When set, the issues endpoint holds its answer from this page on until <see cref="Release"/> (a run caught midway).</summary>
    public int? HoldFromPage { get; set; }

    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets every held page answer, now and from then on.</summary>
    public void Release() => _released.TrySetResult();

    /// <summary>Issues pages served so far.</summary>
    public int IssuePagesServed => _pagesServed;

    private int _pagesServed;

    public sealed record Issue(int Id, string Title, DateTimeOffset UpdatedAt);

    public static async Task<GithubStandIn> StartAsync(CancellationToken ct)
    {
        var standIn = new GithubStandIn();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        standIn._app = builder.Build();
        standIn._app.MapGet("/user/repos", () => Results.Json(new[] { new { id = 1, name = Repo, owner = new { login = Owner } } }));
        standIn._app.MapGet("/repos/{owner}/{repo}/issues", (HttpContext http, string owner, string repo) => standIn.IssuesPage(http, owner, repo));
        await standIn._app.StartAsync(ct);
        standIn.BaseUrl = standIn._app.Urls.First();
        return standIn;
    }

    public void Put(int id, string title) => _issues[id] = new Issue(id, title, DateTimeOffset.UtcNow);

    public void Remove(int id) => _issues.TryRemove(id, out _);

    public IReadOnlyCollection<int> Ids => _issues.Keys.ToList();

    private async Task<IResult> IssuesPage(HttpContext http, string owner, string repo)
    {
        if (owner != Owner || repo != Repo)
        {
            return Results.NotFound();
        }
        var perPage = int.TryParse(http.Request.Query["per_page"], out var size) ? size : 30;
        var page = int.TryParse(http.Request.Query["page"], out var number) ? number : 1;
        Interlocked.Increment(ref _pagesServed);
        if (HoldFromPage is { } holding && page >= holding)
        {
            await _released.Task.WaitAsync(http.RequestAborted);
        }
        if (FailFromPage is { } failing && page >= failing)
        {
            return Results.Json(new { message = "upstream broke" }, statusCode: 500);
        }
        var all = _issues.Values.OrderBy(i => i.Id).ToList();
        var slice = all.Skip((page - 1) * perPage).Take(perPage).Select(i => new
        {
            id = i.Id,
            number = i.Id,
            title = i.Title,
            state = "open",
            user = new { login = "octo", id = 7 },
            body = $"Body of issue {i.Id}",
            created_at = "2026-01-01T00:00:00Z",
            updated_at = i.UpdatedAt.ToString("O"),
        }).ToList();
        if (page * perPage < all.Count)
        {
            http.Response.Headers.Link = $"<{BaseUrl}/repos/{owner}/{repo}/issues?per_page={perPage}&page={page + 1}>; rel=\"next\"";
        }
        return Results.Json(slice);
    }

    /// <summary>
    /// A provider catalog entry for <c>github</c> pointing at this stand-in, with GitHub's link pagination; with
    /// <paramref name="routeWebhooks"/> it also routes provider webhooks as the built-in <c>github-app</c> does (by
    /// <c>installation.id</c> to <c>connection_config.installation_id</c>, event type from <c>X-GitHub-Event</c>).
    /// </summary>
    public string CatalogYaml(bool routeWebhooks = false) => (routeWebhooks ? CatalogEntry + WebhookRoutingYaml : CatalogEntry).Replace("{BaseUrl}", BaseUrl, StringComparison.Ordinal);

    private const string WebhookRoutingYaml = """

            webhook_routing:
                from: body
                path: installation.id
                match: connection_config.installation_id
            webhook_event_type:
                from: header
                path: X-GitHub-Event
        """;

    private const string CatalogEntry = """
        github:
            display_name: GitHub (test upstream)
            categories: [dev-tools]
            auth_mode: OAUTH2
            authorization_url: https://github.com/login/oauth/authorize
            token_url: https://github.com/login/oauth/access_token
            docs: https://docs.github.com
            proxy:
                base_url: {BaseUrl}
                paginate:
                    type: link
                    limit_name_in_request: per_page
                    link_rel_in_response_header: next
        """;

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.DisposeAsync();
    }
}
