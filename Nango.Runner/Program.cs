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

        // One warm engine, started before the web host so that the two starts share the cores: loading zod is most of
        // a first task's cost, and Jint's first engine lists the system's time zones (its Temporal provider's static
        // constructor; a third of a second of ICU work on Linux). The pool sends the first task as soon as the ready
        // line is out, and that task waits for this engine (EnginePool.RentAsync) instead of building a second one.
        // A cold start without the spare process (Nango__Runner__SpareProcesses=0): 1.21-1.30 s → 1.11-1.13 s median.
        var engines = new EnginePool(settings);
        _ = engines.WarmInBackground(settings.EngineLimitsFor(null));

        var builder = WebApplication.CreateSlimBuilder(args);
        builder.WebHost.UseUrls(settings.Urls);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = RunnerJson.Options.PropertyNamingPolicy);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<HostClient>();
        builder.Services.AddSingleton<FunctionCache>();
        builder.Services.AddSingleton(engines);
        builder.Services.AddSingleton<ScriptExecutor>();
        builder.Services.AddSingleton<TaskRegistry>();
        builder.Services.AddSingleton(new StoredRecordHashes());

        var app = builder.Build();
        app.MapTaskEndpoints(settings);

        await app.StartAsync();

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        await Console.Out.WriteLineAsync(RunnerEnvironment.ReadyLinePrefix + address);
        await Console.Out.FlushAsync();

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
