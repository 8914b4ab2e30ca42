using System.Globalization;
using System.Text.Json.Nodes;
using Nango.Core.Logs;

namespace Nango.Bench;

/// <summary>
/// A deterministic day of logs: operations spread evenly over the last 24 hours across two environments,
/// each with the same number of messages, half of them HTTP exchanges (with credentials that the write
/// path must redact), half log lines drawn from a vocabulary with a few rare words for full-text search.
/// </summary>
internal sealed class LogsDataset
{
    public const int MainEnvironment = 1;
    public const int OtherEnvironment = 2;

    /// <summary>Words and the share of log lines that contain them.</summary>
    public static readonly (string Word, double Share)[] RareWords = [("ratelimited", 0.01), ("quotaexceeded", 0.001), ("unicornfailure", 0.0001)];

    public static readonly string[] Integrations = Enumerable.Range(0, 20).Select(i => $"integration-{i:D2}").ToArray();

    private static readonly string[] _functions = Enumerable.Range(0, 30).Select(i => $"function-{i:D2}").ToArray();

    private static readonly LogOperationKind[] _kinds = [LogOperationKinds.SyncRun, LogOperationKinds.SyncRun, LogOperationKinds.SyncRun, LogOperationKinds.SyncRun,
        LogOperationKinds.ActionRun, LogOperationKinds.ActionRun, LogOperationKinds.ProxyCall, LogOperationKinds.ProxyCall, LogOperationKinds.ProxyCall,
        LogOperationKinds.WebhookIncoming];

    private readonly string[] _vocabulary;

    public LogsDataset(int operations, int messagesPerOperation, DateTimeOffset end)
    {
        Operations = operations;
        MessagesPerOperation = messagesPerOperation;
        Start = end - TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1);
        Step = (end - TimeSpan.FromMinutes(1) - Start) / operations;
        var random = new Random(7);
        _vocabulary = Enumerable.Range(0, 5000).Select(_ => Word(random)).ToArray();
    }

    public int Operations { get; }

    public int MessagesPerOperation { get; }

    public DateTimeOffset Start { get; }

    public TimeSpan Step { get; }

    public static readonly TimeSpan MessageGap = TimeSpan.FromMilliseconds(40);

    public sealed record OperationPlan(int Index, DateTimeOffset At, OperationStart Start, string EndState, LogError? Error);

    public OperationPlan Operation(int index)
    {
        var random = new Random(index * 7919 + 1);
        var kind = _kinds[random.Next(_kinds.Length)];
        var integration = Integrations[random.Next(Integrations.Length)];
        var roll = random.NextDouble();
        var state = roll < 0.80 ? OperationStates.Success : roll < 0.92 ? OperationStates.Failed : roll < 0.95 ? OperationStates.Cancelled : OperationStates.Running;
        var error = state == OperationStates.Failed ? new LogError("http_error", $"Upstream answered {500 + random.Next(4)} for {integration}") : null;
        return new OperationPlan(index, Start + (Step * index), new OperationStart
        {
            Kind = kind,
            AccountId = 1,
            EnvironmentId = random.Next(10) == 0 ? OtherEnvironment : MainEnvironment,
            EnvironmentName = "dev",
            IntegrationId = Array.IndexOf(Integrations, integration) + 1,
            IntegrationKey = integration,
            Provider = integration,
            ConnectionId = random.Next(2000),
            ConnectionName = $"conn-{random.Next(2000):D4}",
            FunctionName = kind.Type is "sync" or "action" ? _functions[random.Next(_functions.Length)] : null,
            Meta = kind.Type == "sync" ? new JsonObject { ["model"] = "Model" + random.Next(10) } : null,
        }, state, error);
    }

    /// <summary>The i-th message of an operation: an HTTP exchange or a log line.</summary>
    public (bool Http, string Text, LogHttpRequest? Request, LogHttpResponse? Response, string Level) Message(int operation, int index)
    {
        var random = new Random(operation * 104_729 + index);
        if (index % 2 == 0)
        {
            var page = random.Next(1, 50);
            var code = random.Next(100) < 3 ? 429 : 200;
            var request = new LogHttpRequest("GET", $"https://api.example.com/v1/items?page={page}&access_token=tok-{random.Next()}",
                new Dictionary<string, string> { ["Authorization"] = "Bearer secret-" + random.Next(), ["Accept"] = "application/json" });
            var response = new LogHttpResponse(code, new Dictionary<string, string> { ["Content-Type"] = "application/json", ["X-Request-Id"] = random.Next().ToString("x8", CultureInfo.InvariantCulture) });
            return (true, "", request, response, code >= 400 ? MessageLevels.Warn : MessageLevels.Info);
        }
        var words = new string[8];
        for (var w = 0; w < words.Length; w++)
        {
            words[w] = _vocabulary[random.Next(_vocabulary.Length)];
        }
        var roll = random.NextDouble();
        var cumulative = 0.0;
        foreach (var (word, share) in RareWords)
        {
            // Per log line, so the share of all messages is half of it; the numbers printed are measured.
            cumulative += share * 2;
            if (roll < cumulative)
            {
                words[random.Next(words.Length)] = word;
                break;
            }
        }
        return (false, "Fetched " + random.Next(100) + " records: " + string.Join(' ', words), null, null, MessageLevels.Info);
    }

    private static string Word(Random random)
    {
        const string letters = "abcdefghijklmnopqrstuvwxyz";
        var length = random.Next(4, 10);
        return string.Create(length, random, (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = letters[r.Next(letters.Length)];
            }
        });
    }
}
