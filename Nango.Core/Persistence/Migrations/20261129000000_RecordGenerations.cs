using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nango.Core.Persistence.Migrations
{
    /// <summary>
    /// A generation per (connection, model) of the records store: a number from one sequence, so never the same twice for
    /// any model, replaced by every write that changes what the model's records hold (added, rewritten, deleted, pruned)
    /// in the write's own transaction, under the model's lock. Marking records seen does not change it. A runner that
    /// knows which record hashes the store held at a generation may claim a chunk unchanged by that generation alone
    /// (RecordStore.SaveUnchangedAsync): when it is still the model's, nothing was changed meanwhile, and the store counts
    /// the chunk unchanged without looking up each record. Raw SQL, no EF entity, as for the records table.
    /// </summary>
    public partial class RecordGenerations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE SEQUENCE record_generation_seq;
                CREATE TABLE record_generations (
                    connection_id integer NOT NULL,
                    model text NOT NULL,
                    generation bigint NOT NULL,
                    CONSTRAINT pk_record_generations PRIMARY KEY (connection_id, model)
                );
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TABLE IF EXISTS record_generations; DROP SEQUENCE IF EXISTS record_generation_seq;");
        }
    }
}
