// Drives the official client's proxy calls (proxy, get, post, patch, put, delete) as a customer's backend would and
// prints what each returned as one JSON object. The upstream echoes what it received, so each result shows both
// what the client got and what reached the provider.
// Env: NANGO_HOST, NANGO_SECRET_KEY, NANGO_ARGS = {"key", "connectionId", "base"}; "base" prefixes every endpoint.
import { Nango } from '@nangohq/node';

const host = process.env.NANGO_HOST;
const secretKey = process.env.NANGO_SECRET_KEY;
const args = JSON.parse(process.env.NANGO_ARGS ?? '{}');
const nango = new Nango({ host, secretKey });

const target = { providerConfigKey: args.key, connectionId: args.connectionId };
const base = args.base;

// What a caller can observe of a successful call.
const answer = (r) => ({ status: r.status, data: r.data, contentType: r.headers['content-type'] ?? null });

async function step(name, call) {
    try {
        return answer(await call());
    } catch (error) {
        const detail = error.response ? `${error.response.status} ${JSON.stringify(error.response.data)}` : String(error.stack ?? error);
        throw new Error(`${name} failed: ${detail}`);
    }
}

// Expected failures: the client rejects with the axios error carrying the answer.
async function failure(name, call) {
    try {
        await call();
    } catch (error) {
        if (error.response) {
            return { status: error.response.status, data: error.response.data };
        }
        throw new Error(`${name} failed without a response: ${String(error.stack ?? error)}`);
    }
    throw new Error(`${name} was expected to fail`);
}

const results = {};
results.get = await step('get', () =>
    nango.get({ ...target, endpoint: `${base}/items`, params: { page: '2', q: 'a b&c' }, headers: { 'X-Custom': 'custom-1' } })
);
results.post = await step('post', () => nango.post({ ...target, endpoint: `${base}/items`, data: { name: 'widget', count: 2, tags: ['a', 'b'] } }));
results.patch = await step('patch', () => nango.patch({ ...target, endpoint: `${base}/items/7`, data: { name: 'patched' } }));
results.put = await step('put', () => nango.put({ ...target, endpoint: `${base}/items/7`, data: { name: 'replaced', count: 3 } }));
results.delete = await step('delete', () => nango.delete({ ...target, endpoint: `${base}/items/7` }));
results.proxyGet = await step('proxy(GET)', () => nango.proxy({ ...target, method: 'GET', endpoint: `${base}/raw?x=1&y=two` }));
results.proxyText = await step('proxy(POST text)', () =>
    nango.proxy({ ...target, method: 'POST', endpoint: `${base}/text`, headers: { 'Content-Type': 'text/plain' }, data: 'plain text body' })
);
results.retries = await step('get(retries)', () => nango.get({ ...target, endpoint: `${base}/flaky`, retries: 3 }));
results.retryOn = await step('get(retryOn)', () => nango.get({ ...target, endpoint: `${base}/conflict`, retries: 2, retryOn: [409] }));
results.noRetries = await failure('get(no retries)', () => nango.get({ ...target, endpoint: `${base}/unavailable` }));
results.upstreamError = await failure('get(upstream 404)', () => nango.get({ ...target, endpoint: `${base}/missing` }));
results.unknownConnection = await failure('get(unknown connection)', () =>
    nango.get({ ...target, connectionId: 'no-such-connection', endpoint: `${base}/items` })
);

process.stdout.write(JSON.stringify(results));
