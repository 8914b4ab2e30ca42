using Microsoft.EntityFrameworkCore.Migrations;
using Nango.Core.Persistence;

#nullable disable

namespace Nango.Core.Persistence.Migrations
{
    /// <summary>Quartz's clustered job-store tables, from the schema script embedded in Quartz.dll.</summary>
    public partial class QuartzSchema : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            foreach (var statement in Nango.Core.Persistence.QuartzSchema.Statements())
            {
                migrationBuilder.Sql(statement);
            }
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DO $$
                DECLARE t text;
                BEGIN
                  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'qrtz\_%' LOOP
                    EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', t);
                  END LOOP;
                END $$;
                """);
        }
    }
}
