using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nango.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class OAuth1RequestToken : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "request_token",
                table: "oauth_sessions",
                type: "text",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_oauth_sessions_request_token",
                table: "oauth_sessions",
                column: "request_token");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_oauth_sessions_request_token",
                table: "oauth_sessions");

            migrationBuilder.DropColumn(
                name: "request_token",
                table: "oauth_sessions");
        }
    }
}
