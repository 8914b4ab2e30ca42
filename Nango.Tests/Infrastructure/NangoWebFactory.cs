using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Accounts;
using Nango.Core.Environments;

namespace Nango.Tests.Infrastructure;

/// <summary>
/// Nango.Web on a real loopback port (so Node clients and browsers can reach it) over its own fresh
/// database, with a bootstrap owner and fixed dev/prod secret keys.
/// </summary>
public class NangoWebFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminEmail = "admin@example.com";
    public const string AdminPassword = "test-password-1";

    private string _dataPath = Path.Combine(Path.GetTempPath(), "nango-tests", Guid.NewGuid().ToString("N"));

    public string DatabaseName { get; private set; } = "";

    public string ConnectionString => TestPostgres.ConnectionStringFor(DatabaseName);

    public string SecretKey { get; } = Guid.NewGuid().ToString();

    public string ProdSecretKey { get; } = Guid.NewGuid().ToString();

    public string EncryptionKey { get; private set; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>Extra configuration a test class needs (e.g. more catalog files), applied last.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [];

    public Uri ServerUrl { get; private set; } = null!;

    /// <summary>
    /// A port chosen before start (see <see cref="FreeLoopbackPort"/>): the server listens on it and it becomes
    /// <c>Nango:ServerUrl</c>, so the OAuth callback URL is known in advance and can be registered with a
    /// provider. Zero (the default) listens on any free port and leaves <c>ServerUrl</c> at its default.
    /// </summary>
    public int ListenPort { get; set; }

    /// <summary>
    /// A loopback port that is free now, for a listener started a little later. It is drawn below the kernel's
    /// ephemeral range (32768 and up): every listener bound to port 0 (internal APIs, runners, upstreams) and every
    /// outgoing connection takes ports from that range, and one of them could take a port picked there before its
    /// owner binds it.
    /// </summary>
    public static int FreeLoopbackPort()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = Random.Shared.Next(20_000, 32_000);
            try
            {
                using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (System.Net.Sockets.SocketException) when (attempt < 100)
            {
                // Taken: try another.
            }
        }
    }

    private bool _ownsDatabase = true;

    /// <summary>
    /// Listens on <paramref name="port"/> (see <see cref="FreePort"/>) and makes that address <c>Nango:ServerUrl</c>, so the
    /// URLs Nango derives from it (the OAuth callback, connect links) point at this instance; call before start.
    /// </summary>
    public NangoWebFactory ListeningOn(int port)
    {
        ListenPort = port;
        return this;
    }

    /// <summary>A loopback port nothing listens on right now: the OS picks it, and it is released at once for the caller to bind.</summary>
    public static int FreePort() => FreeLoopbackPort();

    /// <summary>
    /// Makes this instance share another instance's database and data directory (its function store), as the instances
    /// of one deployment do (multi-instance tests); call before start.
    /// </summary>
    public NangoWebFactory SharingDatabaseWith(NangoWebFactory other)
    {
        ArgumentNullException.ThrowIfNull(other);
        DatabaseName = other.DatabaseName;
        EncryptionKey = other.EncryptionKey;
        _dataPath = other._dataPath;
        _ownsDatabase = false;
        return this;
    }

    public async ValueTask InitializeAsync()
    {
        if (_ownsDatabase)
        {
            DatabaseName = await TestPostgres.CreateDatabaseAsync();
        }
        UseKestrel(o => o.Listen(IPAddress.Loopback, ListenPort));
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        ServerUrl = new Uri(address);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:Nango", ConnectionString);
        builder.UseSetting("Nango:DataPath", _dataPath);
        builder.UseSetting("Nango:EncryptionKey", EncryptionKey);
        builder.UseSetting("Nango:Bootstrap:AdminEmail", AdminEmail);
        builder.UseSetting("Nango:Bootstrap:AdminPassword", AdminPassword);
        builder.UseSetting("Nango:Bootstrap:SecretKey", SecretKey);
        builder.UseSetting("Nango:Bootstrap:ProdSecretKey", ProdSecretKey);
        // Many instances run at once: each internal runner API takes a free port.
        builder.UseSetting("Nango:InternalUrl", "http://127.0.0.1:0");
        if (ListenPort != 0)
        {
            builder.UseSetting("Nango:ServerUrl", $"http://127.0.0.1:{ListenPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }
        foreach (var (key, value) in ExtraSettings)
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>A client on the real port, authenticated with the dev secret key (or the key given).</summary>
    public HttpClient CreateApiClient(string? secretKey = null)
    {
        var client = new HttpClient { BaseAddress = ServerUrl };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secretKey ?? SecretKey);
        return client;
    }

    /// <summary>Another tenant: a new account with its own dev/prod environments; returns its dev secret key.</summary>
    public async Task<string> CreateOtherAccountAsync()
    {
        var key = Guid.NewGuid().ToString();
        await using var scope = Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        await accounts.CreateAccountAsync("Other " + key[..8], new Dictionary<string, string> { ["dev"] = key });
        return key;
    }

    public async Task<EnvironmentContext> GetEnvironmentAsync(string secretKey)
    {
        var environments = Services.GetRequiredService<EnvironmentService>();
        return await environments.FindBySecretKeyAsync(secretKey, CancellationToken.None)
            ?? throw new InvalidOperationException("Unknown secret key");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_ownsDatabase && DatabaseName.Length > 0)
        {
            await TestPostgres.DropDatabaseAsync(DatabaseName);
        }
        if (_ownsDatabase && Directory.Exists(_dataPath))
        {
            Directory.Delete(_dataPath, recursive: true);
        }
        GC.SuppressFinalize(this);
    }
}
