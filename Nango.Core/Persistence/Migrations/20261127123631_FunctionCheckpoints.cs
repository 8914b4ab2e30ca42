using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Nango.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class FunctionCheckpoints : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "function_checkpoints",
                columns: table => new
                {
                    connection_id = table.Column<int>(type: "integer", nullable: false),
                    function_name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    environment_id = table.Column<int>(type: "integer", nullable: false),
                    checkpoint = table.Column<string>(type: "jsonb", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_function_checkpoints", x => new { x.connection_id, x.function_name });
                    table.ForeignKey(
                        name: "fk_function_checkpoints_connections_connection_id",
                        column: x => x.connection_id,
                        principalTable: "connections",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "function_checkpoints");
        }
    }
}
