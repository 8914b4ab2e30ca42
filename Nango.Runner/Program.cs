using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Nango.Runner.Execution;
using Nango.Runner.Host;
using Nango.Runner.Protocol;
using Nango.Runner.Tasks;

namespace Nango.Runner;

/// <summary>
/// Runner process entry point: runs function code in Jint for one account and calls back only Nango.Web's
/// internal API. An explicit Main (rather than top-level statements) keeps the generated global Program type
/// from clashing with Nango.Web's in the test project.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var settings = RunnerSettings.FromEnvironment(out var problem);
        if (settings is null)
        {
            await Console.Error.WriteLineAsync(problem);
            return 2;
        }

        var builder = WebApplication.CreateSlimBuilder(args);
        builder.WebHost.UseUrls(settings.Urls);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = RunnerJson.Options.PropertyNamingPolicy);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<HostClient>();
        builder.Services.AddSingleton<FunctionCache>();
        builder.Services.AddSingleton<EnginePool>();
        builder.Services.AddSingleton<ScriptExecutor>();
        builder.Services.AddSingleton<TaskRegistry>();

        var app = builder.Build();
        app.MapTaskEndpoints(settings);

        await app.StartAsync();

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        await Console.Out.WriteLineAsync(RunnerEnvironment.ReadyLinePrefix + address);
        await Console.Out.FlushAsync();

        // One warm engine (loading zod is most of a first task's cost), built after the ready line so that the
        // pool can send the first task meanwhile: that task waits for this engine (EnginePool.RentAsync) instead of
        // loading zod a second time beside it.
        _ = app.Services.GetRequiredService<EnginePool>().WarmInBackground(settings.EngineLimitsFor(null));

        if (settings.ExitWithStdin)
        {
            // The pool holds our stdin open; when it dies (even by SIGKILL) the pipe closes and so do we.
            _ = Task.Run(async () =>
            {
                while (await Console.In.ReadLineAsync() is not null)
                {
                }
                app.Lifetime.StopApplication();
            });
        }

        await app.WaitForShutdownAsync();
        return 0;
    }
}
