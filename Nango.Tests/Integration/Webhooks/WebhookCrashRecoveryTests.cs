using Nango.Core.Webhooks;
using Nango.Tests.Infrastructure;
using static Nango.Tests.Integration.Webhooks.WebhookHarness;

namespace Nango.Tests.Integration.Webhooks;

/// <summary>
/// An instance killed in the middle of a delivery loses nothing: its claim is a lease, and once the lease ends
/// another instance sends the event again (the receiver sees the same webhook-id twice: at-least-once).
/// </summary>
[Trait("Category", "Integration")]
public sealed class WebhookCrashRecoveryTests : IAsyncLifetime
{
    // The claim's length is set by the instance that claims, so the short lease goes to the process that dies.
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(6);

    // Owns the database and publishes; never delivers, so only the processes under test send anything.
    private readonly WebhookFactory _setup = new(("Nango:Webhooks:DeliveryEnabled", "false"));
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "nango-tests", Guid.NewGuid().ToString("N"));
    private WebhookReceiver _receiver = null!;
    private RunningWebProcess? _doomed;
    private NangoWebFactory? _survivor;

    public async ValueTask InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        await _setup.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_doomed is not null)
        {
            await _doomed.DisposeAsync();
        }
        if (_survivor is not null)
        {
            await _survivor.DisposeAsync();
        }
        await _setup.DisposeAsync();
        await _receiver.DisposeAsync();
        if (Directory.Exists(_dataPath))
        {
            Directory.Delete(_dataPath, recursive: true);
        }
    }

    [Fact]
    public async Task A_delivery_claimed_by_a_killed_instance_is_taken_over_and_delivered_after_its_lease()
    {
        var held = new TaskCompletionSource<ReceivedWebhook>(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        _receiver.Respond = async (request, context) =>
        {
            if (Interlocked.Increment(ref calls) > 1)
            {
                return 200;
            }
            // Hold the first request open until its sender dies.
            held.TrySetResult(request);
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
            return 499;
        };
        var env = await PointAtAsync(_setup, _receiver.Url.ToString());
        var connection = (await CreateConnectionsAsync(_setup, "github", "crash-conn"))[0];

        _doomed = WebProcess.Start(["--urls", "http://127.0.0.1:0"], new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Nango"] = _setup.ConnectionString,
            ["Nango__EncryptionKey"] = _setup.EncryptionKey,
            ["Nango__DataPath"] = _dataPath,
            ["Nango__Proxy__AllowPrivateNetworks"] = "true",
            ["Nango__Webhooks__ClaimDuration"] = "00:00:06",
            ["Nango__Webhooks__Timeout"] = "00:00:05",
        });
        var published = await PublishAsync(_setup, Sequenced(env, connection, 1), Sequenced(env, connection, 2));
        var first = published[0];

        ReceivedWebhook request;
        try
        {
            request = await held.Task.WaitAsync(TimeSpan.FromSeconds(90), Ct);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The Web process never delivered. Its output:\n{_doomed.Output}");
        }
        await _doomed.KillAsync();

        Assert.Equal(first.EventId.ToString(), request.Header("webhook-id"));
        var claimed = await DeliveryAsync(_setup, first.Id);
        Assert.Equal(WebhookDeliveryStatus.Delivering, claimed.Status);
        Assert.Equal(1, claimed.Attempts);
        Assert.NotNull(claimed.LockedUntil);

        _survivor = new NangoWebFactory().SharingDatabaseWith(_setup);
        await _survivor.InitializeAsync();

        var delivered = await WaitForStatusAsync(_setup, WebhookDeliveryStatus.Delivered, published.Select(p => p.Id), TimeSpan.FromSeconds(30));
        Assert.Equal(2, delivered.Single(d => d.Id == first.Id).Attempts);
        Assert.Equal(1, delivered.Single(d => d.Id == published[1].Id).Attempts);

        // The event came again with the same id, not before the dead instance's lease ran out, and still first.
        var arrivals = _receiver.All.ToList();
        Assert.Equal([first.EventId.ToString(), first.EventId.ToString(), published[1].EventId.ToString()], arrivals.Select(a => a.Header("webhook-id")));
        Assert.True(arrivals[1].ReceivedAt >= claimed.LockedUntil!.Value.AddMilliseconds(-50),
            $"taken over {(claimed.LockedUntil.Value - arrivals[1].ReceivedAt).TotalMilliseconds:0} ms before the lease ended");
        Assert.True(claimed.LockedUntil.Value - claimed.LastAttemptAt!.Value <= Lease + TimeSpan.FromMilliseconds(50));
    }
}
