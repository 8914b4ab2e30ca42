# Nango.Web (API + dashboard) with Nango.Runner beside it. Build: docker build -t nango-dotnet .
# Needs a PostgreSQL server: pass ConnectionStrings__Nango and Nango__EncryptionKey at run time (README).

# zod, the one module function code may require, comes from npm and is embedded into Nango.Runner.dll.
FROM node:20-bookworm-slim AS js
WORKDIR /src/Nango.Runner/js
COPY Nango.Runner/js/package.json Nango.Runner/js/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error \
 && cp package-lock.json node_modules/.nango-installed-lock.json

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Project files first, so the restore layer is reused while only sources change.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY Nango.Core/Nango.Core.csproj Nango.Core/
COPY Nango.Web/Nango.Web.csproj Nango.Web/
COPY Nango.Runner/Nango.Runner.csproj Nango.Runner/
RUN dotnet restore Nango.Web/Nango.Web.csproj \
 && dotnet restore Nango.Runner/Nango.Runner.csproj --use-current-runtime
COPY Nango.Core/ Nango.Core/
COPY Nango.Web/ Nango.Web/
COPY Nango.Runner/ Nango.Runner/
COPY --from=js /src/Nango.Runner/js/node_modules Nango.Runner/js/node_modules
RUN dotnet publish Nango.Web/Nango.Web.csproj -c Release --no-restore -o /app/web \
 && dotnet publish Nango.Runner/Nango.Runner.csproj -c Release --no-restore --use-current-runtime --self-contained false -o /app/runner

FROM mcr.microsoft.com/dotnet/aspnet:10.0
COPY --from=build /app /app
# The image's non-root 'app' user (APP_UID) owns the data folder and nothing else.
RUN mkdir -p /data && chown "$APP_UID" /data
USER $APP_UID
ENV ASPNETCORE_URLS=http://+:3003 \
    ASPNETCORE_ENVIRONMENT=Production \
    Nango__DataPath=/data
VOLUME /data
EXPOSE 3003
# The publish folder is the content root (wwwroot, static asset manifest).
WORKDIR /app/web
ENTRYPOINT ["dotnet", "/app/web/Nango.Web.dll"]
