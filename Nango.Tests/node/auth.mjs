// Drives the official client's auth-related calls, one step per run, as a customer's backend would, and prints
// the result as one JSON object. Env: NANGO_HOST, NANGO_SECRET_KEY, NANGO_STEP, NANGO_ARGS (JSON).
//   createConnectSession    args.body                  → the client's answer
//   createReconnectSession  args.body                  → the client's answer
//   getConnection           args.key, args.connectionId → getConnection (with the refresh token) and getToken
//   refreshRace             args.key, args.connectionId, args.hosts, args.calls
//                           → args.calls concurrent getConnection(key, id, forceRefresh=true), spread over the hosts
import { Nango } from '@nangohq/node';

const host = process.env.NANGO_HOST;
const secretKey = process.env.NANGO_SECRET_KEY;
const args = JSON.parse(process.env.NANGO_ARGS ?? '{}');
const nango = new Nango({ host, secretKey });

const describe = (error) => (error.response ? { status: error.response.status, data: error.response.data } : { message: String(error.stack ?? error) });

async function step(name, call) {
    try {
        return await call();
    } catch (error) {
        throw new Error(`${name} failed: ${JSON.stringify(describe(error))}`);
    }
}

let result;
switch (process.env.NANGO_STEP) {
    case 'createConnectSession':
        result = await step('createConnectSession', () => nango.createConnectSession(args.body));
        break;
    case 'createReconnectSession':
        result = await step('createReconnectSession', () => nango.createReconnectSession(args.body));
        break;
    case 'getConnection':
        result = {
            connection: await step('getConnection', () => nango.getConnection(args.key, args.connectionId, false, true)),
            token: await step('getToken', () => nango.getToken(args.key, args.connectionId))
        };
        break;
    case 'refreshRace': {
        const clients = args.hosts.map((h) => new Nango({ host: h, secretKey }));
        // Every call is started before any is awaited: they are all in flight together.
        const started = Date.now();
        const calls = Array.from({ length: args.calls }, (_, i) => {
            const index = i % clients.length;
            return clients[index]
                .getConnection(args.key, args.connectionId, true)
                .then((connection) => ({ host: args.hosts[index], ms: Date.now() - started, access_token: connection.credentials.access_token }))
                .catch((error) => ({ host: args.hosts[index], ms: Date.now() - started, error: describe(error) }));
        });
        result = await Promise.all(calls);
        break;
    }
    default:
        throw new Error(`Unknown NANGO_STEP '${process.env.NANGO_STEP}'`);
}
process.stdout.write(JSON.stringify(result));
