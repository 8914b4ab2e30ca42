using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nango.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class FunctionCacheNotifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Deployed functions join the per-instance caches (the action trigger, the runner callbacks and the dispatcher
            // read them for every action): any change to a functions row tells every instance, on channel nango_cache,
            // with payload f:<environment id>. A deploy that adds a version always moves current_revision, so the
            // functions row covers function_versions too.
            migrationBuilder.Sql("""
                CREATE FUNCTION notify_cache_functions() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP <> 'INSERT' THEN
                        PERFORM pg_notify('nango_cache', 'f:' || OLD.environment_id);
                    END IF;
                    IF TG_OP <> 'DELETE' THEN
                        PERFORM pg_notify('nango_cache', 'f:' || NEW.environment_id);
                    END IF;
                    RETURN NULL;
                END $$;
                CREATE TRIGGER functions_notify_cache AFTER INSERT OR UPDATE OR DELETE ON functions
                    FOR EACH ROW EXECUTE FUNCTION notify_cache_functions();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS functions_notify_cache ON functions;
                DROP FUNCTION IF EXISTS notify_cache_functions();
                """);
        }
    }
}
