namespace Nango.Runner;

/// <summary>
/// Runner process entry point. For now it only answers health checks; script execution arrives with the
/// functions capability. An explicit Main (rather than top-level statements) keeps the generated
/// global Program type from clashing with Nango.Web's in the test project.
/// </summary>
public static class Program
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        var app = builder.Build();
        app.MapGet("/health", () => TypedResults.Ok(new { status = "ok" }));
        await app.RunAsync();
    }
}
