using Microsoft.EntityFrameworkCore;

namespace Nango.Tests.Infrastructure.OAuthServer;

/// <summary>OpenIddict's applications, authorizations, scopes and tokens; OpenIddict has no in-memory store, so they live in their own Postgres database.</summary>
public sealed class OAuthServerDbContext(DbContextOptions<OAuthServerDbContext> options) : DbContext(options);
