using Microsoft.AspNetCore.Components;
using Nango.Core.Environments;

namespace Nango.Web.Components.Dashboard;

/// <summary>
/// Base of every page under <c>/dashboard/{Env}/…</c>: resolves the environment within the user's account
/// and offers the load/error state every page shows. An environment of another account resolves to
/// nothing, and the page renders "not found".
/// </summary>
public abstract class EnvironmentPage : ComponentBase, IDisposable
{
    private CancellationTokenSource _cts = new();

    [Parameter]
    public string Env { get; set; } = DashboardUrls.DefaultEnvironment;

    [Inject]
    public required DashboardSession Session { get; init; }

    protected EnvironmentContext? Environment { get; private set; }

    protected bool EnvironmentMissing { get; private set; }

    protected bool Loading { get; set; } = true;

    protected string? LoadError { get; set; }

    protected CancellationToken PageToken => _cts.Token;

    protected override async Task OnParametersSetAsync()
    {
        if (Environment?.EnvironmentName != Env)
        {
            await _cts.CancelAsync();
            _cts.Dispose();
            _cts = new CancellationTokenSource();
            Environment = await Session.ResolveEnvironmentAsync(Env, PageToken);
            EnvironmentMissing = Environment is null;
        }
        if (Environment is not null)
        {
            await ReloadAsync();
        }
        else
        {
            Loading = false;
        }
    }

    /// <summary>Runs <see cref="LoadAsync"/> with the loading and error states set around it.</summary>
    protected async Task ReloadAsync()
    {
        Loading = true;
        LoadError = null;
        try
        {
            await LoadAsync(Environment!, PageToken);
        }
        catch (OperationCanceledException) when (PageToken.IsCancellationRequested)
        {
            return;
        }
#pragma warning disable CA1031 // A page shows any load failure with a retry button rather than tearing down the circuit.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LoadError = e is Npgsql.NpgsqlException ? "The database could not be reached." : "Something went wrong while loading this page.";
        }
        finally
        {
            Loading = false;
        }
    }

    protected virtual Task LoadAsync(EnvironmentContext environment, CancellationToken ct) => Task.CompletedTask;

    public void Dispose()
    {
        _cts.Cancel();
        _cts.Dispose();
        GC.SuppressFinalize(this);
    }
}
