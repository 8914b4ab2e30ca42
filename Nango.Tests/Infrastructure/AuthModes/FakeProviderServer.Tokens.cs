using Microsoft.AspNetCore.Builder;

namespace Nango.Tests.Infrastructure.AuthModes;

public sealed partial class FakeProviderServer
{
    private static void MapOtherModes(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
    }
}
