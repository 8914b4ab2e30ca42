namespace Nango.Core.Common;

/// <summary>One input problem, with the path of the offending field (zod-style, as Nango reports them).</summary>
public sealed record ValidationError(string Code, string Message, IReadOnlyList<object> Path)
{
    public static ValidationError At(string message, params object[] path) => new("invalid", message, path);
}
