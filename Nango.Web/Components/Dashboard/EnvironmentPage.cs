using Microsoft.AspNetCore.Components;
using MudBlazor;
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

    [Inject]
    public required ISnackbar Snackbar { get; init; }

    protected EnvironmentContext? Environment { get; private set; }

    protected bool EnvironmentMissing { get; private set; }

    protected bool Loading { get; set; } = true;

    protected string? LoadError { get; set; }

    protected CancellationToken PageToken => _cts.Token;

    protected override async Task OnParametersSetAsync()
    {
        if (Environment is not null && Environment.EnvironmentName != Env)
        {
            await _cts.CancelAsync();
            _cts.Dispose();
            _cts = new CancellationTokenSource();
            Environment = null;
        }
        await ReloadAsync();
    }

    /// <summary>
    /// Resolves the environment if needed, then runs <see cref="LoadAsync"/>, with the loading and error
    /// states set around both: a database that cannot be reached shows the error with a retry, whichever
    /// of the two steps failed.
    /// </summary>
    protected async Task ReloadAsync()
    {
        Loading = true;
        LoadError = null;
        try
        {
            if (Environment is null)
            {
                Environment = await Session.ResolveEnvironmentAsync(Env, PageToken);
                EnvironmentMissing = Environment is null;
                if (Environment is null)
                {
                    return;
                }
            }
            await LoadAsync(Environment, PageToken);
        }
        catch (OperationCanceledException) when (PageToken.IsCancellationRequested)
        {
            return;
        }
#pragma warning disable CA1031 // A page shows any load failure with a retry button rather than tearing down the circuit.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LoadError = Describe(e, "Something went wrong while loading this page.");
        }
        finally
        {
            Loading = false;
        }
    }

    protected virtual Task LoadAsync(EnvironmentContext environment, CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// Runs a user action (save, delete, rotate). A failure becomes an error snackbar instead of an
    /// unhandled exception, which would end the user's circuit. Returns whether the action completed.
    /// </summary>
    protected async Task<bool> TryRunAsync(string failure, Func<CancellationToken, Task> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            await action(PageToken);
            return true;
        }
        catch (OperationCanceledException) when (PageToken.IsCancellationRequested)
        {
            return false;
        }
#pragma warning disable CA1031 // Same reason as in ReloadAsync: the circuit must survive a failed click.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Snackbar.Add(Describe(e, failure), Severity.Error);
            return false;
        }
    }

    protected static string Describe(Exception exception, string fallback) =>
        exception is Npgsql.NpgsqlException ? "The database could not be reached." : fallback;

    public void Dispose()
    {
        _cts.Cancel();
        _cts.Dispose();
        GC.SuppressFinalize(this);
    }
}
