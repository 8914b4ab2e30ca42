// Drives the official client through integrations, connections, metadata and environment variables,
// in the order a customer's backend would, and prints what each call returned as one JSON object.
// Env: NANGO_HOST, NANGO_SECRET_KEY.
import { Nango } from '@nangohq/node';

const host = process.env.NANGO_HOST;
const secretKey = process.env.NANGO_SECRET_KEY;
const nango = new Nango({ host, secretKey });

const key = 'node-github';
const renamedKey = 'node-github-renamed';
const connectionId = 'node-conn-1';

async function step(name, call) {
    try {
        return await call();
    } catch (error) {
        const detail = error.response ? `${error.response.status} ${JSON.stringify(error.response.data)}` : String(error.stack ?? error);
        throw new Error(`${name} failed: ${detail}`);
    }
}

// Calls that return the axios response: keep what a caller can observe.
const response = (r) => ({ status: r.status, data: r.data });

// Expected failures: the client rejects with an axios error carrying Nango's envelope.
async function failure(call) {
    try {
        await call();
    } catch (error) {
        if (error.response) {
            return { status: error.response.status, data: error.response.data };
        }
        throw error;
    }
    throw new Error('the call was expected to fail');
}

const results = {};

results.createIntegration = await step('createIntegration', () =>
    nango.createIntegration({
        provider: 'github',
        unique_key: key,
        display_name: 'GitHub via node',
        credentials: { type: 'OAUTH2', client_id: 'node-client-id', client_secret: 'node-client-secret', scopes: 'repo user' }
    })
);
results.listIntegrations = await step('listIntegrations', () => nango.listIntegrations());
results.getIntegration = await step('getIntegration', () => nango.getIntegration({ uniqueKey: key }));
results.getIntegrationWithWebhook = await step('getIntegration(webhook)', () => nango.getIntegration({ uniqueKey: key }, { include: ['webhook'] }));
results.getIntegrationWithCredentials = await step('getIntegration(credentials)', () =>
    nango.getIntegration({ uniqueKey: key }, { include: ['credentials'] })
);
results.updateIntegration = await step('updateIntegration', () =>
    nango.updateIntegration({ uniqueKey: key }, { unique_key: renamedKey, display_name: 'Renamed via node', forward_webhooks: false })
);

// @nangohq/node 0.71.10 has no method for POST /connections (import); call it as a backend would.
const importResponse = await step('POST /connections', () =>
    fetch(`${nango.serverUrl}/connections`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
            provider_config_key: renamedKey,
            connection_id: connectionId,
            credentials: { type: 'OAUTH2', access_token: 'node-access-token', refresh_token: 'node-refresh-token', expires_at: '2030-01-02T03:04:05.000Z' },
            connection_config: { subdomain: 'acme' },
            metadata: { plan: 'free', seats: 3 },
            tags: { Team: 'Core' },
            end_user: { id: 'user-1', email: 'user1@example.com', display_name: 'User One', organization: { id: 'org-1', display_name: 'Org One' } }
        })
    })
);
results.importConnection = { status: importResponse.status, data: await importResponse.json() };

results.listConnections = await step('listConnections', () => nango.listConnections({ integrationId: renamedKey }));
results.listConnectionsLegacy = await step('listConnections(legacy)', () => nango.listConnections(connectionId));
results.getConnection = await step('getConnection', () => nango.getConnection(renamedKey, connectionId));
results.getConnectionWithRefreshToken = await step('getConnection(refreshToken)', () => nango.getConnection(renamedKey, connectionId, false, true));
results.getToken = await step('getToken', () => nango.getToken(renamedKey, connectionId));
results.setMetadata = response(await step('setMetadata', () => nango.setMetadata(renamedKey, connectionId, { plan: 'pro', region: 'eu' })));
results.updateMetadata = response(await step('updateMetadata', () => nango.updateMetadata(renamedKey, connectionId, { region: 'us', owner: { id: 7 } })));
results.getMetadata = await step('getMetadata', () => nango.getMetadata(renamedKey, connectionId));
results.deleteConnection = response(await step('deleteConnection', () => nango.deleteConnection(renamedKey, connectionId)));
results.getDeletedConnection = await failure(() => nango.getConnection(renamedKey, connectionId));
results.listConnectionsAfterDelete = await step('listConnections(after delete)', () => nango.listConnections());
results.deleteIntegration = response(await step('deleteIntegration', () => nango.deleteIntegration(renamedKey)));
results.getDeletedIntegration = await failure(() => nango.getIntegration({ uniqueKey: renamedKey }));
results.listIntegrationsAfterDelete = await step('listIntegrations(after delete)', () => nango.listIntegrations());
results.getEnvironmentVariables = await step('getEnvironmentVariables', () => nango.getEnvironmentVariables());

process.stdout.write(JSON.stringify(results));
