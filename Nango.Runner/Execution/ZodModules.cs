using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json;
using Acornima.Ast;
using Jint;

namespace Nango.Runner.Execution;

/// <summary>
/// zod's CommonJS files, embedded at build time from npm (js/package-lock.json), prepared once per process and
/// shared by every engine. The only package function code may require.
/// </summary>
internal static class ZodModules
{
    public const string PackageName = "zod";

    /// <summary>The file that re-exports every locale (see ScriptEngine's LazyLocale).</summary>
    public const string LocalesIndex = "v4/locales/index.cjs";
    private const string ResourcePrefix = "zod/";

    private static readonly Lazy<FrozenDictionary<string, string>> Sources = new(LoadSources);
    private static readonly Lazy<FrozenDictionary<string, string>> Exports = new(LoadExports);
    private static readonly Dictionary<string, Prepared<Script>> PreparedByPath = [];
    private static readonly Lock PrepareLock = new();

    /// <summary>The file a bare specifier (zod, zod/v4, zod/mini, …) names, or null when zod has no such entry.</summary>
    public static string? ResolvePackageSpecifier(string specifier)
    {
        var subpath = specifier == PackageName ? "." : "." + specifier[PackageName.Length..];
        return Exports.Value.GetValueOrDefault(subpath);
    }

    /// <summary>A path relative to the requiring zod file, normalised to a package path (v4/core/index.cjs).</summary>
    public static string? ResolveRelative(string fromPath, string specifier)
    {
        var parts = new List<string>(fromPath.Split('/')[..^1]);
        foreach (var part in specifier.Split('/'))
        {
            if (part is "." or "")
            {
                continue;
            }
            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    return null;
                }
                parts.RemoveAt(parts.Count - 1);
            }
            else
            {
                parts.Add(part);
            }
        }
        var path = string.Join('/', parts);
        if (Sources.Value.ContainsKey(path))
        {
            return path;
        }
        return Sources.Value.ContainsKey(path + ".cjs") ? path + ".cjs" : null;
    }

    /// <summary>The file wrapped as <c>(function (exports, require, module, __filename, __dirname) {…})</c>.</summary>
    public static Prepared<Script> GetPrepared(string path)
    {
        lock (PrepareLock)
        {
            if (!PreparedByPath.TryGetValue(path, out var prepared))
            {
                var source = Sources.Value[path];
                prepared = Engine.PrepareScript("(function (exports, require, module, __filename, __dirname) {" + source + "\n})", ResourcePrefix + path);
                PreparedByPath[path] = prepared;
            }
            return prepared;
        }
    }

    private static FrozenDictionary<string, string> LoadSources()
    {
        var assembly = typeof(ZodModules).Assembly;
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            sources[name[ResourcePrefix.Length..].Replace('\\', '/')] = reader.ReadToEnd();
        }
        if (!sources.ContainsKey("package.json"))
        {
            throw new InvalidOperationException("zod is not embedded in Nango.Runner.dll: the build did not find Nango.Runner/js/node_modules/zod.");
        }
        return sources.ToFrozenDictionary(StringComparer.Ordinal);
    }

    // package.json "exports": { ".": { "require": "./index.cjs" }, "./v4": { "require": "./v4/index.cjs" }, … }
    private static FrozenDictionary<string, string> LoadExports()
    {
        using var package = JsonDocument.Parse(Sources.Value["package.json"]);
        var exports = new Dictionary<string, string>(StringComparer.Ordinal);
        if (package.RootElement.TryGetProperty("exports", out var map) && map.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind == JsonValueKind.Object && entry.Value.TryGetProperty("require", out var file) && file.ValueKind == JsonValueKind.String)
                {
                    exports[entry.Name] = file.GetString()!.TrimStart('.', '/');
                }
            }
        }
        return exports.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Every embedded file, for a test that checks the build embedded zod.</summary>
    public static int FileCount => Sources.Value.Count;

    internal static Assembly Assembly => typeof(ZodModules).Assembly;
}
