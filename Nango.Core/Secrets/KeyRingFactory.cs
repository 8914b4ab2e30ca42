using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Nango.Core.Secrets;

/// <summary>
/// Builds the key ring from configuration. In Development, when no key is configured, a key is generated
/// once and kept in the data folder so restarts can still read what was stored; elsewhere the options
/// validator has already refused to start without a key.
/// </summary>
internal static class KeyRingFactory
{
    public const string DevelopmentKeyFileName = "encryption.key";

    public static KeyRing Create(NangoOptions options, IHostEnvironment environment, ILogger logger)
    {
        var primary = options.EncryptionKey is { Length: > 0 } configured
            ? Convert.FromBase64String(configured.Trim())
            : LoadOrCreateDevelopmentKey(options, environment, logger);
        var older = options.EncryptionKeys.Select(pair => KeyValuePair.Create(pair.Key, Convert.FromBase64String(pair.Value.Trim())));
        return new KeyRing(primary, older);
    }

    public static KeyRing Create(IServiceProvider services) => Create(
        services.GetRequiredService<IOptions<NangoOptions>>().Value,
        services.GetRequiredService<IHostEnvironment>(),
        services.GetRequiredService<ILoggerFactory>().CreateLogger<KeyRing>());

    private static byte[] LoadOrCreateDevelopmentKey(NangoOptions options, IHostEnvironment environment, ILogger logger)
    {
        if (!environment.IsDevelopment())
        {
            throw new InvalidOperationException("Nango__EncryptionKey is required outside Development.");
        }
        var path = Path.GetFullPath(Path.Combine(options.DataPath, DevelopmentKeyFileName));
        if (File.Exists(path))
        {
            return Convert.FromBase64String(File.ReadAllText(path).Trim());
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = KeyRing.GenerateKey();
        File.WriteAllText(path, Convert.ToBase64String(key));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        logger.LogWarning("Generated a development encryption key at {Path}. Set Nango__EncryptionKey in production.", path);
        return key;
    }
}
