using Bunit;
using Nango.Core.Environments;
using Nango.Web.Components.Pages.Settings;

namespace Nango.Tests.Components.Settings;

[Trait("Category", "Integration")]
public sealed class EnvironmentSettingsPageTests(ComponentDatabase database) : DashboardTestContext(database), IClassFixture<ComponentDatabase>
{
    private IRenderedComponent<EnvironmentSettingsPage> RenderSettings()
    {
        var cut = RenderPage<EnvironmentSettingsPage>(p => p.Add(x => x.Env, "dev"));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=api-keys]")));
        return cut;
    }

    [Fact]
    public async Task The_secret_key_is_masked_until_revealed()
    {
        var env = await SignInNewAccountAsync();
        var key = await Environments.RevealSecretKeyAsync(env, Ct);
        var cut = RenderSettings();

        Assert.DoesNotContain(key, cut.Markup, StringComparison.Ordinal);
        await cut.Find("[data-testid=reveal-secret-key]").PressAsync();

        cut.WaitForAssertion(() => Assert.Equal(key, cut.Find("[data-testid=secret-key] input").GetAttribute("value")));
    }

    [Fact]
    public async Task Rotating_the_secret_key_after_confirmation_replaces_it()
    {
        var env = await SignInNewAccountAsync();
        var oldKey = await Environments.RevealSecretKeyAsync(env, Ct);
        var (_, dialogs) = RenderProviders();
        var cut = Render<EnvironmentSettingsPage>(p => p.Add(x => x.Env, "dev"));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=rotate-secret-key]")));

        await cut.ClickWithoutWaitingAsync("[data-testid=rotate-secret-key]");
        dialogs.WaitForAssertion(() => Assert.Contains("stops working at once", dialogs.Markup, StringComparison.Ordinal));
        await dialogs.Find("[data-testid=confirm-ok]").PressAsync();

        cut.WaitForAssertion(() => Assert.NotEqual("••••••••", cut.Find("[data-testid=secret-key] input").GetAttribute("value")));
        var newKey = await Environments.RevealSecretKeyAsync(env, Ct);
        Assert.NotEqual(oldKey, newKey);
        Assert.Equal(newKey, cut.Find("[data-testid=secret-key] input").GetAttribute("value"));
        Assert.Null(await Environments.FindBySecretKeyAsync(oldKey, Ct));
        Assert.Equal(env.EnvironmentId, (await Environments.FindBySecretKeyAsync(newKey, Ct))?.EnvironmentId);
    }

    [Fact]
    public async Task Rotating_the_signing_key_after_confirmation_replaces_it()
    {
        var env = await SignInNewAccountAsync();
        var oldKey = await Environments.RevealWebhookSigningKeyAsync(env, Ct);
        var (_, dialogs) = RenderProviders();
        var cut = Render<EnvironmentSettingsPage>(p => p.Add(x => x.Env, "dev"));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=rotate-signing-key]")));

        await cut.ClickWithoutWaitingAsync("[data-testid=rotate-signing-key]");
        await dialogs.WaitForElement("[data-testid=confirm-ok]").PressAsync();

        cut.WaitForAssertion(() => Assert.NotEqual("••••••••", cut.Find("[data-testid=signing-key] input").GetAttribute("value")));
        var newKey = await Environments.RevealWebhookSigningKeyAsync(env, Ct);
        Assert.NotEqual(oldKey, newKey);
        Assert.Equal(newKey, cut.Find("[data-testid=signing-key] input").GetAttribute("value"));
    }

    [Fact]
    public async Task The_standard_webhooks_secret_is_masked_until_revealed_and_encodes_the_signing_key()
    {
        var env = await SignInNewAccountAsync();
        var key = await Environments.RevealWebhookSigningKeyAsync(env, Ct);
        var secret = Nango.Core.Webhooks.WebhookSigner.StandardWebhooksSecret(key);
        var cut = RenderSettings();

        Assert.DoesNotContain(secret, cut.Markup, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=previous-signing-key]"));
        await cut.Find("[data-testid=reveal-standard-webhooks-secret]").PressAsync();

        cut.WaitForAssertion(() => Assert.Equal(secret, cut.Find("[data-testid=standard-webhooks-secret] input").GetAttribute("value")));
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.Equal(key, System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(secret["whsec_".Length..])));
    }

    [Fact]
    public async Task After_a_signing_key_rotation_the_page_says_until_when_the_previous_key_stays_valid()
    {
        var env = await SignInNewAccountAsync();
        var (_, dialogs) = RenderProviders();
        var cut = Render<EnvironmentSettingsPage>(p => p.Add(x => x.Env, "dev"));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=rotate-signing-key]")));

        await cut.ClickWithoutWaitingAsync("[data-testid=rotate-signing-key]");
        await dialogs.WaitForElement("[data-testid=confirm-ok]").PressAsync();

        var notice = cut.WaitForElement("[data-testid=previous-signing-key]");
        var expiresAt = (await Environments.GetSettingsAsync(env, Ct)).PreviousWebhookSigningKeyExpiresAt;
        Assert.NotNull(expiresAt);
        Assert.Contains(Nango.Web.Components.Dashboard.Display.Date(expiresAt.Value), notice.TextContent, StringComparison.Ordinal);
        var newKey = await Environments.RevealWebhookSigningKeyAsync(env, Ct);
        Assert.Equal(Nango.Core.Webhooks.WebhookSigner.StandardWebhooksSecret(newKey), cut.Find("[data-testid=standard-webhooks-secret] input").GetAttribute("value"));
    }

    [Fact]
    public async Task Variables_are_added_and_saved_together()
    {
        var env = await SignInNewAccountAsync();
        var cut = RenderSettings();
        Assert.NotNull(cut.Find("[data-testid=no-variables]"));

        await cut.Find("[data-testid=add-variable]").PressAsync();
        await cut.Find("[data-testid=add-variable]").PressAsync();
        var rows = cut.FindAll("[data-testid=variable-row]");
        await rows[0].QuerySelector("[data-testid=variable-name] input")!.TypeAsync("API_BASE");
        await cut.FindAll("[data-testid=variable-row]")[0].QuerySelector("[data-testid=variable-value] input")!.TypeAsync("https://api.example.com");
        await cut.FindAll("[data-testid=variable-row]")[1].QuerySelector("[data-testid=variable-name] input")!.TypeAsync("LIMIT");
        await cut.FindAll("[data-testid=variable-row]")[1].QuerySelector("[data-testid=variable-value] input")!.TypeAsync("10");
        await cut.Find("[data-testid=save-variables]").PressAsync();

        var saved = await Environments.GetVariablesAsync(env, Ct);
        Assert.Equal([new EnvironmentVariableValue("API_BASE", "https://api.example.com"), new EnvironmentVariableValue("LIMIT", "10")], saved);

        await cut.FindAll("[data-testid=remove-variable]")[1].PressAsync();
        await cut.Find("[data-testid=save-variables]").PressAsync();
        Assert.Equal("API_BASE", Assert.Single(await Environments.GetVariablesAsync(env, Ct)).Name);
    }

    [Fact]
    public async Task Invalid_variable_names_are_reported_and_nothing_is_saved()
    {
        var env = await SignInNewAccountAsync();
        await Environments.ReplaceVariablesAsync(env, [new EnvironmentVariableValue("KEEP", "1")], Ct);
        var cut = RenderSettings();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=variable-row]")));

        await cut.Find("[data-testid=add-variable]").PressAsync();
        await cut.FindAll("[data-testid=variable-row]")[1].QuerySelector("[data-testid=variable-name] input")!.TypeAsync("1bad-name");
        await cut.FindAll("[data-testid=variable-row]")[1].QuerySelector("[data-testid=variable-value] input")!.TypeAsync("x");
        await cut.Find("[data-testid=save-variables]").PressAsync();

        Assert.Contains("'1bad-name' is not a valid variable name", cut.Find("[data-testid=variable-errors]").TextContent, StringComparison.Ordinal);
        Assert.Equal("KEEP", Assert.Single(await Environments.GetVariablesAsync(env, Ct)).Name);
    }

    [Fact]
    public async Task Webhook_urls_and_toggles_are_saved()
    {
        var env = await SignInNewAccountAsync();
        var cut = RenderSettings();

        await cut.Find("[data-testid=webhook-url] input").TypeAsync("https://example.com/hooks");
        await cut.Find("[data-testid=always-send-sync-completion-webhook] input").ToggleAsync(true);
        await cut.Find("[data-testid=send-auth-webhook] input").ToggleAsync(false);
        await cut.Find("[data-testid=save-webhooks]").PressAsync();

        var settings = await Environments.GetSettingsAsync(env, Ct);
        Assert.Equal("https://example.com/hooks", settings.WebhookUrl);
        Assert.True(settings.AlwaysSendSyncCompletionWebhook);
        Assert.False(settings.SendAuthWebhook);
        Assert.True(settings.SendRefreshFailedWebhook);
    }

    [Fact]
    public async Task Base_url_override_is_allowed_by_default_and_can_be_turned_off()
    {
        var env = await SignInNewAccountAsync();
        Assert.True((await Environments.GetSettingsAsync(env, Ct)).AllowBaseUrlOverride);
        var cut = RenderSettings();
        Assert.NotNull(cut.Find("[data-testid=allow-base-url-override] input").GetAttribute("checked"));

        await cut.Find("[data-testid=allow-base-url-override] input").ToggleAsync(false);

        Assert.False((await Environments.GetSettingsAsync(env, Ct)).AllowBaseUrlOverride);
        Assert.Null(cut.Find("[data-testid=allow-base-url-override] input").GetAttribute("checked"));
    }

    [Fact]
    public async Task A_webhook_url_that_is_not_http_is_refused()
    {
        var env = await SignInNewAccountAsync();
        var cut = RenderSettings();

        await cut.Find("[data-testid=webhook-url] input").TypeAsync("ftp://example.com");
        await cut.Find("[data-testid=save-webhooks]").PressAsync();

        Assert.Contains("absolute http(s) URL", cut.Find("[data-testid=webhook-url]").TextContent, StringComparison.Ordinal);
        Assert.Null((await Environments.GetSettingsAsync(env, Ct)).WebhookUrl);
    }

    [Fact]
    public async Task The_callback_url_is_saved_and_emptying_it_restores_the_default()
    {
        var env = await SignInNewAccountAsync();
        var cut = RenderSettings();

        await cut.Find("[data-testid=callback-url] input").TypeAsync("https://app.example.com/oauth/callback");
        await cut.Find("[data-testid=save-callback-url]").PressAsync();
        var custom = await Environments.GetSettingsAsync(env, Ct);
        Assert.Equal("https://app.example.com/oauth/callback", custom.CallbackUrl);
        Assert.False(custom.CallbackUrlIsDefault);

        await cut.Find("[data-testid=callback-url] input").TypeAsync("");
        await cut.Find("[data-testid=save-callback-url]").PressAsync();
        Assert.True((await Environments.GetSettingsAsync(env, Ct)).CallbackUrlIsDefault);
    }
}
