using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Nango.Core.Common;
using Nango.Core.Functions.Deploy;
using Nango.Core.Syncs.Schedules;

namespace Nango.Web.Api.Functions;

/// <summary>
/// Checks a deploy body the way Nango's zod schema does (<c>controllers/sync/deploy/validation.ts</c>): strict objects,
/// the same required fields, enums, patterns and cross-field rules, each problem reported with its path. Only a body
/// with no problem becomes a <see cref="DeployRequest"/>.
/// </summary>
internal static partial class DeployBodyParser
{
    private static readonly string[] _topLevelKeys =
        ["flowConfigs", "onEventScriptsByProvider", "postConnectionScriptsByProvider", "jsonSchema", "reconcile", "debug", "deployMode", "singleDeployMode", "sdkVersion", "source"];

    private static readonly string[] _flowKeys =
        ["type", "models", "runs", "auto_start", "attributes", "metadata", "model_schema", "input", "endpoints", "syncName", "providerConfigKey",
         "fileBody", "version", "track_deletes", "sync_type", "webhookSubscriptions", "models_json_schema", "features"];

    private static readonly string[] _httpMethods = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    [GeneratedRegex(@"^[a-zA-Z0-9_-]+$")]
    private static partial Regex FunctionNamePattern();

    [GeneratedRegex(@"^(every )?((\d+)?\s?(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)|(month|week|half day|half hour|quarter hour))$")]
    private static partial Regex FrequencyPattern();

    [GeneratedRegex(@"[0-9]+\.[0-9]+\.[0-9]+-(zero|yaml)")]
    private static partial Regex SdkVersionPattern();

    public static bool IsFunctionName(string? value) => value is { Length: > 0 and <= Identifiers.MaxLength } && FunctionNamePattern().IsMatch(value);

    // withYamlBody: POST /sync/deploy also requires nangoYamlBody, which the confirmation refuses.
    public static DeployRequest? Parse(JsonElement body, bool withYamlBody, string? cliVersion, List<ValidationError> errors)
    {
        var reader = new JsonBodyReader();
        var root = reader.ReadBody(body);
        if (root is null)
        {
            errors.AddRange(reader.Errors);
            return null;
        }
        reader.RejectUnknownKeys(root, withYamlBody ? [.. _topLevelKeys, "nangoYamlBody"] : _topLevelKeys);
        if (withYamlBody)
        {
            reader.ReadString(root, "nangoYamlBody", [], required: true);
        }

        var flows = new List<(int Index, FlowDefinition Flow)>();
        if (ReadArray(reader, root, "flowConfigs", [], required: true) is { } flowArray)
        {
            for (var index = 0; index < flowArray.Count; index++)
            {
                if (ReadFlow(reader, flowArray[index], ["flowConfigs", index]) is { } flow)
                {
                    flows.Add((index, flow));
                }
            }
        }

        List<OnEventScriptDefinition>? onEvents = null;
        if (ReadArray(reader, root, "onEventScriptsByProvider", [], required: false) is { } onEventArray)
        {
            onEvents = ReadOnEvents(reader, onEventArray, "onEventScriptsByProvider", legacy: false);
        }
        // Deprecated name of the same list from CLIs before on-event scripts had events; each script runs after connection creation.
        if (ReadArray(reader, root, "postConnectionScriptsByProvider", [], required: false) is { } legacyArray)
        {
            var legacy = ReadOnEvents(reader, legacyArray, "postConnectionScriptsByProvider", legacy: true);
            onEvents ??= legacy;
        }
        if (root.TryGetPropertyValue("jsonSchema", out var jsonSchema) && jsonSchema is not JsonObject)
        {
            reader.Add(JsonBodyReader.TypeError("object", jsonSchema, ["jsonSchema"]));
        }
        var reconcile = ReadBool(reader, root, "reconcile", [], required: true);
        ReadBool(reader, root, "debug", [], required: true);
        var debug = root["debug"] is JsonValue d && d.GetValueKind() == JsonValueKind.True;
        var deployMode = ReadEnum(reader, root, "deployMode", [], [DeployModes.All, DeployModes.Single, DeployModes.Integration]);
        var singleDeployMode = ReadBool(reader, root, "singleDeployMode", [], required: false);
        var sdkVersion = reader.ReadString(root, "sdkVersion", []);
        if (sdkVersion is not null && !SdkVersionPattern().IsMatch(sdkVersion))
        {
            reader.Add(new ValidationError("invalid_format", $"Invalid string: must match pattern /{SdkVersionPattern()}/", ["sdkVersion"]));
        }
        ReadEnum(reader, root, "source", [], ["standalone", "repo"]);

        // Two entries for one function would both claim it; Nango's own CLI never sends that.
        foreach (var (index, duplicate) in flows.GroupBy(x => (x.Flow.IntegrationKey, x.Flow.Type, x.Flow.Name)).Where(g => g.Count() > 1).SelectMany(g => g.Skip(1)))
        {
            reader.Add(new ValidationError("custom", $"The {duplicate.Type} '{duplicate.Name}' of '{duplicate.IntegrationKey}' is deployed twice", ["flowConfigs", index, "syncName"]));
        }

        if (reader.HasErrors)
        {
            errors.AddRange(reader.Errors);
            return null;
        }
        return new DeployRequest(
            flows.Select(f => f.Flow).ToList(),
            onEvents,
            deployMode ?? (singleDeployMode == true ? DeployModes.Single : DeployModes.All),
            reconcile ?? false,
            debug,
            sdkVersion,
            cliVersion);
    }

    private static FlowDefinition? ReadFlow(JsonBodyReader reader, JsonNode? node, object[] path)
    {
        if (node is not JsonObject flow)
        {
            reader.Add(JsonBodyReader.TypeError("object", node, path));
            return null;
        }
        var before = reader.Errors.Count;
        reader.RejectUnknownKeys(flow, _flowKeys, path);
        var type = ReadEnum(reader, flow, "type", path, [FunctionTypes.Action, FunctionTypes.Sync], required: true);
        var models = ReadStrings(reader, flow, "models", path, required: true, minLength: 1, maxLength: 255);

        string? runs = null;
        if (!flow.TryGetPropertyValue("runs", out var runsNode))
        {
            reader.Add(new ValidationError("invalid_type", "Invalid input: expected string, received undefined", [.. path, "runs"]));
        }
        else if (runsNode is not null)
        {
            runs = reader.ReadString(flow, "runs", path);
            if (runs is { Length: > 0 } && !FrequencyPattern().IsMatch(runs))
            {
                reader.Add(new ValidationError("invalid_format", "Invalid string: must match pattern of a frequency such as 'every hour' or '30 minutes'", [.. path, "runs"]));
            }
            else if (runs is { Length: > 0 } && SyncFrequency.Parse(runs) is { IsValid: false } frequency)
            {
                // Matches the pattern but names no usable interval ('every minute' is no number for ms; '10s' is under 30 s).
                reader.Add(new ValidationError("invalid_format", frequency.Error!, [.. path, "runs"]));
            }
        }

        var autoStart = ReadBool(reader, flow, "auto_start", path, required: false) ?? false;
        var attributes = reader.ReadObject(flow, "attributes", path) ?? [];
        string? description = null;
        List<string> scopes = [];
        if (reader.ReadObject(flow, "metadata", path) is { } metadata)
        {
            object[] metadataPath = [.. path, "metadata"];
            reader.RejectUnknownKeys(metadata, ["scopes", "description"], metadataPath);
            scopes = ReadStrings(reader, metadata, "scopes", metadataPath, required: false, minLength: 0, maxLength: 255) ?? [];
            description = reader.ReadString(metadata, "description", metadataPath, maxLength: 2000);
        }

        // input: a model name, or (from very old CLIs) anything; only a name is kept.
        var input = flow["input"] is JsonValue inputValue && inputValue.GetValueKind() == JsonValueKind.String ? inputValue.GetValue<string>() : null;
        if (input is { Length: > 255 })
        {
            reader.Add(new ValidationError("too_big", "Too big: expected string to have <=255 characters", [.. path, "input"]));
        }

        var endpoints = ReadEndpoints(reader, flow, path);
        var name = reader.ReadString(flow, "syncName", path, required: true);
        if (name is not null && !IsFunctionName(name))
        {
            reader.Add(new ValidationError("invalid_format", "Invalid string: must match pattern /^[a-zA-Z0-9_-]+$/", [.. path, "syncName"]));
        }
        var integrationKey = reader.ReadString(flow, "providerConfigKey", path, required: true);
        if (integrationKey is not null && !Identifiers.IsProviderConfigKey(integrationKey))
        {
            reader.Add(new ValidationError("invalid_format", "Invalid string: must match pattern /^[a-zA-Z0-9~:.@ _-]+$/", [.. path, "providerConfigKey"]));
        }
        var files = ReadFiles(reader, flow, path);
        var version = reader.ReadString(flow, "version", path, maxLength: 255);
        var trackDeletes = ReadBool(reader, flow, "track_deletes", path, required: false) ?? false;
        var syncType = ReadEnum(reader, flow, "sync_type", path, ["incremental", "full"]);
        var subscriptions = ReadStrings(reader, flow, "webhookSubscriptions", path, required: false, minLength: 0, maxLength: 255) ?? [];
        JsonObject? jsonSchema = null;
        if (reader.ReadObject(flow, "models_json_schema", path) is { } schema)
        {
            if (reader.ReadObject(schema, "definitions", [.. path, "models_json_schema"], required: true) is { } definitions)
            {
                foreach (var (key, value) in definitions)
                {
                    if (value is not JsonObject)
                    {
                        reader.Add(JsonBodyReader.TypeError("object", value, [.. path, "models_json_schema", "definitions", key]));
                    }
                }
                // zod's plain object keeps only the keys it knows.
                jsonSchema = new JsonObject { ["definitions"] = definitions.DeepClone() };
            }
        }
        var features = ReadStrings(reader, flow, "features", path, required: false, minLength: 0, maxLength: int.MaxValue) ?? [];
        for (var index = 0; index < features.Count; index++)
        {
            if (features[index] != "checkpoints")
            {
                reader.Add(new ValidationError("invalid_value", "Invalid option: expected one of \"checkpoints\"", [.. path, "features", index]));
            }
        }

        if (syncType == "incremental" && trackDeletes)
        {
            reader.Add(new ValidationError("custom", "Track deletes is not supported for incremental syncs", [.. path, "track_deletes"]));
        }
        if (jsonSchema?["definitions"] is JsonObject defined && models is not null)
        {
            var topLevel = input is null ? models : [.. models, input];
            if (!topLevel.All(defined.ContainsKey))
            {
                reader.Add(new ValidationError("custom", "models_json_schema is missing definitions for some models or input", [.. path, "models_json_schema"]));
            }
        }

        if (reader.Errors.Count > before || type is null || models is null || name is null || integrationKey is null || files is null)
        {
            return null;
        }
        return new FlowDefinition(name, integrationKey, type, models, version, runs is { Length: > 0 } ? runs : null, autoStart, trackDeletes, attributes,
            description, scopes, input, syncType, endpoints, subscriptions, jsonSchema, features, files);
    }

    private static List<FunctionEndpoint> ReadEndpoints(JsonBodyReader reader, JsonObject flow, object[] path)
    {
        var result = new List<FunctionEndpoint>();
        if (ReadArray(reader, flow, "endpoints", path, required: false) is not { } array)
        {
            return result;
        }
        for (var index = 0; index < array.Count; index++)
        {
            object[] at = [.. path, "endpoints", index];
            if (array[index] is not JsonObject endpoint)
            {
                reader.Add(JsonBodyReader.TypeError("object", array[index], at));
                continue;
            }
            if (endpoint.ContainsKey("path") || endpoint.ContainsKey("method"))
            {
                var before = reader.Errors.Count;
                reader.RejectUnknownKeys(endpoint, ["method", "path", "group"], at);
                var method = ReadEnum(reader, endpoint, "method", at, _httpMethods, required: true);
                var endpointPath = reader.ReadString(endpoint, "path", at, required: true);
                var group = reader.ReadString(endpoint, "group", at, minLength: 1, maxLength: 64);
                if (reader.Errors.Count == before && method is not null && endpointPath is not null)
                {
                    result.Add(new FunctionEndpoint(method, endpointPath, group));
                }
                continue;
            }
            // Legacy form {"GET": "/path"}: the first entry is the endpoint (Nango's cleanIncomingFlow).
            reader.RejectUnknownKeys(endpoint, _httpMethods, at);
            var entries = endpoint.Where(p => _httpMethods.Contains(p.Key)).ToList();
            foreach (var (method, value) in entries)
            {
                if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
                {
                    reader.Add(JsonBodyReader.TypeError("string", value, [.. at, method]));
                }
            }
            if (entries.Count > 0 && entries[0].Value is JsonValue first && first.GetValueKind() == JsonValueKind.String)
            {
                result.Add(new FunctionEndpoint(entries[0].Key, first.GetValue<string>(), null));
            }
        }
        return result;
    }

    private static List<OnEventScriptDefinition> ReadOnEvents(JsonBodyReader reader, JsonArray array, string key, bool legacy)
    {
        var result = new List<OnEventScriptDefinition>();
        for (var index = 0; index < array.Count; index++)
        {
            object[] at = [key, index];
            if (array[index] is not JsonObject provider)
            {
                reader.Add(JsonBodyReader.TypeError("object", array[index], at));
                continue;
            }
            reader.RejectUnknownKeys(provider, ["providerConfigKey", "scripts"], at);
            var integrationKey = reader.ReadString(provider, "providerConfigKey", at, required: true);
            if (integrationKey is not null && !Identifiers.IsProviderConfigKey(integrationKey))
            {
                reader.Add(new ValidationError("invalid_format", "Invalid string: must match pattern /^[a-zA-Z0-9~:.@ _-]+$/", [.. at, "providerConfigKey"]));
                integrationKey = null;
            }
            if (ReadArray(reader, provider, "scripts", at, required: true) is not { } scripts)
            {
                continue;
            }
            for (var scriptIndex = 0; scriptIndex < scripts.Count; scriptIndex++)
            {
                object[] scriptPath = [.. at, "scripts", scriptIndex];
                if (scripts[scriptIndex] is not JsonObject script)
                {
                    reader.Add(JsonBodyReader.TypeError("object", scripts[scriptIndex], scriptPath));
                    continue;
                }
                reader.RejectUnknownKeys(script, legacy ? ["name", "fileBody"] : ["name", "fileBody", "event"], scriptPath);
                var name = reader.ReadString(script, "name", scriptPath, required: true, minLength: 1, maxLength: 255);
                var files = ReadFiles(reader, script, scriptPath);
                var onEvent = legacy ? FunctionEvents.PostConnectionCreation : ReadEnum(reader, script, "event", scriptPath, FunctionEvents.All, required: true);
                if (integrationKey is not null && name is not null && files is not null && onEvent is not null)
                {
                    result.Add(new OnEventScriptDefinition(integrationKey, name, onEvent, files));
                }
            }
        }
        return result;
    }

    private static FunctionFiles? ReadFiles(JsonBodyReader reader, JsonObject parent, object[] path)
    {
        if (reader.ReadObject(parent, "fileBody", path, required: true) is not { } fileBody)
        {
            return null;
        }
        object[] at = [.. path, "fileBody"];
        reader.RejectUnknownKeys(fileBody, ["js", "ts"], at);
        var js = reader.ReadString(fileBody, "js", at, required: true);
        var ts = reader.ReadString(fileBody, "ts", at, required: true);
        if (js is not null && BundleSyntaxError(js) is { } syntaxError)
        {
            reader.Add(new ValidationError("custom", $"The compiled bundle is not valid JavaScript: {syntaxError}", [.. at, "js"]));
        }
        return js is null || ts is null ? null : new FunctionFiles(js, ts);
    }

    /// <summary>
    /// Why a bundle would not load in a runner, or null when it parses. Checked here, not first in a runner, so a broken
    /// build is refused before it replaces a working version. Parsed as the runner reads it: CommonJS wrapped in a function,
    /// else an ES module.
    /// </summary>
    private static string? BundleSyntaxError(string js)
    {
        var parser = new Acornima.Parser();
        try
        {
            parser.ParseScript("(function (module, exports, require, __filename, __dirname) {" + js + "\n})");
            return null;
        }
        catch (Acornima.ParseErrorException commonJsError)
        {
            try
            {
                parser.ParseModule(js);
                return null;
            }
            catch (Acornima.ParseErrorException)
            {
                return commonJsError.Message;
            }
        }
    }

    private static JsonArray? ReadArray(JsonBodyReader reader, JsonObject parent, string key, object[] path, bool required)
    {
        if (!parent.TryGetPropertyValue(key, out var node))
        {
            if (required)
            {
                reader.Add(new ValidationError("invalid_type", "Invalid input: expected array, received undefined", [.. path, key]));
            }
            return null;
        }
        if (node is JsonArray array)
        {
            return array;
        }
        reader.Add(JsonBodyReader.TypeError("array", node, [.. path, key]));
        return null;
    }

    private static List<string>? ReadStrings(JsonBodyReader reader, JsonObject parent, string key, object[] path, bool required, int minLength, int maxLength)
    {
        if (ReadArray(reader, parent, key, path, required) is not { } array)
        {
            return null;
        }
        var result = new List<string>();
        var valid = true;
        for (var index = 0; index < array.Count; index++)
        {
            object[] at = [.. path, key, index];
            if (array[index] is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
            {
                reader.Add(JsonBodyReader.TypeError("string", array[index], at));
                valid = false;
                continue;
            }
            var text = v.GetValue<string>();
            if (text.Length < minLength)
            {
                reader.Add(new ValidationError("too_small", $"Too small: expected string to have >={minLength} characters", at));
                valid = false;
            }
            else if (text.Length > maxLength)
            {
                reader.Add(new ValidationError("too_big", $"Too big: expected string to have <={maxLength} characters", at));
                valid = false;
            }
            result.Add(text);
        }
        return valid ? result : null;
    }

    private static bool? ReadBool(JsonBodyReader reader, JsonObject parent, string key, object[] path, bool required)
    {
        if (!parent.TryGetPropertyValue(key, out var node))
        {
            if (required)
            {
                reader.Add(new ValidationError("invalid_type", "Invalid input: expected boolean, received undefined", [.. path, key]));
            }
            return null;
        }
        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return v.GetValueKind() == JsonValueKind.True;
        }
        reader.Add(JsonBodyReader.TypeError("boolean", node, [.. path, key]));
        return null;
    }

    private static string? ReadEnum(JsonBodyReader reader, JsonObject parent, string key, object[] path, IReadOnlyList<string> allowed, bool required = false)
    {
        if (!parent.TryGetPropertyValue(key, out var node))
        {
            if (required)
            {
                reader.Add(new ValidationError("invalid_value", $"Invalid option: expected one of {string.Join('|', allowed.Select(a => $"\"{a}\""))}", [.. path, key]));
            }
            return null;
        }
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String && allowed.Contains(v.GetValue<string>()))
        {
            return v.GetValue<string>();
        }
        reader.Add(new ValidationError("invalid_value", $"Invalid option: expected one of {string.Join('|', allowed.Select(a => $"\"{a}\""))}", [.. path, key]));
        return null;
    }
}
