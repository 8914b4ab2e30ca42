using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nango.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class CacheChangeNotifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Every instance caches secret key → environment and the proxy's connection reads for a few seconds; these
            // triggers tell all of them (channel nango_cache, read by ChangeListener) when a row they may hold changes.
            // NOTIFY is sent at commit, dropped on rollback and de-duplicated within a transaction. Payloads:
            // e:<environment id>, i:<environment id>, c:<environment id>:<connection id>; a connection id too long
            // for a NOTIFY payload falls back to its whole environment.
            // A connection update that only touches last_fetched_at/updated_at (every GET /connection marks the row)
            // notifies nobody: no cached reader depends on them.
            migrationBuilder.Sql("""
                CREATE FUNCTION nango_cache_connection_payload(environment_id integer, connection_id text) RETURNS text
                LANGUAGE sql IMMUTABLE AS $$
                    SELECT CASE WHEN octet_length(connection_id) > 7000 THEN 'e:' || environment_id
                                ELSE 'c:' || environment_id || ':' || connection_id END
                $$;

                CREATE FUNCTION notify_cache_connections() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE'
                       AND (to_jsonb(OLD) - 'last_fetched_at' - 'updated_at') = (to_jsonb(NEW) - 'last_fetched_at' - 'updated_at') THEN
                        RETURN NULL;
                    END IF;
                    IF TG_OP <> 'INSERT' THEN
                        PERFORM pg_notify('nango_cache', nango_cache_connection_payload(OLD.environment_id, OLD.connection_id));
                    END IF;
                    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE'
                       AND (NEW.environment_id, NEW.connection_id) IS DISTINCT FROM (OLD.environment_id, OLD.connection_id)) THEN
                        PERFORM pg_notify('nango_cache', nango_cache_connection_payload(NEW.environment_id, NEW.connection_id));
                    END IF;
                    RETURN NULL;
                END $$;
                CREATE TRIGGER connections_notify_cache AFTER INSERT OR UPDATE OR DELETE ON connections
                    FOR EACH ROW EXECUTE FUNCTION notify_cache_connections();

                CREATE FUNCTION notify_cache_integrations() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP <> 'INSERT' THEN
                        PERFORM pg_notify('nango_cache', 'i:' || OLD.environment_id);
                    END IF;
                    IF TG_OP <> 'DELETE' THEN
                        PERFORM pg_notify('nango_cache', 'i:' || NEW.environment_id);
                    END IF;
                    RETURN NULL;
                END $$;
                CREATE TRIGGER integrations_notify_cache AFTER INSERT OR UPDATE OR DELETE ON integrations
                    FOR EACH ROW EXECUTE FUNCTION notify_cache_integrations();

                CREATE FUNCTION notify_cache_environments() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('nango_cache', 'e:' || OLD.id);
                    RETURN NULL;
                END $$;
                CREATE TRIGGER environments_notify_cache AFTER UPDATE OR DELETE ON environments
                    FOR EACH ROW EXECUTE FUNCTION notify_cache_environments();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS environments_notify_cache ON environments;
                DROP FUNCTION IF EXISTS notify_cache_environments();
                DROP TRIGGER IF EXISTS integrations_notify_cache ON integrations;
                DROP FUNCTION IF EXISTS notify_cache_integrations();
                DROP TRIGGER IF EXISTS connections_notify_cache ON connections;
                DROP FUNCTION IF EXISTS notify_cache_connections();
                DROP FUNCTION IF EXISTS nango_cache_connection_payload(integer, text);
                """);
        }
    }
}
