using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nango.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class SyncSchedules : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "schedule_id",
                table: "function_tasks",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "sync_schedules",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    account_id = table.Column<int>(type: "integer", nullable: false),
                    environment_id = table.Column<int>(type: "integer", nullable: false),
                    integration_id = table.Column<int>(type: "integer", nullable: false),
                    connection_id = table.Column<int>(type: "integer", nullable: false),
                    function_id = table.Column<int>(type: "integer", nullable: false),
                    sync_name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    variant = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    frequency_secs = table.Column<int>(type: "integer", nullable: false),
                    frequency_override_secs = table.Column<int>(type: "integer", nullable: true),
                    frequency_override = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    next_run_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_sync_date = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sync_schedules", x => x.id);
                    table.ForeignKey(
                        name: "fk_sync_schedules_connections_connection_id",
                        column: x => x.connection_id,
                        principalTable: "connections",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_sync_schedules_environments_environment_id",
                        column: x => x.environment_id,
                        principalTable: "environments",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_sync_schedules_functions_function_id",
                        column: x => x.function_id,
                        principalTable: "functions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_function_tasks_schedule_id_created_at",
                table: "function_tasks",
                columns: new[] { "schedule_id", "created_at" },
                filter: "schedule_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ux_function_tasks_live_sync",
                table: "function_tasks",
                column: "schedule_id",
                unique: true,
                filter: "kind = 'sync' AND state IN ('CREATED', 'STARTED')");

            migrationBuilder.CreateIndex(
                name: "ix_sync_schedules_connection_id_function_id_variant",
                table: "sync_schedules",
                columns: new[] { "connection_id", "function_id", "variant" },
                unique: true,
                filter: "state <> 'DELETED'");

            migrationBuilder.CreateIndex(
                name: "ix_sync_schedules_due",
                table: "sync_schedules",
                column: "next_run_at",
                filter: "state = 'STARTED'");

            migrationBuilder.CreateIndex(
                name: "ix_sync_schedules_environment_id",
                table: "sync_schedules",
                column: "environment_id");

            migrationBuilder.CreateIndex(
                name: "ix_sync_schedules_function_id",
                table: "sync_schedules",
                column: "function_id");

            migrationBuilder.CreateIndex(
                name: "ix_sync_schedules_integration_id_sync_name",
                table: "sync_schedules",
                columns: new[] { "integration_id", "sync_name" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "sync_schedules");

            migrationBuilder.DropIndex(
                name: "ix_function_tasks_schedule_id_created_at",
                table: "function_tasks");

            migrationBuilder.DropIndex(
                name: "ux_function_tasks_live_sync",
                table: "function_tasks");

            migrationBuilder.DropColumn(
                name: "schedule_id",
                table: "function_tasks");
        }
    }
}
