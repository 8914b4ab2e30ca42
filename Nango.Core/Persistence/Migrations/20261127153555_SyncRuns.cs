using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nango.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class SyncRuns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "sync_delete_marks",
                columns: table => new
                {
                    connection_id = table.Column<int>(type: "integer", nullable: false),
                    sync_name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    model = table.Column<string>(type: "text", nullable: false),
                    since = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sync_delete_marks", x => new { x.connection_id, x.sync_name, x.model });
                });

            migrationBuilder.CreateTable(
                name: "sync_runs",
                columns: table => new
                {
                    task_id = table.Column<Guid>(type: "uuid", nullable: false),
                    environment_id = table.Column<int>(type: "integer", nullable: false),
                    connection_id = table.Column<int>(type: "integer", nullable: false),
                    schedule_id = table.Column<Guid>(type: "uuid", nullable: true),
                    sync_name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    variant = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    sync_mode = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    models = table.Column<string>(type: "jsonb", nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    last_progress_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    stalled_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sync_runs", x => x.task_id);
                    table.ForeignKey(
                        name: "fk_sync_runs_environments_environment_id",
                        column: x => x.environment_id,
                        principalTable: "environments",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_sync_runs_connection_id_sync_name_started_at",
                table: "sync_runs",
                columns: new[] { "connection_id", "sync_name", "started_at" });

            migrationBuilder.CreateIndex(
                name: "ix_sync_runs_environment_id",
                table: "sync_runs",
                column: "environment_id");

            migrationBuilder.CreateIndex(
                name: "ix_sync_runs_running",
                table: "sync_runs",
                column: "last_progress_at",
                filter: "ended_at IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "sync_delete_marks");

            migrationBuilder.DropTable(
                name: "sync_runs");
        }
    }
}
