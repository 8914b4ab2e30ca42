using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nango.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ProxyBaseUrlOverrideSetting : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "allow_base_url_override",
                table: "environments",
                type: "boolean",
                nullable: false,
                defaultValue: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "allow_base_url_override",
                table: "environments");
        }
    }
}
