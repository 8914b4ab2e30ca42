using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Nango.Core.Logs;

/// <summary>
/// Logs in the application's Postgres: <c>log_operations</c> and <c>log_messages</c>, partitioned by UTC day
/// (see the Logs migration and <see cref="PostgresLogPartitions"/>), written with binary COPY and searched
/// through a generated <c>tsvector</c> column with GIN indexes.
/// </summary>
public sealed class PostgresLogStore(NpgsqlDataSource dataSource, PostgresLogPartitions partitions) : ILogStore
{
    private const string OperationColumns =
        "id, created_at, updated_at, type, action, state, account_id, account_name, environment_id, environment_name, " +
        "integration_id, integration_key, provider, connection_id, connection_name, function_name, job_id, actor, " +
        "error_name, error_message, error_type, error_payload, request_url, request_method, request_headers, " +
        "response_code, response_headers, meta, started_at, ended_at, expires_at, duration_ms";

    private const string MessageColumns =
        "id, created_at, operation_id, account_id, environment_id, level, type, source, message, context, " +
        "error_name, error_message, error_type, error_payload, request_url, request_method, request_headers, request_body, " +
        "response_code, response_headers, response_body, meta, persist_results, retry_attempt, retry_max, retry_waited_ms, ended_at, duration_ms";

    private const string CopyOperations = "COPY log_operations (" + OperationColumns + ") FROM STDIN (FORMAT BINARY)";

    private const string CopyMessages = "COPY log_messages (" + MessageColumns + ") FROM STDIN (FORMAT BINARY)";

    // A state change never reopens or rewrites a finished operation; a late end may still correct a timeout.
    private const string ApplyUpdates = """
        UPDATE log_operations o SET
            state = u.state,
            updated_at = u.updated_at,
            started_at = coalesce(u.started_at, o.started_at),
            ended_at = coalesce(u.ended_at, o.ended_at),
            duration_ms = coalesce(u.duration_ms, o.duration_ms),
            error_name = coalesce(u.error_name, o.error_name),
            error_message = coalesce(u.error_message, o.error_message),
            error_type = coalesce(u.error_type, o.error_type),
            error_payload = coalesce(u.error_payload, o.error_payload),
            response_code = coalesce(u.response_code, o.response_code),
            response_headers = coalesce(u.response_headers, o.response_headers)
        FROM unnest(@ids, @created, @states, @updated, @started, @ended, @durations,
                    @error_names, @error_messages, @error_types, @error_payloads, @response_codes, @response_headers)
            AS u(id, created_at, state, updated_at, started_at, ended_at, duration_ms,
                 error_name, error_message, error_type, error_payload, response_code, response_headers)
        WHERE o.id = u.id AND o.created_at = u.created_at
          AND o.state NOT IN ('success', 'failed', 'cancelled')
        """;

    private const string SelectOperations = "SELECT " + OperationColumns + " FROM log_operations o WHERE o.environment_id = @env";

    private const string CountOperations = "SELECT count(*) FROM log_operations o WHERE o.environment_id = @env";

    private const string FilterStates = " AND o.state = ANY(@states)";

    private const string FilterTypes = " AND o.type = ANY(@types)";

    private const string FilterKinds = " AND (o.type || ':' || o.action) = ANY(@kinds)";

    private const string FilterTypesOrKinds = " AND (o.type = ANY(@types) OR (o.type || ':' || o.action) = ANY(@kinds))";

    private const string FilterIntegrations = " AND o.integration_key = ANY(@integrations)";

    private const string FilterConnections = " AND o.connection_name = ANY(@connections)";

    private const string FilterFunctions = " AND o.function_name = ANY(@functions)";

    private const string FilterFrom = " AND o.created_at >= @from";

    private const string FilterTo = " AND o.created_at <= @to";

    // Messages of an operation are never older than it, so the lower bound of the period prunes them too.
    private const string FilterSearch = """
         AND (o.search @@ websearch_to_tsquery('simple', @search)
              OR o.id IN (SELECT m.operation_id FROM log_messages m
                          WHERE m.environment_id = @env AND m.search @@ websearch_to_tsquery('simple', @search){0}))
        """;

    private const string FilterSearchMessagesFrom = " AND m.created_at >= @from";

    private const string FilterBeforeCursor = " AND (o.created_at, o.id) < (@cursor_at, @cursor_id)";

    private const string OrderOperations = " ORDER BY o.created_at DESC, o.id DESC LIMIT @limit";

    private const string SelectOperation = "SELECT " + OperationColumns + " FROM log_operations o WHERE o.environment_id = @env AND o.id = @id";

    // The operation's created_at (from a scoped sub-select) prunes message partitions at run time, and an
    // operation of another environment yields NULL, hence no rows.
    private const string MessagesOfOperation = """
         FROM log_messages m
        WHERE m.environment_id = @env AND m.operation_id = @op
          AND m.created_at >= (SELECT o.created_at FROM log_operations o WHERE o.environment_id = @env AND o.id = @op)
        """;

    private const string FilterMessageLevels = " AND m.level = ANY(@levels)";

    private const string FilterMessageSearch = " AND m.search @@ websearch_to_tsquery('simple', @search)";

    private const string FilterMessagesOlder = " AND (m.created_at, m.id) < (@cursor_at, @cursor_id) ORDER BY m.created_at DESC, m.id DESC LIMIT @limit";

    private const string FilterMessagesNewer = " AND (m.created_at, m.id) > (@cursor_at, @cursor_id) ORDER BY m.created_at ASC, m.id ASC LIMIT @limit";

    private const string OrderMessages = " ORDER BY m.created_at DESC, m.id DESC LIMIT @limit";

    private const string FilterValues = """
        SELECT {0} AS key, count(*) FROM log_operations o
        WHERE o.environment_id = @env AND {0} IS NOT NULL{1}
        GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT @limit
        """;

    private const string FilterValuePrefix = " AND {0} ILIKE @prefix ESCAPE '\\'";

    private const string Histogram = """
        SELECT date_bin(@step, o.created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket, o.type,
               count(*),
               count(*) FILTER (WHERE o.state = 'success'),
               count(*) FILTER (WHERE o.state = 'failed'),
               count(*) FILTER (WHERE o.state = 'cancelled'),
               count(*) FILTER (WHERE o.state = 'timeout'),
               count(*) FILTER (WHERE o.state IN ('waiting', 'running'))
        FROM log_operations o
        WHERE o.environment_id = @env AND o.created_at >= @from AND o.created_at < @to{0}
        GROUP BY 1, 2 ORDER BY 1, 2
        """;

    private const string TimeoutExpired = """
        UPDATE log_operations SET
            state = 'timeout',
            updated_at = @now,
            ended_at = @now,
            duration_ms = (extract(epoch FROM (@now - coalesce(started_at, created_at))) * 1000)::bigint,
            error_name = coalesce(error_name, 'timeout'),
            error_message = coalesce(error_message, 'The operation did not end before it expired')
        WHERE state IN ('waiting', 'running') AND expires_at < @now
        """;

    private static readonly System.Text.CompositeFormat FilterSearchFormat = System.Text.CompositeFormat.Parse(FilterSearch);

    private static readonly System.Text.CompositeFormat FilterValuePrefixFormat = System.Text.CompositeFormat.Parse(FilterValuePrefix);

    private static readonly System.Text.CompositeFormat FilterValuesFormat = System.Text.CompositeFormat.Parse(FilterValues);

    private static readonly System.Text.CompositeFormat HistogramFormat = System.Text.CompositeFormat.Parse(Histogram);

    public async Task WriteAsync(LogBatch batch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return;
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (batch.Operations.Count > 0)
        {
            await CopyOperationsAsync(connection, batch.Operations, ct);
        }
        if (batch.Messages.Count > 0)
        {
            await CopyMessagesAsync(connection, batch.Messages, ct);
        }
        if (batch.Updates.Count > 0)
        {
            await UpdateOperationsAsync(connection, batch.Updates, ct);
        }
        await transaction.CommitAsync(ct);
    }

    /// <summary>Binary COPY of operations, exposed for the benchmark's baseline and for tests that need old rows.</summary>
    public static async Task CopyOperationsAsync(NpgsqlConnection connection, IReadOnlyList<LogOperationRow> rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(rows);
        // Synchronous row writes: they only buffer (I/O happens when the 8 KB buffer fills) and avoid an
        // await per column on a path that writes millions of values; this runs on the flusher, not a caller.
        await using var writer = await connection.BeginBinaryImportAsync(CopyOperations, ct);
        foreach (var row in rows)
        {
            writer.StartRow();
            writer.Write(row.Id, NpgsqlDbType.Uuid);
            writer.Write(row.CreatedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz);
            writer.Write((row.UpdatedAt == default ? row.CreatedAt : row.UpdatedAt).ToUniversalTime(), NpgsqlDbType.TimestampTz);
            writer.Write(row.Type, NpgsqlDbType.Text);
            writer.Write(row.Action, NpgsqlDbType.Text);
            writer.Write(row.State, NpgsqlDbType.Text);
            writer.Write(row.AccountId, NpgsqlDbType.Integer);
            WriteText(writer, row.AccountName);
            writer.Write(row.EnvironmentId, NpgsqlDbType.Integer);
            WriteText(writer, row.EnvironmentName);
            WriteInt(writer, row.IntegrationId);
            WriteText(writer, row.IntegrationKey);
            WriteText(writer, row.Provider);
            WriteInt(writer, row.ConnectionId);
            WriteText(writer, row.ConnectionName);
            WriteText(writer, row.FunctionName);
            WriteText(writer, row.JobId);
            WriteJson(writer, LogJson.Serialize(row.Actor));
            WriteText(writer, row.Error?.Name);
            WriteText(writer, row.Error?.Message);
            WriteText(writer, row.Error?.Type);
            WriteJson(writer, LogJson.Node(row.Error?.Payload));
            WriteText(writer, row.Request?.Url);
            WriteText(writer, row.Request?.Method);
            WriteJson(writer, LogJson.Headers(row.Request?.Headers));
            WriteInt(writer, row.Response?.Code);
            WriteJson(writer, LogJson.Headers(row.Response?.Headers));
            WriteJson(writer, LogJson.Node(row.Meta));
            WriteTime(writer, row.StartedAt);
            WriteTime(writer, row.EndedAt);
            WriteTime(writer, row.ExpiresAt);
            WriteLong(writer, row.DurationMs);
        }
        await writer.CompleteAsync(ct);
    }

    public static async Task CopyMessagesAsync(NpgsqlConnection connection, IReadOnlyList<LogMessageRow> rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(rows);
        await using var writer = await connection.BeginBinaryImportAsync(CopyMessages, ct);
        foreach (var row in rows)
        {
            writer.StartRow();
            writer.Write(row.Id, NpgsqlDbType.Uuid);
            writer.Write(row.CreatedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz);
            writer.Write(row.OperationId, NpgsqlDbType.Uuid);
            writer.Write(row.AccountId, NpgsqlDbType.Integer);
            writer.Write(row.EnvironmentId, NpgsqlDbType.Integer);
            writer.Write(row.Level, NpgsqlDbType.Text);
            writer.Write(row.Type, NpgsqlDbType.Text);
            writer.Write(row.Source, NpgsqlDbType.Text);
            writer.Write(row.Message, NpgsqlDbType.Text);
            WriteText(writer, row.Context);
            WriteText(writer, row.Error?.Name);
            WriteText(writer, row.Error?.Message);
            WriteText(writer, row.Error?.Type);
            WriteJson(writer, LogJson.Node(row.Error?.Payload));
            WriteText(writer, row.Request?.Url);
            WriteText(writer, row.Request?.Method);
            WriteJson(writer, LogJson.Headers(row.Request?.Headers));
            WriteText(writer, row.Request?.Body);
            WriteInt(writer, row.Response?.Code);
            WriteJson(writer, LogJson.Headers(row.Response?.Headers));
            WriteText(writer, row.Response?.Body);
            WriteJson(writer, LogJson.Node(row.Meta));
            WriteJson(writer, LogJson.Serialize(row.PersistResults));
            WriteInt(writer, row.Retry?.Attempt);
            WriteInt(writer, row.Retry?.Max);
            WriteLong(writer, row.Retry?.WaitedMs);
            WriteTime(writer, row.EndedAt);
            WriteLong(writer, row.DurationMs);
        }
        await writer.CompleteAsync(ct);
    }

    private static async Task UpdateOperationsAsync(NpgsqlConnection connection, List<LogOperationUpdate> updates, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(ApplyUpdates, connection);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", updates.Select(u => u.Id).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<DateTime[]>("created", updates.Select(u => u.CreatedAt.UtcDateTime).ToArray()) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<string[]>("states", updates.Select(u => u.State).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<DateTime[]>("updated", updates.Select(u => u.UpdatedAt.UtcDateTime).ToArray()) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<DateTime?[]>("started", updates.Select(u => u.StartedAt?.UtcDateTime).ToArray()) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<DateTime?[]>("ended", updates.Select(u => u.EndedAt?.UtcDateTime).ToArray()) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<long?[]>("durations", updates.Select(u => u.DurationMs).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string?[]>("error_names", updates.Select(u => u.Error?.Name).ToArray()) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string?[]>("error_messages", updates.Select(u => u.Error?.Message).ToArray()) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string?[]>("error_types", updates.Select(u => u.Error?.Type).ToArray()) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string?[]>("error_payloads", updates.Select(u => LogJson.Node(u.Error?.Payload)).ToArray()) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<int?[]>("response_codes", updates.Select(u => u.Response?.Code).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string?[]>("response_headers", updates.Select(u => LogJson.Headers(u.Response?.Headers)).ToArray()) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<LogOperationPage> SearchOperationsAsync(int environmentId, LogOperationSearch search, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(search);
        var cursor = LogCursor.Parse(search.Cursor, nameof(search.Cursor));
        var limit = Math.Clamp(search.Limit, 1, 500);
        var parameters = new List<NpgsqlParameter> { new NpgsqlParameter<int>("env", environmentId) };
        var filters = new StringBuilder();

        var states = LogTypeFilter.WithoutAll(search.States);
        if (states.Count > 0)
        {
            filters.Append(FilterStates);
            parameters.Add(new NpgsqlParameter<string[]>("states", [.. states]));
        }
        var (types, kinds) = LogTypeFilter.Parse(search.Types);
        if (types.Count > 0 || kinds.Count > 0)
        {
            filters.Append(types.Count > 0 && kinds.Count > 0 ? FilterTypesOrKinds : types.Count > 0 ? FilterTypes : FilterKinds);
            parameters.Add(new NpgsqlParameter<string[]>("types", [.. types]));
            parameters.Add(new NpgsqlParameter<string[]>("kinds", [.. kinds.Select(k => k.Type + ":" + k.Action)]));
        }
        AddList(filters, parameters, FilterIntegrations, "integrations", search.Integrations);
        AddList(filters, parameters, FilterConnections, "connections", search.Connections);
        AddList(filters, parameters, FilterFunctions, "functions", search.Functions);
        if (search.From is { } from)
        {
            filters.Append(FilterFrom);
            parameters.Add(new NpgsqlParameter<DateTimeOffset>("from", from.ToUniversalTime()));
        }
        if (search.To is { } to)
        {
            filters.Append(FilterTo);
            parameters.Add(new NpgsqlParameter<DateTimeOffset>("to", to.ToUniversalTime()));
        }
        if (!string.IsNullOrWhiteSpace(search.Search))
        {
            filters.Append(string.Format(System.Globalization.CultureInfo.InvariantCulture, FilterSearchFormat, search.From is null ? "" : FilterSearchMessagesFrom));
            parameters.Add(new NpgsqlParameter<string>("search", search.Search.Trim()));
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection);
        var page = new NpgsqlBatchCommand(SelectOperations + filters + (cursor is null ? "" : FilterBeforeCursor) + OrderOperations);
        page.Parameters.AddRange(parameters.Select(p => p.Clone()).ToArray());
        page.Parameters.Add(new NpgsqlParameter<int>("limit", limit + 1));
        if (cursor is { } c)
        {
            page.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("cursor_at", c.CreatedAt.ToUniversalTime()));
            page.Parameters.Add(new NpgsqlParameter<Guid>("cursor_id", c.Id));
        }
        var count = new NpgsqlBatchCommand(CountOperations + filters);
        count.Parameters.AddRange(parameters.Select(p => p.Clone()).ToArray());
        batch.BatchCommands.Add(page);
        batch.BatchCommands.Add(count);

        await using var reader = await batch.ExecuteReaderAsync(ct);
        var items = new List<LogOperationRow>(limit + 1);
        while (await reader.ReadAsync(ct))
        {
            items.Add(ReadOperation(reader));
        }
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        var total = reader.GetInt64(0);
        string? next = null;
        if (items.Count > limit)
        {
            items.RemoveAt(limit);
            next = new LogCursor(items[^1].CreatedAt, items[^1].Id).Encode();
        }
        return new LogOperationPage(items, total, next);
    }

    public async Task<LogOperationRow?> GetOperationAsync(int environmentId, Guid operationId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(SelectOperation);
        command.Parameters.Add(new NpgsqlParameter<int>("env", environmentId));
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", operationId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadOperation(reader) : null;
    }

    public async Task<LogMessagePage> SearchMessagesAsync(int environmentId, LogMessageSearch search, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(search);
        var before = LogCursor.Parse(search.CursorBefore, nameof(search.CursorBefore));
        var after = LogCursor.Parse(search.CursorAfter, nameof(search.CursorAfter));
        if (before is not null && after is not null)
        {
            throw new ArgumentException("Pass cursorBefore or cursorAfter, not both.", nameof(search));
        }
        var limit = Math.Clamp(search.Limit, 1, 500);
        var parameters = new List<NpgsqlParameter>
        {
            new NpgsqlParameter<int>("env", environmentId),
            new NpgsqlParameter<Guid>("op", search.OperationId),
        };
        var filters = new StringBuilder(MessagesOfOperation);
        var levels = LogTypeFilter.WithoutAll(search.Levels);
        if (levels.Count > 0)
        {
            filters.Append(FilterMessageLevels);
            parameters.Add(new NpgsqlParameter<string[]>("levels", [.. levels]));
        }
        if (!string.IsNullOrWhiteSpace(search.Search))
        {
            filters.Append(FilterMessageSearch);
            parameters.Add(new NpgsqlParameter<string>("search", search.Search.Trim()));
        }
        var cursor = before ?? after;
        var order = before is not null ? FilterMessagesNewer : after is not null ? FilterMessagesOlder : OrderMessages;

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection);
        var page = new NpgsqlBatchCommand("SELECT " + MessageColumns + filters + order);
        page.Parameters.AddRange(parameters.Select(p => p.Clone()).ToArray());
        page.Parameters.Add(new NpgsqlParameter<int>("limit", limit + 1));
        if (cursor is { } c)
        {
            page.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("cursor_at", c.CreatedAt.ToUniversalTime()));
            page.Parameters.Add(new NpgsqlParameter<Guid>("cursor_id", c.Id));
        }
        var count = new NpgsqlBatchCommand("SELECT count(*)" + filters);
        count.Parameters.AddRange(parameters.Select(p => p.Clone()).ToArray());
        batch.BatchCommands.Add(page);
        batch.BatchCommands.Add(count);

        await using var reader = await batch.ExecuteReaderAsync(ct);
        var items = new List<LogMessageRow>(limit + 1);
        while (await reader.ReadAsync(ct))
        {
            items.Add(ReadMessage(reader));
        }
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        var total = reader.GetInt64(0);

        bool olderExist;
        if (before is not null)
        {
            // Fetched oldest-first to find the ones right after the cursor; the cursor row itself is older.
            if (items.Count > limit)
            {
                items.RemoveAt(limit);
            }
            items.Reverse();
            olderExist = true;
        }
        else
        {
            olderExist = items.Count > limit;
            if (olderExist)
            {
                items.RemoveAt(limit);
            }
        }
        return new LogMessagePage(
            items,
            total,
            items.Count == 0 ? search.CursorBefore : new LogCursor(items[0].CreatedAt, items[0].Id).Encode(),
            items.Count > 0 && olderExist ? new LogCursor(items[^1].CreatedAt, items[^1].Id).Encode() : null);
    }

    public async Task<IReadOnlyList<LogFilterValue>> ListFilterValuesAsync(int environmentId, LogFilterQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        var column = query.Category switch
        {
            LogFilterCategory.Integration => "o.integration_key",
            LogFilterCategory.Connection => "o.connection_name",
            LogFilterCategory.Function => "o.function_name",
            _ => throw new ArgumentOutOfRangeException(nameof(query)),
        };
        var filters = new StringBuilder();
        await using var command = dataSource.CreateCommand();
        command.Parameters.Add(new NpgsqlParameter<int>("env", environmentId));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", Math.Clamp(query.Limit, 1, 1000)));
        if (!string.IsNullOrEmpty(query.Prefix))
        {
            filters.AppendFormat(System.Globalization.CultureInfo.InvariantCulture, FilterValuePrefixFormat, column);
            command.Parameters.Add(new NpgsqlParameter<string>("prefix", EscapeLike(query.Prefix) + "%"));
        }
        if (query.From is { } from)
        {
            filters.Append(FilterFrom);
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("from", from.ToUniversalTime()));
        }
        if (query.To is { } to)
        {
            filters.Append(FilterTo);
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("to", to.ToUniversalTime()));
        }
        command.CommandText = string.Format(System.Globalization.CultureInfo.InvariantCulture, FilterValuesFormat, column, filters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var values = new List<LogFilterValue>();
        while (await reader.ReadAsync(ct))
        {
            values.Add(new LogFilterValue(reader.GetString(0), reader.GetInt64(1)));
        }
        return values;
    }

    public async Task<IReadOnlyList<LogHistogramBucket>> HistogramAsync(int environmentId, LogHistogramQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        var filters = new StringBuilder();
        await using var command = dataSource.CreateCommand();
        command.Parameters.Add(new NpgsqlParameter<int>("env", environmentId));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("from", query.From.ToUniversalTime()));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("to", query.To.ToUniversalTime()));
        command.Parameters.Add(new NpgsqlParameter<TimeSpan>("step", query.Bucket == LogBucketSize.Day ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1)));
        var (types, kinds) = LogTypeFilter.Parse(query.Types);
        if (types.Count > 0 || kinds.Count > 0)
        {
            filters.Append(types.Count > 0 && kinds.Count > 0 ? FilterTypesOrKinds : types.Count > 0 ? FilterTypes : FilterKinds);
            command.Parameters.Add(new NpgsqlParameter<string[]>("types", [.. types]));
            command.Parameters.Add(new NpgsqlParameter<string[]>("kinds", [.. kinds.Select(k => k.Type + ":" + k.Action)]));
        }
        command.CommandText = string.Format(System.Globalization.CultureInfo.InvariantCulture, HistogramFormat, filters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var buckets = new List<LogHistogramBucket>();
        while (await reader.ReadAsync(ct))
        {
            buckets.Add(new LogHistogramBucket(
                reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1),
                reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7)));
        }
        return buckets;
    }

    public Task PrepareAsync(DateOnly firstDay, DateOnly lastDay, CancellationToken ct) =>
        partitions.EnsureAsync(firstDay, lastDay, ct);

    public async Task<int> TimeoutExpiredAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(TimeoutExpired);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now.ToUniversalTime()));
        return await command.ExecuteNonQueryAsync(ct);
    }

    public Task<IReadOnlyList<string>> DropDaysBeforeAsync(DateOnly firstDayKept, CancellationToken ct) =>
        partitions.DropBeforeAsync(firstDayKept, ct);

    private static void AddList(StringBuilder filters, List<NpgsqlParameter> parameters, string filter, string name, IReadOnlyList<string> values)
    {
        var list = LogTypeFilter.WithoutAll(values);
        if (list.Count == 0)
        {
            return;
        }
        filters.Append(filter);
        parameters.Add(new NpgsqlParameter<string[]>(name, [.. list]));
    }

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private static LogOperationRow ReadOperation(NpgsqlDataReader r) => new()
    {
        Id = r.GetGuid(0),
        CreatedAt = r.GetFieldValue<DateTimeOffset>(1),
        UpdatedAt = r.GetFieldValue<DateTimeOffset>(2),
        Type = r.GetString(3),
        Action = r.GetString(4),
        State = r.GetString(5),
        AccountId = r.GetInt32(6),
        AccountName = Text(r, 7),
        EnvironmentId = r.GetInt32(8),
        EnvironmentName = Text(r, 9),
        IntegrationId = Int(r, 10),
        IntegrationKey = Text(r, 11),
        Provider = Text(r, 12),
        ConnectionId = Int(r, 13),
        ConnectionName = Text(r, 14),
        FunctionName = Text(r, 15),
        JobId = Text(r, 16),
        Actor = LogJson.Deserialize<LogActor>(Text(r, 17)),
        Error = ReadError(r, 18),
        Request = Text(r, 22) is { } url ? new LogHttpRequest(Text(r, 23) ?? "", url, LogJson.ParseHeaders(Text(r, 24))) : null,
        Response = Int(r, 25) is { } code ? new LogHttpResponse(code, LogJson.ParseHeaders(Text(r, 26))) : null,
        Meta = LogJson.ParseObject(Text(r, 27)),
        StartedAt = Time(r, 28),
        EndedAt = Time(r, 29),
        ExpiresAt = Time(r, 30),
        DurationMs = Long(r, 31),
    };

    private static LogMessageRow ReadMessage(NpgsqlDataReader r) => new()
    {
        Id = r.GetGuid(0),
        CreatedAt = r.GetFieldValue<DateTimeOffset>(1),
        OperationId = r.GetGuid(2),
        AccountId = r.GetInt32(3),
        EnvironmentId = r.GetInt32(4),
        Level = r.GetString(5),
        Type = r.GetString(6),
        Source = r.GetString(7),
        Message = r.GetString(8),
        Context = Text(r, 9),
        Error = ReadError(r, 10),
        Request = Text(r, 14) is { } url ? new LogHttpRequest(Text(r, 15) ?? "", url, LogJson.ParseHeaders(Text(r, 16)), Text(r, 17)) : null,
        Response = Int(r, 18) is { } code ? new LogHttpResponse(code, LogJson.ParseHeaders(Text(r, 19)), Text(r, 20)) : null,
        Meta = LogJson.ParseObject(Text(r, 21)),
        PersistResults = LogJson.Deserialize<LogPersistResults>(Text(r, 22)),
        Retry = Int(r, 23) is { } attempt ? new LogRetry(attempt, Int(r, 24) ?? 0, Long(r, 25) ?? 0) : null,
        EndedAt = Time(r, 26),
        DurationMs = Long(r, 27),
    };

    /// <summary>Error at columns name, message, type, payload.</summary>
    private static LogError? ReadError(NpgsqlDataReader r, int at) =>
        Text(r, at) is null && Text(r, at + 1) is null
            ? null
            : new LogError(Text(r, at) ?? "", Text(r, at + 1) ?? "", Text(r, at + 2), LogJson.ParseNode(Text(r, at + 3)));

    private static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static int? Int(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt32(i);

    private static long? Long(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);

    private static DateTimeOffset? Time(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);

    private static void WriteText(NpgsqlBinaryImporter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNull();
        }
        else
        {
            writer.Write(value, NpgsqlDbType.Text);
        }
    }

    private static void WriteJson(NpgsqlBinaryImporter writer, string? json)
    {
        if (json is null)
        {
            writer.WriteNull();
        }
        else
        {
            writer.Write(json, NpgsqlDbType.Jsonb);
        }
    }

    private static void WriteInt(NpgsqlBinaryImporter writer, int? value)
    {
        if (value is { } v)
        {
            writer.Write(v, NpgsqlDbType.Integer);
        }
        else
        {
            writer.WriteNull();
        }
    }

    private static void WriteLong(NpgsqlBinaryImporter writer, long? value)
    {
        if (value is { } v)
        {
            writer.Write(v, NpgsqlDbType.Bigint);
        }
        else
        {
            writer.WriteNull();
        }
    }

    private static void WriteTime(NpgsqlBinaryImporter writer, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            writer.Write(v.ToUniversalTime(), NpgsqlDbType.TimestampTz);
        }
        else
        {
            writer.WriteNull();
        }
    }
}
