using Microsoft.AspNetCore.Components;
using MudBlazor;
using Nango.Core.Environments;
using Nango.Core.Webhooks;
using Nango.Web.Components.Dashboard;
using Nango.Web.Components.Dialogs;

namespace Nango.Web.Components.Pages.Settings;

public partial class EnvironmentSettingsPage : EnvironmentPage
{
    private EnvironmentSettings? _settings;
    private string? _secretKey;
    private string? _signingKey;
    private string _callbackUrl = "";
    private string? _callbackUrlError;
    private string _webhookUrl = "";
    private string _webhookUrlSecondary = "";
    private bool _sendAuthWebhook;
    private bool _sendRefreshFailedWebhook;
    private bool _sendSyncErrorWebhook;
    private bool _alwaysSendSyncCompletionWebhook;
    private bool _sendAsyncActionWebhook;
    private bool _allowBaseUrlOverride;
    private Dictionary<string, string> _webhookErrors = [];
    private List<VariableRow> _variables = [];
    private IReadOnlyList<string> _variableProblems = [];

    [Inject]
    public required EnvironmentService Environments { get; init; }

    [Inject]
    public required IDialogService Dialogs { get; init; }

    protected override async Task LoadAsync(EnvironmentContext environment, CancellationToken ct)
    {
        var settings = await Environments.GetSettingsAsync(environment, ct);
        var variables = await Environments.GetVariablesAsync(environment, ct);
        _settings = settings;
        _secretKey = null;
        _signingKey = null;
        _callbackUrl = settings.CallbackUrlIsDefault ? "" : settings.CallbackUrl;
        _callbackUrlError = null;
        _allowBaseUrlOverride = settings.AllowBaseUrlOverride;
        ShowWebhooks(settings);
        _variables = variables.Select(v => new VariableRow { Name = v.Name, Value = v.Value }).ToList();
        _variableProblems = [];
    }

    private void ShowWebhooks(EnvironmentSettings settings)
    {
        _webhookUrl = settings.WebhookUrl ?? "";
        _webhookUrlSecondary = settings.WebhookUrlSecondary ?? "";
        _sendAuthWebhook = settings.SendAuthWebhook;
        _sendRefreshFailedWebhook = settings.SendRefreshFailedWebhook;
        _sendSyncErrorWebhook = settings.SendSyncErrorWebhook;
        _alwaysSendSyncCompletionWebhook = settings.AlwaysSendSyncCompletionWebhook;
        _sendAsyncActionWebhook = settings.SendAsyncActionWebhook;
        _webhookErrors = [];
    }

    private async Task ToggleSecretKeyAsync()
    {
        if (_secretKey is not null)
        {
            _secretKey = null;
            return;
        }
        await TryRunAsync("The secret key could not be read.", async ct => _secretKey = await Environments.RevealSecretKeyAsync(Environment!, ct));
    }

    private async Task<string?> SecretKeyForCopyAsync()
    {
        string? key = _secretKey;
        if (key is null)
        {
            await TryRunAsync("The secret key could not be read.", async ct => key = await Environments.RevealSecretKeyAsync(Environment!, ct));
        }
        return key;
    }

    private async Task RotateSecretKeyAsync()
    {
        var confirmed = await Dialogs.ConfirmAsync(
            "Rotate the secret key",
            "Replace the secret key of this environment?",
            "Rotate",
            "The current key stops working at once: every backend that uses it gets 401 errors until it is given the new key.",
            Color.Warning);
        if (confirmed && await TryRunAsync("The secret key could not be rotated.", async ct => _secretKey = await Environments.RotateSecretKeyAsync(Environment!, ct)))
        {
            Snackbar.Add("Secret key rotated. The old key no longer works.", Severity.Success);
        }
    }

    private async Task ToggleSigningKeyAsync()
    {
        if (_signingKey is not null)
        {
            _signingKey = null;
            return;
        }
        await TryRunAsync("The signing key could not be read.", async ct => _signingKey = await Environments.RevealWebhookSigningKeyAsync(Environment!, ct));
    }

    private async Task<string?> SigningKeyForCopyAsync()
    {
        string? key = _signingKey;
        if (key is null)
        {
            await TryRunAsync("The signing key could not be read.", async ct => key = await Environments.RevealWebhookSigningKeyAsync(Environment!, ct));
        }
        return key;
    }

    /// <summary>Revealed together with the signing key: it is the same secret, written the Standard Webhooks way.</summary>
    private string? StandardSecret => _signingKey is null ? null : WebhookSigner.StandardWebhooksSecret(_signingKey);

    private async Task<string?> StandardSecretForCopyAsync()
    {
        var key = await SigningKeyForCopyAsync();
        return key is null ? null : WebhookSigner.StandardWebhooksSecret(key);
    }

    private async Task RotateSigningKeyAsync()
    {
        var confirmed = await Dialogs.ConfirmAsync(
            "Rotate the webhook signing key",
            "Replace the key Nango signs webhooks with?",
            "Rotate",
            "Webhooks are signed with the new key at once. For a grace period they also carry a signature made with the old key, so update your receivers before it ends.",
            Color.Warning);
        if (confirmed && await TryRunAsync("The signing key could not be rotated.", async ct =>
            {
                _signingKey = await Environments.RotateWebhookSigningKeyAsync(Environment!, ct);
                _settings = await Environments.GetSettingsAsync(Environment!, ct);
            }))
        {
            Snackbar.Add("Webhook signing key rotated. The previous key stays valid during the grace period.", Severity.Success);
        }
    }

    private async Task SaveCallbackUrlAsync()
    {
        _callbackUrlError = IsEmptyOrHttpUrl(_callbackUrl) ? null : "Enter an absolute http(s) URL, or leave empty for the default.";
        if (_callbackUrlError is not null)
        {
            return;
        }
        var url = _callbackUrl.Trim();
        if (await TryRunAsync("The callback URL could not be saved.", async ct =>
            {
                await Environments.UpdateCallbackUrlAsync(Environment!, url, ct);
                _settings = await Environments.GetSettingsAsync(Environment!, ct);
            }))
        {
            _callbackUrl = _settings!.CallbackUrlIsDefault ? "" : _settings.CallbackUrl;
            Snackbar.Add(url.Length == 0 ? "Callback URL reset to the default" : "Callback URL saved", Severity.Success);
        }
    }

    private async Task SetBaseUrlOverrideAsync(bool allowed)
    {
        if (await TryRunAsync("The proxy setting could not be saved.", ct => Environments.SetBaseUrlOverrideAllowedAsync(Environment!, allowed, ct)))
        {
            _allowBaseUrlOverride = allowed;
            Snackbar.Add(allowed ? "Base-Url-Override allowed" : "Base-Url-Override turned off", Severity.Success);
        }
    }

    private async Task SaveWebhooksAsync()
    {
        _webhookErrors = [];
        if (!IsEmptyOrHttpUrl(_webhookUrl))
        {
            _webhookErrors[nameof(_webhookUrl)] = "Enter an absolute http(s) URL, or leave empty.";
        }
        if (!IsEmptyOrHttpUrl(_webhookUrlSecondary))
        {
            _webhookErrors[nameof(_webhookUrlSecondary)] = "Enter an absolute http(s) URL, or leave empty.";
        }
        if (_webhookErrors.Count > 0)
        {
            return;
        }
        var update = new WebhookSettingsUpdate(_webhookUrl, _webhookUrlSecondary, _sendAuthWebhook, _sendRefreshFailedWebhook,
            _sendSyncErrorWebhook, _alwaysSendSyncCompletionWebhook, _sendAsyncActionWebhook);
        if (await TryRunAsync("The webhook settings could not be saved.", async ct =>
            {
                await Environments.UpdateWebhookSettingsAsync(Environment!, update, ct);
                _settings = await Environments.GetSettingsAsync(Environment!, ct);
            }))
        {
            ShowWebhooks(_settings!);
            Snackbar.Add("Webhook settings saved", Severity.Success);
        }
    }

    private void AddVariable() => _variables.Add(new VariableRow());

    private void RemoveVariable(VariableRow variable) => _variables.Remove(variable);

    private async Task SaveVariablesAsync()
    {
        var values = _variables
            .Where(v => !(string.IsNullOrWhiteSpace(v.Name) && string.IsNullOrEmpty(v.Value)))
            .Select(v => new EnvironmentVariableValue(v.Name.Trim(), v.Value))
            .ToList();
        IReadOnlyList<string>? problems = null;
        await TryRunAsync("The variables could not be saved.", async ct => problems = await Environments.ReplaceVariablesAsync(Environment!, values, ct));
        if (problems is null)
        {
            return;
        }
        _variableProblems = problems;
        if (problems.Count == 0)
        {
            _variables = values.Select(v => new VariableRow { Name = v.Name, Value = v.Value }).ToList();
            Snackbar.Add("Variables saved", Severity.Success);
        }
    }

    private static bool IsEmptyOrHttpUrl(string value) =>
        string.IsNullOrWhiteSpace(value)
        || (Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https");

    /// <summary>One editable row; a class so the text fields can bind to it in place.</summary>
    private sealed class VariableRow
    {
        public string Name { get; set; } = "";

        public string Value { get; set; } = "";
    }
}
