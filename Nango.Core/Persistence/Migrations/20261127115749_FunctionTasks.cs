using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nango.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class FunctionTasks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "function_tasks",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    account_id = table.Column<int>(type: "integer", nullable: false),
                    environment_id = table.Column<int>(type: "integer", nullable: false),
                    connection_id = table.Column<int>(type: "integer", nullable: false),
                    integration_id = table.Column<int>(type: "integer", nullable: false),
                    kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    function_name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    group_key = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    group_max_concurrency = table.Column<int>(type: "integer", nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    payload = table.Column<string>(type: "jsonb", nullable: false),
                    output = table.Column<string>(type: "jsonb", nullable: true),
                    error = table.Column<string>(type: "jsonb", nullable: true),
                    retry_max = table.Column<int>(type: "integer", nullable: false),
                    retry_count = table.Column<int>(type: "integer", nullable: false),
                    retry_key = table.Column<Guid>(type: "uuid", nullable: false),
                    starts_after = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    created_to_started_timeout_secs = table.Column<int>(type: "integer", nullable: false),
                    started_to_completed_timeout_secs = table.Column<int>(type: "integer", nullable: false),
                    heartbeat_timeout_secs = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    last_state_transition_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    last_heartbeat_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    log_operation_id = table.Column<Guid>(type: "uuid", nullable: true),
                    claimed_by = table.Column<string>(type: "text", nullable: true),
                    runner_id = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_function_tasks", x => x.id);
                    table.ForeignKey(
                        name: "fk_function_tasks_environments_environment_id",
                        column: x => x.environment_id,
                        principalTable: "environments",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_function_tasks_environment_id_created_at",
                table: "function_tasks",
                columns: new[] { "environment_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_function_tasks_retry_key",
                table: "function_tasks",
                column: "retry_key");

            migrationBuilder.CreateIndex(
                name: "ix_function_tasks_running",
                table: "function_tasks",
                column: "group_key",
                filter: "state = 'STARTED'");

            migrationBuilder.CreateIndex(
                name: "ix_function_tasks_waiting",
                table: "function_tasks",
                column: "created_at",
                filter: "state = 'CREATED'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "function_tasks");
        }
    }
}
