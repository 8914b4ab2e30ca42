namespace Nango.Core.Functions;

/// <summary>
/// Where this instance's internal API (the runners' callback API) actually listens, once it does: with
/// <c>Nango__InternalUrl</c> on port 0 the port is known only after binding.
/// </summary>
public sealed class InternalApiAddress
{
    private string? _url;

    public string? Url
    {
        get => Volatile.Read(ref _url);
        set => Volatile.Write(ref _url, value);
    }
}
