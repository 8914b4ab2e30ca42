using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nango.Core.Persistence.Migrations
{
    /// <summary>
    /// Record payloads move from <c>data jsonb</c> (the record with its id) to <c>payload bytea</c>: the JSON object's text
    /// as the sync sent it, without its top-level <c>id</c> member (Nango.Core.Records.RecordPayload). jsonb made Postgres
    /// parse every payload on COPY and print it again on every read, which were the largest costs of a sync's first run
    /// and of GET /records; the payload is never queried inside the database. Existing rows are converted in place:
    /// their payload becomes jsonb's text of the record without its id, so they read back as before.
    /// </summary>
    public partial class RecordsPayloadAsSentWithoutId : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                ALTER TABLE records ALTER COLUMN data TYPE bytea USING convert_to((data - 'id')::text, 'UTF8');
                ALTER TABLE records RENAME COLUMN data TO payload;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // The id goes back in from external_id, as a string: the id's JSON type as sent is not kept.
            migrationBuilder.Sql("""
                ALTER TABLE records RENAME COLUMN payload TO data;
                ALTER TABLE records ALTER COLUMN data TYPE jsonb
                    USING jsonb_build_object('id', external_id) || convert_from(data, 'UTF8')::jsonb;
                """);
        }
    }
}
