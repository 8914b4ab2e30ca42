using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.JSInterop;
using MudBlazor;
using Nango.Core.ConnectSessions;
using Nango.Core.Integrations;
using Nango.Core.Providers;
using Nango.Web.Api.ConnectSessions;

namespace Nango.Web.Components.Connect;

/// <summary>
/// Nango's Connect UI at <c>/connect/</c>: opened by <c>@nangohq/frontend</c>'s <c>openConnectUI</c> in a full-page
/// iframe (the session token arrives by postMessage after <c>ready</c>), or directly from a session's
/// <c>connect_link</c> (<c>?session_token=</c>). It lists the integrations the session allows, shows the form the
/// catalog describes for the chosen one, runs the flow (a popup for OAuth, a POST otherwise) and reports
/// <c>connect</c>, <c>error</c> and <c>close</c> to the parent. The session token is checked here on the server;
/// the browser only relays it.
/// </summary>
public partial class ConnectPage : ComponentBase, IAsyncDisposable
{
    /// <summary>How long an embedded page waits for its parent's <c>session_token</c> before it says it got none.</summary>
    private static readonly TimeSpan _tokenWait = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan _flowTimeout = TimeSpan.FromMinutes(2);

    private readonly CancellationTokenSource _disposed = new();
    private IJSObjectReference? _module;
    private DotNetObjectReference<ConnectPage>? _self;
    private string? _token;
    private ConnectSessionContext? _session;
    private ConnectUiSettings _settings = ConnectUiSettings.Default;
    private MudTheme _theme = ConnectTheme.Build(ConnectUiSettings.Default);
    private bool _dark;
    private bool _systemDark;
    private bool _embedded;
    private string _search = "";
    private string? _unavailable;
    private bool _canRetryLoad;
    private ConnectIntegration? _selected;
    private ConnectForm? _form;
    private ConnectFailure? _failure;
    private string? _inlineError;
    private bool _busy;
    private bool _waitingForPopup;
    private ConnectView _view = ConnectView.Loading;

    [SupplyParameterFromQuery(Name = "session_token")]
    public string? SessionTokenParameter { get; set; }

    /// <summary><c>light</c>, <c>dark</c> or <c>system</c>: overrides the session's default theme (the SDK's <c>themeOverride</c>).</summary>
    [SupplyParameterFromQuery(Name = "theme")]
    public string? ThemeParameter { get; set; }

    [SupplyParameterFromQuery(Name = "detectClosedAuthWindow")]
    public string? DetectClosedAuthWindowParameter { get; set; }

    /// <summary><c>embedded=true</c>: shown inside a host's own frame (the dashboard), so without the page-wide backdrop.</summary>
    [SupplyParameterFromQuery(Name = "embedded")]
    public string? EmbeddedParameter { get; set; }

    [Inject]
    public required ConnectSessionService Sessions { get; init; }

    [Inject]
    public required IntegrationService Integrations { get; init; }

    [Inject]
    public required IProviderCatalog Catalog { get; init; }

    [Inject]
    public required IJSRuntime JS { get; init; }

    [Inject]
    public required ILogger<ConnectPage> Logger { get; init; }

    /// <summary>The integrations the session allows, in the order the environment lists them.</summary>
    public IReadOnlyList<ConnectIntegration> AvailableIntegrations { get; private set; } = [];

    private bool Framed => string.Equals(EmbeddedParameter, "true", StringComparison.OrdinalIgnoreCase);

    private bool DetectClosedAuthWindow => string.Equals(DetectClosedAuthWindowParameter, "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>A list to go back to: not for a reconnect, and not when the session allows a single integration.</summary>
    private bool CanGoBack => _session is { IsReconnecting: false } && AvailableIntegrations.Count > 1 && _view is ConnectView.Integration && !_busy;

    private IEnumerable<ConnectIntegration> FilteredIntegrations => _search.Length == 0
        ? AvailableIntegrations
        : AvailableIntegrations.Where(i => i.DisplayName.Contains(_search, StringComparison.OrdinalIgnoreCase)
            || i.UniqueKey.Contains(_search, StringComparison.OrdinalIgnoreCase));

    /// <summary>The guide for the chosen integration: the session's override, else the catalog's connect guide, else its docs.</summary>
    private (string? Url, bool Overridden) Docs
    {
        get
        {
            if (_selected is null)
            {
                return (null, false);
            }
            if (_session?.Overrides?.GetValueOrDefault(_selected.UniqueKey)?.DocsConnect is { Length: > 0 } overridden)
            {
                return (overridden, true);
            }
            return (_selected.Definition?.DocsConnect ?? _selected.Definition?.Docs, false);
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }
        try
        {
            _module = await JS.InvokeAsync<IJSObjectReference>("import", _disposed.Token, "./js/connect-ui.js");
            _self = DotNetObjectReference.Create(this);
            var browser = await _module.InvokeAsync<ConnectBrowserContext>("init", _disposed.Token, _self);
            _embedded = browser.Embedded;
            _systemDark = await _module.InvokeAsync<bool>("prefersDark", _disposed.Token);
        }
        catch (JSDisconnectedException)
        {
            return;
        }
        catch (OperationCanceledException)
        {
            return;
        }
        ApplyTheme();
        if (!string.IsNullOrEmpty(SessionTokenParameter))
        {
            await OnSessionToken(SessionTokenParameter);
        }
        else if (!_embedded)
        {
            ShowUnavailable("This page can't be opened directly. Start the connection from your application.");
        }
        else
        {
            _ = GiveUpWaitingForTokenAsync();
        }
        StateHasChanged();
    }

    /// <summary>The parent's <c>session_token</c> message (or the connect link's token): validated here, then the session is loaded.</summary>
    [JSInvokable]
    public async Task OnSessionToken(string token)
    {
        _token = token;
        await LoadSessionAsync();
        Telemetry("open");
        if (_view == ConnectView.List)
        {
            Telemetry("view:list");
        }
        StateHasChanged();
    }

    /// <summary>A parent's <c>settings_changed</c>: a new theme (colours, default theme) to apply at once.</summary>
    [JSInvokable]
    public Task OnSettingsChanged(string payloadJson)
    {
        if (JsonNode.Parse(payloadJson) is JsonObject payload)
        {
            _settings = ConnectTheme.Merge(_settings, payload);
            ApplyTheme();
            StateHasChanged();
        }
        return Task.CompletedTask;
    }

    /// <summary>The popup flow's outcome, from its WebSocket (or the callback page's message).</summary>
    [JSInvokable]
    public async Task OnPopupResult(PopupResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        _waitingForPopup = false;
        _busy = false;
        if (result.Ok && _selected is not null)
        {
            await SucceedAsync(result.ProviderConfigKey ?? _selected.UniqueKey, result.ConnectionId ?? "", result.IsPending);
        }
        else
        {
            await FailAsync(new ConnectFailure(result.ErrorType ?? "unknown_error", result.ErrorMessage ?? "The authorization failed."));
        }
        StateHasChanged();
    }

    private async Task LoadSessionAsync()
    {
        _view = ConnectView.Loading;
        _unavailable = null;
        _canRetryLoad = false;
        try
        {
            var lookup = await Sessions.ResolveAsync(_token, _disposed.Token);
            if (lookup.Session is not { } session)
            {
                ShowUnavailable("This connection link has expired or is not valid. Ask the application for a new one.");
                return;
            }
            _session = session;
            // The theme the app chose for its environment; a ?theme= from the SDK still wins.
            _settings = ConnectUiSettings.Default;
            ApplyTheme();
            await PostAsync(new { type = "settings_changed", payload = _settings });

            var integrations = await Integrations.ListAsync(session.Environment, _disposed.Token);
            var available = new List<ConnectIntegration>();
            foreach (var integration in integrations.Where(i => session.AllowsIntegration(i.UniqueKey)))
            {
                available.Add(await DescribeAsync(session, integration));
            }
            AvailableIntegrations = available;

            var target = session.Reconnect is { } reconnect
                ? available.FirstOrDefault(i => i.UniqueKey == reconnect.IntegrationKey)
                : available.Count == 1 ? available[0] : null;
            if (session.IsReconnecting && target is null)
            {
                ShowUnavailable("The connection to reconnect no longer exists.");
                return;
            }
            if (target is not null)
            {
                Select(target);
            }
            else
            {
                _view = ConnectView.List;
            }
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // Shown with a retry: an exception here would end the circuit and leave a blank frame.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Logger.LogError(e, "The Connect UI could not load its session");
            ShowUnavailable("Something went wrong while loading. Try again in a moment.");
            _canRetryLoad = true;
        }
    }

    private async Task<ConnectIntegration> DescribeAsync(ConnectSessionContext session, IntegrationSummary integration)
    {
        var definition = Catalog.Find(integration.Provider);
        var ownCredentials = new HashSet<string>(StringComparer.Ordinal);
        if (definition?.AuthMode == "OAUTH2_CC")
        {
            // An integration that holds its own client id and secret does not ask the end user for them.
            var details = await Integrations.GetAsync(session.Environment, integration.UniqueKey, _disposed.Token);
            if (!string.IsNullOrEmpty(details?.Credentials?.ClientId))
            {
                ownCredentials.UnionWith(["client_id", "client_secret"]);
            }
        }
        return new ConnectIntegration(integration.UniqueKey, integration.DisplayName, integration.Provider,
            definition?.AuthMode ?? integration.AuthMode, definition, ownCredentials);
    }

    private Task RetryLoadAsync() => OnSessionToken(_token ?? "");

    private void Select(ConnectIntegration integration)
    {
        _selected = integration;
        _form = integration.Definition is null
            ? null
            : ConnectForm.For(integration.Definition, _session?.DefaultsFor(integration.UniqueKey), integration.IntegrationCredentials);
        _inlineError = null;
        _failure = null;
        _view = ConnectView.Integration;
        Telemetry("view:integration", integration.UniqueKey);
    }

    private void Pick(ConnectIntegration integration)
    {
        Telemetry("click:integration", integration.UniqueKey);
        Select(integration);
    }

    private void BackToList()
    {
        _selected = null;
        _form = null;
        _inlineError = null;
        _view = ConnectView.List;
        Telemetry("view:list");
    }

    /// <summary>
    /// The Connect button. For popup modes the browser already opened the popup during the click (connect-ui.js
    /// listens for <c>data-nango-popup</c> clicks), so a browser's popup blocker sees a user gesture.
    /// </summary>
    private async Task ConnectAsync()
    {
        if (_selected is null || _form is null || _busy || _session is null || _module is null)
        {
            await DiscardPopupAsync();
            return;
        }
        _form.TouchAll();
        if (!_form.IsValid || !_form.IsSupported)
        {
            await DiscardPopupAsync();
            return;
        }
        Telemetry("click:connect", _selected.UniqueKey);
        _inlineError = null;
        _busy = true;
        if (_form.UsesPopup)
        {
            await StartPopupAsync(_selected, _form);
        }
        else
        {
            await PostFlowAsync(_selected, _form);
        }
    }

    private async Task StartPopupAsync(ConnectIntegration integration, ConnectForm form)
    {
        var query = new List<KeyValuePair<string, string?>> { new("connect_session_token", _token) };
        query.AddRange(form.Params().Select(p => new KeyValuePair<string, string?>($"params[{p.Key}]", p.Value)));
        var url = QueryHelpers.AddQueryString("oauth/connect/" + Uri.EscapeDataString(integration.UniqueKey), query);
        bool started;
        try
        {
            started = await _module!.InvokeAsync<bool>("startPopupAuth", _disposed.Token,
                new { url, websocketsPath = "/", detectClosedAuthWindow = DetectClosedAuthWindow });
        }
        catch (JSDisconnectedException)
        {
            return;
        }
        if (started)
        {
            _waitingForPopup = true;
            return;
        }
        _busy = false;
        Telemetry("popup:blocked_by_browser", integration.UniqueKey);
        await FailAsync(new ConnectFailure("blocked_by_browser", "Your browser blocked the authorization window. Allow popups for this site and try again."));
    }

    private async Task PostFlowAsync(ConnectIntegration integration, ConnectForm form)
    {
        var path = QueryHelpers.AddQueryString(form.FlowPath(integration.UniqueKey)!,
            form.Params().Select(p => new KeyValuePair<string, string?>($"params[{p.Key}]", p.Value)));
        FlowResponse response;
        try
        {
            response = await _module!.InvokeAsync<FlowResponse>("postFlow", _flowTimeout, path, form.Credentials(), _token);
        }
        catch (JSDisconnectedException)
        {
            return;
        }
        catch (TaskCanceledException)
        {
            response = new FlowResponse(0, "The server did not answer in time.");
        }
        _busy = false;
        var json = ParseObject(response.Body);
        if (response.Status is >= 200 and < 300 && json is not null)
        {
            await SucceedAsync((string?)json["providerConfigKey"] ?? integration.UniqueKey, (string?)json["connectionId"] ?? "", json["isPending"] is JsonValue pending && pending.TryGetValue<bool>(out var p) && p);
            return;
        }
        if (response.Status == 0)
        {
            await FailAsync(new ConnectFailure("unknown_error", "The server could not be reached. Check your connection and try again.", response.Body));
            return;
        }
        var code = (string?)json?["error"]?["code"] ?? "unknown_error";
        var message = (string?)json?["error"]?["message"];
        await FailAsync(code == "connection_test_failed"
            ? new ConnectFailure(code, $"{integration.DisplayName} refused these credentials. Check them and try again.", message)
            : new ConnectFailure(code, message ?? $"The connection failed ({response.Status}).", code));
    }

    private async Task SucceedAsync(string providerConfigKey, string connectionId, bool isPending)
    {
        _view = ConnectView.Success;
        _failure = null;
        _inlineError = null;
        Telemetry("view:success", providerConfigKey);
        await PostAsync(new { type = "connect", payload = new { providerConfigKey, connectionId, isPending } });
    }

    /// <summary>
    /// A closed or blocked popup keeps the form with a warning (the user simply tries again); anything else
    /// is the error view, whose retry returns to the form with what was typed.
    /// </summary>
    private async Task FailAsync(ConnectFailure failure)
    {
        _busy = false;
        _waitingForPopup = false;
        if (failure.ErrorType is "window_closed" or "blocked_by_browser")
        {
            if (failure.ErrorType == "window_closed")
            {
                Telemetry("popup:closed_early", _selected?.UniqueKey);
            }
            _inlineError = failure.Message;
            _view = ConnectView.Integration;
        }
        else
        {
            _failure = failure;
            _view = ConnectView.Failure;
            Telemetry(failure.ErrorType == "connection_test_failed" ? "view:credentials_error" : "view:unknown_error", _selected?.UniqueKey);
        }
        await PostAsync(new { type = "error", payload = new { errorType = failure.ParentErrorType, errorMessage = failure.Message } });
    }

    private async Task CancelWaitingAsync()
    {
        if (_module is not null)
        {
            try
            {
                await _module.InvokeVoidAsync("cancelPopupAuth", _disposed.Token);
            }
            catch (JSDisconnectedException)
            {
            }
        }
        _waitingForPopup = false;
        _busy = false;
    }

    private void Retry()
    {
        _failure = null;
        _view = _selected is null ? ConnectView.List : ConnectView.Integration;
    }

    private async Task CloseAsync(string telemetryEvent)
    {
        Telemetry(telemetryEvent, _selected?.UniqueKey);
        await PostAsync(new { type = "close" });
    }

    private Task BackdropClickAsync() => _embedded && !Framed && !_busy ? CloseAsync("click:outside") : Task.CompletedTask;

    private void DocsClicked(string telemetryEvent) => Telemetry(telemetryEvent, _selected?.UniqueKey);

    private async Task DiscardPopupAsync()
    {
        if (_module is not null)
        {
            try
            {
                await _module.InvokeVoidAsync("discardPopup", _disposed.Token);
            }
            catch (JSDisconnectedException)
            {
            }
        }
    }

    private async Task GiveUpWaitingForTokenAsync()
    {
        try
        {
            await Task.Delay(_tokenWait, _disposed.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        await InvokeAsync(() =>
        {
            if (_token is null)
            {
                ShowUnavailable("This page can't be opened directly. Start the connection from your application.");
                StateHasChanged();
            }
        });
    }

    private void ShowUnavailable(string message)
    {
        _unavailable = message;
        _view = ConnectView.Unavailable;
    }

    private void ApplyTheme()
    {
        _theme = ConnectTheme.Build(_settings);
        var name = ConnectTheme.IsThemeName(ThemeParameter) ? ThemeParameter : _settings.DefaultTheme;
        _dark = name switch
        {
            "dark" => true,
            "light" => false,
            _ => _systemDark,
        };
    }

    private async Task PostAsync(object message)
    {
        if (_module is null)
        {
            return;
        }
        try
        {
            await _module.InvokeVoidAsync("post", _disposed.Token, message);
        }
        catch (JSDisconnectedException)
        {
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Best effort, like Nango's: the page never waits for it and ignores its failures.</summary>
    private void Telemetry(string name, string? integration = null)
    {
        if (_module is null || _token is null)
        {
            return;
        }
        _ = TelemetryAsync(_module, _token, name, integration);
    }

    private async Task TelemetryAsync(IJSObjectReference module, string token, string name, string? integration)
    {
        try
        {
            await module.InvokeVoidAsync("telemetry", _disposed.Token, token, name, integration);
        }
        catch (JSException e)
        {
            Logger.LogDebug(e, "Connect UI telemetry {Event} was not sent", name);
        }
        catch (JSDisconnectedException)
        {
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void SearchChanged(string? value) => _search = value?.Trim() ?? "";

    private static JsonObject? ParseObject(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        if (_module is not null)
        {
            try
            {
                await _module.InvokeVoidAsync("dispose");
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
            }
        }
        _self?.Dispose();
        _disposed.Dispose();
        GC.SuppressFinalize(this);
    }
}
