// Drives the official client's connect-session calls as a customer's backend would, then reads each
// session back with its token as the Connect UI does, and prints everything as one JSON object.
// Env: NANGO_HOST, NANGO_SECRET_KEY.
import { Nango } from '@nangohq/node';

const host = process.env.NANGO_HOST;
const secretKey = process.env.NANGO_SECRET_KEY;
const nango = new Nango({ host, secretKey });

const key = 'node-session-github';
const connectionId = 'node-session-conn';

async function step(name, call) {
    try {
        return await call();
    } catch (error) {
        const detail = error.response ? `${error.response.status} ${JSON.stringify(error.response.data)}` : String(error.stack ?? error);
        throw new Error(`${name} failed: ${detail}`);
    }
}

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

// What the Connect UI does with a token: GET /connect/session with it as bearer.
async function readSession(token) {
    const response = await fetch(`${nango.serverUrl}/connect/session`, { headers: { Authorization: `Bearer ${token}` } });
    return { status: response.status, data: await response.json() };
}

const results = {};

await step('createIntegration', () =>
    nango.createIntegration({
        provider: 'github',
        unique_key: key,
        credentials: { type: 'OAUTH2', client_id: 'node-client-id', client_secret: 'node-client-secret', scopes: 'repo' }
    })
);

// @nangohq/node 0.71.10 has no method for POST /connections (import); call it as a backend would.
const imported = await step('POST /connections', () =>
    fetch(`${nango.serverUrl}/connections`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
            provider_config_key: key,
            connection_id: connectionId,
            credentials: { type: 'OAUTH2', access_token: 'node-access-token' },
            end_user: { id: 'node-owner', email: 'owner@example.com' }
        })
    })
);
if (imported.status !== 201) {
    throw new Error(`POST /connections answered ${imported.status}: ${await imported.text()}`);
}

results.createConnectSession = await step('createConnectSession', () =>
    nango.createConnectSession({
        end_user: { id: 'node-user', email: 'node@example.com', display_name: 'Node User' },
        organization: { id: 'node-org', display_name: 'Node Org' },
        allowed_integrations: [key],
        integrations_config_defaults: { [key]: { connection_config: { subdomain: 'acme' } } },
        tags: { Source: 'node' }
    })
);
results.session = await readSession(results.createConnectSession.data.token);

results.createReconnectSession = await step('createReconnectSession', () =>
    nango.createReconnectSession({ connection_id: connectionId, integration_id: key })
);
results.reconnectSession = await readSession(results.createReconnectSession.data.token);

results.createConnectSessionUnknownIntegration = await failure(() =>
    nango.createConnectSession({ end_user: { id: 'node-user' }, allowed_integrations: ['no-such-integration'] })
);
results.createReconnectSessionUnknownConnection = await failure(() =>
    nango.createReconnectSession({ connection_id: 'no-such-connection', integration_id: key })
);

process.stdout.write(JSON.stringify(results));
