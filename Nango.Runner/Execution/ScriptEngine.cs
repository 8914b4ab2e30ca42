using Acornima.Ast;
using Jint;
using Jint.Constraints;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Descriptors;
using Jint.Runtime.Interop;
using Nango.Runner.Host;

namespace Nango.Runner.Execution;

/// <summary>Limits fixed when an engine is built; engines are pooled per distinct value.</summary>
internal readonly record struct EngineLimits(TimeSpan CpuSlice, int MaxStatements, long MemoryBytes, int MaxRecursion);

/// <summary>
/// One Jint engine with the runtime (nango-runtime.js) and zod loaded. It runs one task at a time; between tasks
/// its globals are restored to the state after start-up, so what one run adds to globalThis is gone for the next.
/// Loading zod takes tens of milliseconds in Jint, which is why engines are kept warm rather than built per task.
/// </summary>
internal sealed class ScriptEngine : IDisposable
{
    private static readonly Lazy<Prepared<Script>> Runtime = new(PrepareRuntime);
    private static readonly CancellationTokenSource NeverCancelled = new();

    private readonly Engine _engine;
    private readonly CancellationConstraint _cancellation;
    private readonly CpuSliceConstraint _cpuSlice;
    private readonly StatementBudgetConstraint? _statements;
    private readonly JsValue _run;
    private readonly JsValue _require;
    private readonly Dictionary<string, ObjectInstance> _modules = new(StringComparer.Ordinal);
    private readonly HashSet<string> _esModules = new(StringComparer.Ordinal);
    private readonly GlobalSnapshot _snapshot;
    private readonly RecordChunkWriter _recordChunks;
    private readonly BuiltInsFingerprint _builtIns;
    private bool _zodModuleRegistered;

    private ScriptEngine(EngineLimits limits)
    {
        Limits = limits;
        _cpuSlice = new CpuSliceConstraint(limits.CpuSlice);
        _statements = limits.MaxStatements > 0 ? new StatementBudgetConstraint(limits.MaxStatements) : null;
        _engine = new Engine(options =>
        {
            options.ExperimentalFeatures = ExperimentalFeature.TaskInterop;
            // No eval or new Function (Nango's sandbox forbids code generation from strings too).
            options.Host.StringCompilationAllowed = false;
            options.TimeZone = TimeZoneInfo.Utc;
            options.Culture = System.Globalization.CultureInfo.InvariantCulture;
            options.Constraint(_cpuSlice);
            if (_statements is not null)
            {
                options.Constraint(_statements);
            }
            options.LimitMemory(limits.MemoryBytes);
            options.LimitRecursion(limits.MaxRecursion);
            // Without this a deep recursion below the recursion limit can still overflow the native stack,
            // which kills the whole process; with it Jint throws a catchable RangeError first.
            options.Constraints.StackOverflowGuard = true;
            // Jint gives up on a pending promise after PromiseTimeout (10 s by default): a sync awaiting a slow provider, or
            // saving page after page for minutes, would fail with "Timeout of 00:00:10 reached". The task's own wall-clock
            // limit (its cancellation token) is what bounds a run.
            options.Constraints.PromiseTimeout = Timeout.InfiniteTimeSpan;
            // Jint adds the constraint only for a token that can be cancelled; each task resets it to its own.
            options.CancellationToken(NeverCancelled.Token);
        });
        _cancellation = _engine.Constraints.Find<CancellationConstraint>()
            ?? throw new InvalidOperationException("The engine has no cancellation constraint.");

        _require = new ClrFunction(_engine, "require", (_, arguments) => Require(from: null, SpecifierOf(arguments)), 1);
        // zod is loaded before the snapshot: every task requires it and its module state must survive restores.
        Require(from: null, ZodModules.PackageName);
        _run = _engine.Evaluate(Runtime.Value).AsObject().Get("run");
        _snapshot = _engine.Advanced.CaptureGlobalSnapshot();
        _recordChunks = new RecordChunkWriter(_engine, limits.MemoryBytes);
        _builtIns = BuiltInsFingerprint.Capture(_engine);
    }

    public EngineLimits Limits { get; }

    public static ScriptEngine Create(EngineLimits limits) => new(limits);

    /// <summary>
    /// Starts the function and returns the promise of its JSON outcome. Runs the synchronous part of the
    /// function on the calling thread; the caller awaits the rest with <c>UnwrapIfPromiseAsync</c>.
    /// </summary>
    public JsValue Start(
        CompiledFunction function,
        Func<string, string, Task<string>> host,
        Func<RecordChunk, Task<string>> sendRecords,
        string contextJson,
        string? inputJson,
        CancellationToken cancellation)
    {
        // Jint resets constraints when a script is evaluated, not when a function is called: do it per task.
        _engine.Constraints.Reset();
        _cancellation.Reset(cancellation);
        _cpuSlice.Armed = true;
        if (_statements is not null)
        {
            _statements.Armed = true;
        }
        var loadExports = new ClrFunction(_engine, "loadExports", (_, _) => LoadExports(function), 0);
        var hostFunction = JsValue.FromObject(_engine, host);
        // recordsHost(action, model, mergingStrategy, records, start, end, withoutMetadata): takes records[start, end) now
        // and answers the function that sends them.
        var recordsFunction = new ClrFunction(_engine, "recordsHost", (_, arguments) =>
        {
            var start = (uint)TypeConverter.ToNumber(arguments.At(4));
            var end = (uint)TypeConverter.ToNumber(arguments.At(5));
            if (arguments.At(3) is not JsArray records)
            {
                // An array that is not a plain one (a proxy of an array): a copy of the slice, as Array.prototype.slice makes it.
                var slice = _engine.Intrinsics.Array.PrototypeObject.Get("slice");
                records = _engine.Call(slice, arguments.At(3), [start, end]).AsArray();
                (start, end) = (0, records.Length);
            }
            var chunk = _recordChunks.Write(
                arguments.At(0).ToString(),
                arguments.At(1).ToString(),
                arguments.At(2) is JsString strategy ? strategy.ToString() : null,
                records, start, end, arguments.At(6));
            return JsValue.FromObject(_engine, new Func<Task<string>>(() => sendRecords(chunk)));
        }, 7);
        JsValue input = inputJson is null ? JsValue.Null : new JsString(inputJson);
        return _engine.Call(_run, JsValue.Undefined, [loadExports, hostFunction, recordsFunction, new JsString(contextJson), input]);
    }

    /// <summary>Called when a host call returns: the JavaScript that runs next gets a full slice.</summary>
    public void RestartCpuSlice() => _cpuSlice.Reset();

    /// <summary>Whether the built-in objects are as the engine was built (a run may have changed Array.prototype, JSON, …,
    /// which the global snapshot does not put back): an engine whose built-ins changed must not serve another task.</summary>
    public bool BuiltInsUnchanged => _builtIns.Matches();

    /// <summary>Makes the engine ready for the next task. Only called after a run that ended normally.</summary>
    public void Reset()
    {
        _cpuSlice.Armed = false;
        if (_statements is not null)
        {
            _statements.Armed = false;
        }
        _engine.Advanced.RestoreGlobalSnapshot(_snapshot);
        _cancellation.Reset(NeverCancelled.Token);
    }

    public void Dispose() => _engine.Dispose();

    private JsValue LoadExports(CompiledFunction function)
    {
        if (function.Module is { } module)
        {
            return ImportModule(function, module);
        }
        var wrapper = _engine.Evaluate(function.Script!.Value);
        var moduleObject = new JsObject(_engine);
        var exports = new JsObject(_engine);
        moduleObject.Set("exports", exports);
        _engine.Call(wrapper, exports, [moduleObject, exports, _require, new JsString(function.FileName), new JsString("/")]);
        return moduleObject.Get("exports");
    }

    private ObjectInstance ImportModule(CompiledFunction function, Prepared<Acornima.Ast.Module> module)
    {
        RegisterZodModule();
        // Jint caches an imported module per engine, so a warm engine evaluates each module version once.
        var name = "function:" + function.FileName;
        if (_esModules.Add(name))
        {
            _engine.Modules.Add(name, builder => builder.AddModule(module));
        }
        return _engine.Modules.Import(name);
    }

    private void RegisterZodModule()
    {
        if (_zodModuleRegistered)
        {
            return;
        }
        var zod = Require(from: null, ZodModules.PackageName).AsObject();
        _engine.Modules.Add(ZodModules.PackageName, builder =>
        {
            foreach (var key in zod.GetOwnPropertyKeys(Types.String))
            {
                builder.ExportValue(key.AsString(), zod.Get(key));
            }
        });
        _zodModuleRegistered = true;
    }

    private static string SpecifierOf(JsValue[] arguments)
        => arguments.Length > 0 && arguments[0].IsString() ? arguments[0].AsString() : TypeConverter.ToString(arguments.Length > 0 ? arguments[0] : JsValue.Undefined);

    private JsValue Require(string? from, string specifier)
    {
        var isZod = specifier == ZodModules.PackageName || specifier.StartsWith(ZodModules.PackageName + "/", StringComparison.Ordinal);
        string? path;
        if (from is null)
        {
            path = isZod ? ZodModules.ResolvePackageSpecifier(specifier) : null;
            if (path is null)
            {
                throw new JavaScriptException(_engine.Intrinsics.Error, $"Module '{specifier}' is not allowed: function code may only require zod");
            }
        }
        else
        {
            path = specifier.StartsWith('.') ? ZodModules.ResolveRelative(from, specifier)
                : isZod ? ZodModules.ResolvePackageSpecifier(specifier)
                : null;
            if (path is null)
            {
                throw new JavaScriptException(_engine.Intrinsics.Error, $"Cannot find module '{specifier}' from zod/{from}");
            }
        }

        if (_modules.TryGetValue(path, out var loaded))
        {
            return loaded.Get("exports");
        }
        if (from == ZodModules.LocalesIndex)
        {
            return LazyLocale(path);
        }
        return Load(path);
    }

    /// <summary>
    /// zod's locale index requires all of its ~50 locales (about half the bytes zod loads) only to re-export each
    /// through a getter that reads <c>.default</c>; zod itself uses English alone. The index gets a stand-in module per
    /// locale whose <c>default</c> loads the real file on first read, so a locale costs nothing until a script asks
    /// for it (<c>z.locales.fr()</c>) and then behaves as in Node.
    /// </summary>
    private JsObject LazyLocale(string path)
    {
        var standIn = new JsObject(_engine);
        standIn.Set("__esModule", JsBoolean.True);
        var load = new ClrFunction(_engine, "default", (_, _) =>
        {
            var exports = _modules.TryGetValue(path, out var loaded) ? loaded.Get("exports") : Load(path);
            // What the index's __importDefault would have made of the real module: a locale file ends with
            // module.exports = exports.default, so its exports are usually the locale function itself.
            return exports is ObjectInstance module && TypeConverter.ToBoolean(module.Get("__esModule")) ? module.Get("default") : exports;
        }, 0);
        standIn.DefineOwnProperty("default", new GetSetPropertyDescriptor(load, JsValue.Undefined, enumerable: true, configurable: true));
        return standIn;
    }

    private JsValue Load(string path)
    {
        var moduleObject = new JsObject(_engine);
        var exports = new JsObject(_engine);
        moduleObject.Set("exports", exports);
        // Registered before it runs, as Node does, so a require cycle sees the partly filled exports.
        _modules[path] = moduleObject;
        var directory = path.Contains('/', StringComparison.Ordinal) ? path[..path.LastIndexOf('/')] : "";
        var localRequire = new ClrFunction(_engine, "require", (_, arguments) => Require(path, SpecifierOf(arguments)), 1);
        var wrapper = _engine.Evaluate(ZodModules.GetPrepared(path));
        _engine.Call(wrapper, exports, [exports, localRequire, moduleObject, new JsString("zod/" + path), new JsString("zod/" + directory)]);
        return moduleObject.Get("exports");
    }

    private static Prepared<Script> PrepareRuntime()
    {
        using var stream = typeof(ScriptEngine).Assembly.GetManifestResourceStream("Nango.Runner.Execution.nango-runtime.js")
            ?? throw new InvalidOperationException("nango-runtime.js is not embedded.");
        using var reader = new StreamReader(stream);
        return Engine.PrepareScript(reader.ReadToEnd(), "nango-runtime.js");
    }
}
