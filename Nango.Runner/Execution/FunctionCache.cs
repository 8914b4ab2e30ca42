using System.Collections.Concurrent;
using Acornima.Ast;
using Jint;

namespace Nango.Runner.Execution;

/// <summary>A bundle parsed once: CommonJS wrapped in a function (<see cref="Script"/>) or an ES module (<see cref="Module"/>).</summary>
internal sealed record CompiledFunction(string FileName, Prepared<Script>? Script, Prepared<Module>? Module);

/// <summary>Thrown for a bundle that is neither valid CommonJS nor a valid ES module.</summary>
internal sealed class FunctionSyntaxException(string message) : Exception(message);

/// <summary>
/// Parsed bundles per (function, version, code hash). Prepared scripts are immutable and shared by all engines.
/// </summary>
internal sealed class FunctionCache
{
    private const int MaxEntries = 512;
    private readonly ConcurrentDictionary<(string Name, string Version, string Hash), Lazy<CompiledFunction>> _entries = new();

    public bool TryGet(string name, string version, string hash, out CompiledFunction? function)
    {
        if (_entries.TryGetValue((name, version, hash), out var entry) && entry.IsValueCreated)
        {
            function = entry.Value;
            return true;
        }
        function = null;
        return false;
    }

    public CompiledFunction GetOrCompile(string name, string version, string hash, string code)
    {
        if (_entries.Count >= MaxEntries)
        {
            // Rare (hundreds of deployed versions in one account's runner); starting over is cheaper than LRU upkeep.
            _entries.Clear();
        }
        var entry = _entries.GetOrAdd((name, version, hash), key => new Lazy<CompiledFunction>(() => Compile(key.Name + "@" + key.Version, code)));
        try
        {
            return entry.Value;
        }
        catch (FunctionSyntaxException)
        {
            _entries.TryRemove(new KeyValuePair<(string, string, string), Lazy<CompiledFunction>>((name, version, hash), entry));
            throw;
        }
    }

    internal static CompiledFunction Compile(string fileName, string code)
    {
        try
        {
            // As Node wraps a CommonJS file; the line break keeps a trailing //# sourceMappingURL comment closed.
            var script = Engine.PrepareScript("(function (module, exports, require, __filename, __dirname) {" + code + "\n})", fileName);
            return new CompiledFunction(fileName, script, null);
        }
        catch (ScriptPreparationException scriptError)
        {
            try
            {
                // import/export are only valid at the top level of a module, so an ES module lands here.
                return new CompiledFunction(fileName, null, Engine.PrepareModule(code, fileName));
            }
            catch (ScriptPreparationException)
            {
                throw new FunctionSyntaxException($"The function's code does not parse: {scriptError.Message}");
            }
        }
    }
}
