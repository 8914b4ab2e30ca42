using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nango.Core.Persistence.Migrations
{
    /// <summary>
    /// A record's <c>data_hash</c> becomes the XxHash128 of the record as sent instead of its MD5: Nango.Web hashes every
    /// record of a save and the runner every record of a re-run's keys, and MD5 was about 0.2 s of CPU per 100,000
    /// records of 1 KB on each side. The hashes already stored cannot be converted (the record as sent is not kept), so
    /// they are marked: <c>hash_is_md5</c> is true for every existing row (a default stored in the catalog, no rewrite of
    /// the table) and false for rows written from now on. The next save of a marked record compares MD5s once and then
    /// stores the new hash (RecordStore), so an upgrade reports no record as updated that did not change.
    /// </summary>
    public partial class RecordsHashXxHash128 : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                ALTER TABLE records ADD COLUMN hash_is_md5 boolean NOT NULL DEFAULT true;
                ALTER TABLE records ALTER COLUMN hash_is_md5 SET DEFAULT false;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // The hashes written since cannot become MD5s: the next save of those records reports them updated once.
            migrationBuilder.Sql("ALTER TABLE records DROP COLUMN hash_is_md5;");
        }
    }
}
