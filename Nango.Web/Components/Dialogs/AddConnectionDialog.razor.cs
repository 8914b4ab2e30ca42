using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;
using Nango.Core.Common;
using Nango.Core.Connections;
using Nango.Core.ConnectSessions;
using Nango.Core.Environments;
using Nango.Core.Integrations;
using Nango.Web.Components.Dashboard;

namespace Nango.Web.Components.Dialogs;

/// <summary>The connection the Connect UI reported with its <c>connect</c> event.</summary>
public sealed record AddedConnection(string ProviderConfigKey, string ConnectionId);

/// <summary>
/// "Add connection" on the Connections page: a connect session for the end user entered here (through
/// <see cref="ConnectSessionService"/>, as the app's backend would create one), then the Connect UI in a frame,
/// spoken to exactly as <c>@nangohq/frontend</c> does. Its <c>connect</c> event closes the dialog with the connection.
/// </summary>
public partial class AddConnectionDialog : ComponentBase, IAsyncDisposable
{
    private const string AllIntegrations = "";

    private readonly Dictionary<string, string> _errors = new(StringComparer.Ordinal);
    private string _endUserId = "";
    private string _email = "";
    private string _displayName = "";
    private string _tags = "";
    private string _integration = AllIntegrations;
    private string? _createError;
    private bool _creating;
    private string? _token;
    private ElementReference _frame;
    private bool _attached;
    private IJSObjectReference? _module;
    private DotNetObjectReference<AddConnectionDialog>? _self;

    [CascadingParameter]
    public required IMudDialogInstance Dialog { get; set; }

    [Parameter, EditorRequired]
    public EnvironmentContext Environment { get; set; } = null!;

    [Parameter]
    public IReadOnlyList<IntegrationSummary> Integrations { get; set; } = [];

    [Inject]
    public required ConnectSessionService Sessions { get; init; }

    [Inject]
    public required IJSRuntime JS { get; init; }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_token is null || _attached)
        {
            return;
        }
        _attached = true;
        try
        {
            _module = await JS.InvokeAsync<IJSObjectReference>("import", "./js/connect-embed.js");
            _self = DotNetObjectReference.Create(this);
            await _module.InvokeVoidAsync("attach", _frame, DashboardUrls.ConnectUi(theme: "light", framed: true), _token, _self);
        }
        catch (JSDisconnectedException)
        {
        }
    }

    /// <summary>Every event the Connect UI posts; <c>connect</c> ends the dialog with the new connection, <c>close</c> cancels it.</summary>
    [JSInvokable]
    public Task OnConnectUiEvent(string type, string payloadJson)
    {
        switch (type)
        {
            case "connect":
                var payload = JsonNode.Parse(payloadJson) as JsonObject;
                Dialog.Close(DialogResult.Ok(new AddedConnection((string?)payload?["providerConfigKey"] ?? "", (string?)payload?["connectionId"] ?? "")));
                break;
            case "close":
                Dialog.Cancel();
                break;
            default:
                break;
        }
        return Task.CompletedTask;
    }

    private async Task CreateSessionAsync()
    {
        _errors.Clear();
        _createError = null;
        var id = _endUserId.Trim();
        if (id.Length == 0 || id.Length > Identifiers.MaxLength)
        {
            _errors["id"] = id.Length == 0 ? "Enter the end user's ID." : $"At most {Identifiers.MaxLength} characters.";
        }
        var email = _email.Trim();
        if (email.Length > 0 && !ConnectionTags.IsEmail(email))
        {
            _errors["email"] = "Not a valid email address.";
        }
        var tags = ParseTags(_tags, out var tagError);
        if (tagError is not null)
        {
            _errors["tags"] = tagError;
        }
        if (_errors.Count > 0)
        {
            return;
        }
        _creating = true;
        try
        {
            var request = new ConnectSessionRequest
            {
                EndUser = new ConnectSessionEndUser(id, email.Length == 0 ? null : email, _displayName.Trim() is { Length: > 0 } name ? name : null),
                AllowedIntegrations = _integration == AllIntegrations ? null : [_integration],
                Tags = tags.Count == 0 ? null : tags,
            };
            var result = await Sessions.CreateAsync(Environment, request, CancellationToken.None);
            if (result.Session is null)
            {
                _createError = string.Join(" ", (result.Errors ?? []).Select(e => e.Message).DefaultIfEmpty("The session could not be created."));
                return;
            }
            _token = result.Session.Token;
        }
        catch (Npgsql.NpgsqlException)
        {
            _createError = "The database could not be reached.";
        }
        finally
        {
            _creating = false;
        }
    }

    /// <summary><c>key=value</c> per line, checked with Nango's tag rules.</summary>
    private static Dictionary<string, string> ParseTags(string text, out string? error)
    {
        error = null;
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var separator = line.IndexOf('=', StringComparison.Ordinal);
            if (separator <= 0)
            {
                error = $"\"{line}\" is not key=value.";
                return tags;
            }
            tags[line[..separator].Trim()] = line[(separator + 1)..].Trim();
        }
        var errors = ConnectionTags.Validate(tags);
        if (errors.Count > 0)
        {
            error = errors[0].Message;
        }
        return tags;
    }

    private void Cancel() => Dialog.Cancel();

    public async ValueTask DisposeAsync()
    {
        if (_module is not null)
        {
            try
            {
                await _module.InvokeVoidAsync("detach", _frame);
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
            }
        }
        _self?.Dispose();
        GC.SuppressFinalize(this);
    }
}
