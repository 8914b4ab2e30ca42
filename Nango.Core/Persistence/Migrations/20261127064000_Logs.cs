using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nango.Core.Persistence.Migrations
{
    /// <summary>
    /// Log operations and messages (Nango.Core.Logs). Raw SQL on purpose: the tables are partitioned by day
    /// and written with binary COPY, so they have no EF entities and the model snapshot does not change.
    /// Daily partitions are created at run time (PostgresLogPartitions); the DEFAULT partition only catches
    /// rows whose day has no partition yet.
    /// </summary>
    public partial class Logs : Migration
    {
        private const string CreateOperations = """
            CREATE TABLE log_operations (
                id uuid NOT NULL,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                type text NOT NULL,
                action text NOT NULL,
                state text NOT NULL,
                account_id integer NOT NULL,
                account_name text NULL,
                environment_id integer NOT NULL,
                environment_name text NULL,
                integration_id integer NULL,
                integration_key text NULL,
                provider text NULL,
                connection_id integer NULL,
                connection_name text NULL,
                function_name text NULL,
                job_id text NULL,
                actor jsonb NULL,
                error_name text NULL,
                error_message text NULL,
                error_type text NULL,
                error_payload jsonb NULL,
                request_url text NULL,
                request_method text NULL,
                request_headers jsonb NULL,
                response_code integer NULL,
                response_headers jsonb NULL,
                meta jsonb NULL,
                started_at timestamptz NULL,
                ended_at timestamptz NULL,
                expires_at timestamptz NULL,
                duration_ms bigint NULL,
                search tsvector GENERATED ALWAYS AS (
                    to_tsvector('simple',
                        coalesce(type, '') || ' ' || coalesce(action, '') || ' ' ||
                        coalesce(integration_key, '') || ' ' || coalesce(provider, '') || ' ' ||
                        coalesce(connection_name, '') || ' ' || coalesce(function_name, '') || ' ' ||
                        coalesce(error_name, '') || ' ' || coalesce(error_message, '') || ' ' ||
                        coalesce(request_url, ''))
                    || to_tsvector('simple', coalesce(meta, '{}'::jsonb))
                ) STORED,
                CONSTRAINT pk_log_operations PRIMARY KEY (id, created_at)
            ) PARTITION BY RANGE (created_at);
            CREATE TABLE log_operations_default PARTITION OF log_operations DEFAULT;
            CREATE INDEX ix_log_operations_env_created ON log_operations (environment_id, created_at DESC, id DESC);
            CREATE INDEX ix_log_operations_env_integration ON log_operations (environment_id, integration_key, created_at DESC);
            CREATE INDEX ix_log_operations_env_connection ON log_operations (environment_id, connection_name, created_at DESC);
            CREATE INDEX ix_log_operations_env_function ON log_operations (environment_id, function_name, created_at DESC) WHERE function_name IS NOT NULL;
            CREATE INDEX ix_log_operations_env_state ON log_operations (environment_id, state, created_at DESC);
            CREATE INDEX ix_log_operations_env_type ON log_operations (environment_id, type, action, created_at DESC);
            CREATE INDEX ix_log_operations_open_expiry ON log_operations (expires_at) WHERE state IN ('waiting', 'running');
            CREATE INDEX ix_log_operations_search ON log_operations USING gin (search);
            """;

        private const string CreateMessages = """
            CREATE TABLE log_messages (
                id uuid NOT NULL,
                created_at timestamptz NOT NULL,
                operation_id uuid NOT NULL,
                account_id integer NOT NULL,
                environment_id integer NOT NULL,
                level text NOT NULL,
                type text NOT NULL,
                source text NOT NULL,
                message text NOT NULL,
                context text NULL,
                error_name text NULL,
                error_message text NULL,
                error_type text NULL,
                error_payload jsonb NULL,
                request_url text NULL,
                request_method text NULL,
                request_headers jsonb NULL,
                request_body text NULL,
                response_code integer NULL,
                response_headers jsonb NULL,
                response_body text NULL,
                meta jsonb NULL,
                persist_results jsonb NULL,
                retry_attempt integer NULL,
                retry_max integer NULL,
                retry_waited_ms bigint NULL,
                ended_at timestamptz NULL,
                duration_ms bigint NULL,
                search tsvector GENERATED ALWAYS AS (
                    to_tsvector('simple',
                        message || ' ' || coalesce(error_name, '') || ' ' || coalesce(error_message, '') || ' ' ||
                        coalesce(request_method, '') || ' ' || coalesce(request_url, '') || ' ' ||
                        coalesce(response_code::text, ''))
                    || to_tsvector('simple', coalesce(meta, '{}'::jsonb))
                ) STORED
            ) PARTITION BY RANGE (created_at);
            CREATE TABLE log_messages_default PARTITION OF log_messages DEFAULT;
            CREATE INDEX ix_log_messages_operation ON log_messages (operation_id, created_at DESC, id DESC);
            CREATE INDEX ix_log_messages_search ON log_messages USING gin (search);
            """;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(CreateOperations);
            migrationBuilder.Sql(CreateMessages);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TABLE IF EXISTS log_messages;");
            migrationBuilder.Sql("DROP TABLE IF EXISTS log_operations;");
        }
    }
}
