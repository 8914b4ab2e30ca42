// The customer's backend around a Connect UI flow, with the official @nangohq/node client.
// Env: NANGO_HOST, NANGO_SECRET_KEY, COMMAND and its inputs:
//   create-session  END_USER_ID, ALLOWED (comma list, optional) -> { token, connect_link, expires_at }
//   connection      PROVIDER_CONFIG_KEY, CONNECTION_ID           -> { connections: [...], token, credentials_type }
import { Nango } from '@nangohq/node';

const nango = new Nango({ host: process.env.NANGO_HOST, secretKey: process.env.NANGO_SECRET_KEY });

async function step(name, call) {
    try {
        return await call();
    } catch (error) {
        const detail = error.response ? `${error.response.status} ${JSON.stringify(error.response.data)}` : String(error.stack ?? error);
        throw new Error(`${name} failed: ${detail}`);
    }
}

let result;
switch (process.env.COMMAND) {
    case 'create-session': {
        const allowed = (process.env.ALLOWED ?? '').split(',').filter((key) => key.length > 0);
        const created = await step('createConnectSession', () =>
            nango.createConnectSession({
                end_user: { id: process.env.END_USER_ID, email: 'connect-ui@example.com', display_name: 'Connect UI user' },
                ...(allowed.length > 0 ? { allowed_integrations: allowed } : {})
            })
        );
        result = created.data;
        break;
    }
    case 'connection': {
        const key = process.env.PROVIDER_CONFIG_KEY;
        const connectionId = process.env.CONNECTION_ID;
        const list = await step('listConnections', () => nango.listConnections({ connectionId }));
        const token = await step('getToken', () => nango.getToken(key, connectionId));
        const connection = await step('getConnection', () => nango.getConnection(key, connectionId));
        result = { connections: list.connections, token, credentials_type: connection.credentials.type };
        break;
    }
    default:
        throw new Error(`unknown COMMAND ${process.env.COMMAND}`);
}

process.stdout.write(JSON.stringify(result));
