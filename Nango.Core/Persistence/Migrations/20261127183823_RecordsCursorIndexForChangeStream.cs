using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nango.Core.Persistence.Migrations
{
    /// <summary>
    /// The records cursor index becomes a partial index with an always-true predicate (<c>size_bytes &gt;= 0</c>): it
    /// still holds every record, but only queries that state the predicate (the change-stream reads) can use it. A
    /// lookup by (connection, model, external id) then always takes the primary key; with both indexes open to it,
    /// the planner took the cursor index whenever a partition's statistics predated the model's records, and
    /// scanned the model's records once per record looked up (RecordStore).
    /// </summary>
    public partial class RecordsCursorIndexForChangeStream : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP INDEX IF EXISTS ix_records_cursor;
                CREATE INDEX ix_records_cursor ON records (connection_id, model, updated_at, id) WHERE size_bytes >= 0;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP INDEX IF EXISTS ix_records_cursor;
                CREATE INDEX ix_records_cursor ON records (connection_id, model, updated_at, id);
                """);
        }
    }
}
