using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nango.Core.Persistence.Migrations
{
    /// <summary>
    /// The records syncs produce (Nango.Core.Records). Raw SQL on purpose: the table is hash-partitioned and written
    /// with binary COPY + one upsert, so it has no EF entity and the model snapshot does not change.
    /// <para>
    /// 32 hash partitions on connection_id: every query names a connection, so it touches one partition, whose
    /// indexes are a 32nd of the table's (shallower, vacuumed and cached independently), while the few statements
    /// that do cross all of them (retention) stay cheap to plan. Nango Cloud uses 256 at its scale; a partitioned
    /// table cannot be re-split in place, so this errs on the larger side for one self-hosted database.
    /// </para>
    /// </summary>
    public partial class RecordsTable : Migration
    {
        private const int Partitions = 32;

        // fillfactor 90: re-runs with deletion tracking rewrite seen_at only, which stays a HOT update when the
        // page has room.
        private const string CreateRecords = """
            CREATE TABLE records (
                id uuid NOT NULL,
                environment_id integer NOT NULL,
                connection_id integer NOT NULL,
                model text NOT NULL,
                external_id varchar(255) NOT NULL,
                data jsonb NOT NULL,
                data_hash bytea NOT NULL,
                size_bytes integer NOT NULL,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                deleted_at timestamptz NULL,
                pruned_at timestamptz NULL,
                seen_at timestamptz NULL,
                sync_name text NULL,
                CONSTRAINT pk_records PRIMARY KEY (connection_id, model, external_id)
            ) PARTITION BY HASH (connection_id);
            CREATE INDEX ix_records_cursor ON records (connection_id, model, updated_at, id);
            """;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(CreateRecords);
            for (var i = 0; i < Partitions; i++)
            {
                migrationBuilder.Sql($"CREATE TABLE records_p{i:00} PARTITION OF records FOR VALUES WITH (MODULUS {Partitions}, REMAINDER {i}) WITH (fillfactor = 90);");
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TABLE IF EXISTS records;");
        }
    }
}
