using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nango.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class CheckpointsPerVariant : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "pk_function_checkpoints",
                table: "function_checkpoints");

            migrationBuilder.AddColumn<string>(
                name: "variant",
                table: "function_checkpoints",
                type: "character varying(255)",
                maxLength: 255,
                nullable: false,
                defaultValue: "base");

            migrationBuilder.AddPrimaryKey(
                name: "pk_function_checkpoints",
                table: "function_checkpoints",
                columns: new[] { "connection_id", "function_name", "variant" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "pk_function_checkpoints",
                table: "function_checkpoints");

            migrationBuilder.DropColumn(
                name: "variant",
                table: "function_checkpoints");

            migrationBuilder.AddPrimaryKey(
                name: "pk_function_checkpoints",
                table: "function_checkpoints",
                columns: new[] { "connection_id", "function_name" });
        }
    }
}
