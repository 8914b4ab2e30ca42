using System.Diagnostics.Metrics;

namespace Nango.Core.Logs;

/// <summary>
/// Failed API authentications (secret keys and connect session tokens). A key or token that matches no
/// environment belongs to no tenant, so there is no Logs page to show it on: these are counted (metric
/// <c>nango.api.auth_failures</c>, tagged with the error code) and written to the application log by the
/// caller, not stored as operations.
/// </summary>
public sealed class ApiAuthFailures : IDisposable
{
    public const string MeterName = "Nango.Api";

    private readonly Meter _meter;
    private readonly Counter<long> _counter;
    private long _total;

    public ApiAuthFailures(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _counter = _meter.CreateCounter<long>("nango.api.auth_failures", description: "Requests refused because of a missing, malformed or unknown secret key or connect session token");
    }

    public long Total => Interlocked.Read(ref _total);

    public void Record(string code)
    {
        Interlocked.Increment(ref _total);
        _counter.Add(1, new KeyValuePair<string, object?>("code", code));
    }

    public void Dispose() => _meter.Dispose();
}
