using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using Nango.Core.Auth;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Core.Providers;
using Nango.Web.Components.Dashboard;
using Nango.Web.Components.Dialogs;
using Nango.Web.Components.Shared;

namespace Nango.Web.Components.Pages.Connections;

public partial class ConnectionPage : EnvironmentPage
{
    private ConnectionDetails? _connection;
    private bool _revealed;
    private string _metadataText = "{}";
    private string? _metadataError;
    private bool _savingMetadata;
    private SortedDictionary<string, string> _tags = new(StringComparer.Ordinal);
    private bool _tagsDirty;
    private string _newTagKey = "";
    private string _newTagValue = "";
    private bool _refreshing;

    [Parameter]
    public string Integration { get; set; } = "";

    [Parameter]
    public string ConnectionId { get; set; } = "";

    /// <summary><c>syncs</c> or <c>records</c> opens that tab, so a link can point at it.</summary>
    [SupplyParameterFromQuery]
    public string? Tab { get; set; }

    [Inject]
    public required ConnectionService Connections { get; init; }

    [Inject]
    public required IProviderCatalog Catalog { get; init; }

    [Inject]
    public required IDialogService Dialogs { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    [Inject]
    public required CredentialRefresher Refresher { get; init; }

    [Inject]
    public required TimeProvider Clock { get; init; }

    private DateTimeOffset Now => Clock.GetUtcNow();

    private int TabIndex => Tab switch
    {
        "syncs" => 1,
        "records" => 2,
        _ => 0,
    };

    /// <summary>Only credentials with something to refresh with get the button.</summary>
    private bool CanRefresh => CredentialsType is "OAUTH2" or "OAUTH2_CC" or "APP" or "JWT" or "TWO_STEP";

    private Color ExpiryColor(DateTimeOffset expiresAt) =>
        expiresAt <= Now ? Color.Error : expiresAt - Now < TimeSpan.FromMinutes(15) ? Color.Warning : Color.Success;

    private string ProviderName => _connection is null ? "" : Catalog.Find(_connection.Summary.Provider)?.DisplayName ?? _connection.Summary.Provider;

    private string CredentialsType => _connection?.Credentials["type"] is JsonValue type && type.TryGetValue<string>(out var text) ? text : "unknown";

    protected override async Task LoadAsync(EnvironmentContext environment, CancellationToken ct)
    {
        // The dashboard reads credentials without marking the connection as fetched: only API reads count.
        var result = await Connections.GetAsync(environment, Integration, ConnectionId, markFetched: false, ct);
        Show(result.Outcome == ConnectionOutcome.Ok ? result.Connection : null);
    }

    private void Show(ConnectionDetails? connection)
    {
        _connection = connection;
        _revealed = false;
        _metadataError = null;
        _metadataText = JsonView.Format(connection?.Summary.Metadata ?? []);
        ResetTags();
    }

    private void ResetTags()
    {
        _tags = new SortedDictionary<string, string>(_connection?.Summary.Tags.ToDictionary() ?? [], StringComparer.Ordinal);
        _tagsDirty = false;
        _newTagKey = "";
        _newTagValue = "";
    }

    private void AddTag()
    {
        if (string.IsNullOrWhiteSpace(_newTagKey))
        {
            return;
        }
        // Nango stores tag keys lower-cased; show them as they will be saved.
        _tags[_newTagKey.Trim().ToLowerInvariant()] = _newTagValue.Trim();
        _newTagKey = "";
        _newTagValue = "";
        _tagsDirty = true;
    }

    private void RemoveTag(string key)
    {
        _tagsDirty |= _tags.Remove(key);
    }

    private async Task SaveTagsAsync()
    {
        if (Environment is null)
        {
            return;
        }
        var patch = new PatchConnection(Tags: new Dictionary<string, string>(_tags, StringComparer.Ordinal));
        ConnectionResult? result = null;
        await TryRunAsync("The tags could not be saved.", async ct => result = await Connections.PatchAsync(Environment, Integration, ConnectionId, patch, ct));
        if (result is null)
        {
            return;
        }
        if (result.Outcome == ConnectionOutcome.Ok)
        {
            _connection = result.Connection;
            ResetTags();
            Snackbar.Add("Tags saved", Severity.Success);
        }
        else
        {
            Snackbar.Add("This connection no longer exists.", Severity.Warning);
        }
    }

    private async Task SaveMetadataAsync()
    {
        if (Environment is null || _connection is null)
        {
            return;
        }
        JsonObject metadata;
        try
        {
            if (JsonNode.Parse(_metadataText) is not JsonObject parsed)
            {
                _metadataError = "Metadata must be a JSON object, such as {\"plan\": \"pro\"}.";
                return;
            }
            metadata = parsed;
        }
        catch (JsonException e)
        {
            _metadataError = $"Not valid JSON: {e.Message}";
            return;
        }
        _metadataError = null;
        _savingMetadata = true;
        var outcome = ConnectionOutcome.NotFound;
        var completed = await TryRunAsync("The metadata could not be saved.",
            async ct => outcome = await Connections.SetMetadataAsync(Environment, Integration, [ConnectionId], metadata, merge: false, ct));
        _savingMetadata = false;
        if (!completed)
        {
            return;
        }
        if (outcome == ConnectionOutcome.Ok)
        {
            _connection = _connection with { Summary = _connection.Summary with { Metadata = metadata } };
            _metadataText = JsonView.Format(metadata);
            Snackbar.Add("Metadata saved", Severity.Success);
        }
        else
        {
            Snackbar.Add("This connection no longer exists.", Severity.Warning);
        }
    }

    private async Task RefreshNowAsync()
    {
        if (Environment is null)
        {
            return;
        }
        _refreshing = true;
        RefreshResult? result = null;
        await TryRunAsync("The credentials could not be refreshed.", async ct => result = await Refresher.EnsureFreshAsync(Environment, Integration, ConnectionId, force: true, ct));
        _refreshing = false;
        switch (result)
        {
            case { Outcome: RefreshOutcome.Refreshed }:
                Snackbar.Add("Credentials refreshed", Severity.Success);
                break;
            case { Outcome: RefreshOutcome.Fresh }:
                Snackbar.Add("Credentials were refreshed moments ago; nothing to do.", Severity.Info);
                break;
            case { Outcome: RefreshOutcome.NotRefreshable }:
                Snackbar.Add("These credentials have nothing to refresh with (no refresh token).", Severity.Info);
                break;
            case { Outcome: RefreshOutcome.Failed, Error: { } error }:
                Snackbar.Add(error.Message, Severity.Error);
                break;
            case { Outcome: RefreshOutcome.NotFound }:
                Snackbar.Add("This connection no longer exists.", Severity.Warning);
                break;
        }
        if (result is not null)
        {
            await ReloadAsync();
        }
    }

    private async Task DeleteAsync()
    {
        if (Environment is null)
        {
            return;
        }
        var confirmed = await Dialogs.ConfirmAsync(
            "Delete connection",
            $"Delete the connection {ConnectionId}?",
            "Delete",
            "Its credentials are removed and its syncs stop. The end user has to connect again. This cannot be undone.");
        if (!confirmed)
        {
            return;
        }
        var outcome = ConnectionOutcome.NotFound;
        if (!await TryRunAsync("The connection could not be deleted.", async ct => outcome = await Connections.DeleteAsync(Environment, Integration, ConnectionId, ct)))
        {
            return;
        }
        Snackbar.Add(outcome == ConnectionOutcome.Ok ? $"Connection {ConnectionId} deleted" : "This connection was already deleted.",
            outcome == ConnectionOutcome.Ok ? Severity.Success : Severity.Info);
        Navigation.NavigateTo(DashboardUrls.Connections(Env));
    }
}
