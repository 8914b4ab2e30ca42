using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nango.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class OAuthSessions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "oauth_sessions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    environment_id = table.Column<int>(type: "integer", nullable: false),
                    integration_id = table.Column<int>(type: "integer", nullable: false),
                    connection_id = table.Column<string>(type: "text", nullable: false),
                    connection_config = table.Column<string>(type: "jsonb", nullable: false),
                    caller = table.Column<string>(type: "jsonb", nullable: false),
                    secret_ciphertext = table.Column<string>(type: "text", nullable: true),
                    callback_url = table.Column<string>(type: "text", nullable: false),
                    ws_client_id = table.Column<string>(type: "text", nullable: true),
                    client_override = table.Column<string>(type: "jsonb", nullable: true),
                    result = table.Column<string>(type: "jsonb", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    consumed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_oauth_sessions", x => x.id);
                    table.ForeignKey(
                        name: "fk_oauth_sessions_environments_environment_id",
                        column: x => x.environment_id,
                        principalTable: "environments",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_oauth_sessions_environment_id",
                table: "oauth_sessions",
                column: "environment_id");

            migrationBuilder.CreateIndex(
                name: "ix_oauth_sessions_expires_at",
                table: "oauth_sessions",
                column: "expires_at");

            migrationBuilder.CreateIndex(
                name: "ix_oauth_sessions_ws_client_id",
                table: "oauth_sessions",
                column: "ws_client_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "oauth_sessions");
        }
    }
}
