using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Nango.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ConnectSessions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "connect_sessions",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    environment_id = table.Column<int>(type: "integer", nullable: false),
                    token_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    connection_id = table.Column<int>(type: "integer", nullable: true),
                    allowed_integrations = table.Column<List<string>>(type: "text[]", nullable: true),
                    integrations_config_defaults = table.Column<string>(type: "jsonb", nullable: true),
                    overrides = table.Column<string>(type: "jsonb", nullable: true),
                    webhook_url_override = table.Column<string>(type: "text", nullable: true),
                    end_user_id = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    end_user_email = table.Column<string>(type: "text", nullable: true),
                    end_user_display_name = table.Column<string>(type: "text", nullable: true),
                    end_user_tags = table.Column<string>(type: "jsonb", nullable: true),
                    end_user_organization_id = table.Column<string>(type: "text", nullable: true),
                    end_user_organization_display_name = table.Column<string>(type: "text", nullable: true),
                    tags = table.Column<string>(type: "jsonb", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_connect_sessions", x => x.id);
                    table.ForeignKey(
                        name: "fk_connect_sessions_connections_connection_id",
                        column: x => x.connection_id,
                        principalTable: "connections",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_connect_sessions_environments_environment_id",
                        column: x => x.environment_id,
                        principalTable: "environments",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_connect_sessions_connection_id",
                table: "connect_sessions",
                column: "connection_id");

            migrationBuilder.CreateIndex(
                name: "ix_connect_sessions_environment_id",
                table: "connect_sessions",
                column: "environment_id");

            migrationBuilder.CreateIndex(
                name: "ix_connect_sessions_expires_at",
                table: "connect_sessions",
                column: "expires_at");

            migrationBuilder.CreateIndex(
                name: "ix_connect_sessions_token_hash",
                table: "connect_sessions",
                column: "token_hash",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "connect_sessions");
        }
    }
}
