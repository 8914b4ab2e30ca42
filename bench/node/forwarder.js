'use strict';

// The Node baseline of the proxy benchmark: Node's http server forwarding each request to the upstream with
// axios, as Nango's proxy does (responseType 'stream', decompress false, keep-alive agent, response piped
// back with its status and headers). It adds the API key header the way Nango's provider template would, but
// does none of Nango's other work (no database, no credentials to decrypt, no logs): a floor for Nango's cost.
//
// UPSTREAM=http://127.0.0.1:5000 API_KEY=... node forwarder.js
// Prints "listening <port> <node version>" once it accepts requests.

const http = require('node:http');
const axios = require('axios');

const upstream = process.env.UPSTREAM;
const apiKey = process.env.API_KEY ?? '';
if (!upstream) {
    console.error('UPSTREAM is required');
    process.exit(2);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const client = axios.create({
    baseURL: upstream,
    httpAgent: agent,
    responseType: 'stream',
    decompress: false,
    maxRedirects: 0,
    proxy: false,
    // Upstream errors pass through as they are, like Nango's.
    validateStatus: () => true,
    transitional: { silentJSONParsing: true }
});

const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection', 'host']);

const server = http.createServer(async (req, res) => {
    try {
        const headers = { 'x-api-key': apiKey };
        for (const [name, value] of Object.entries(req.headers)) {
            if (name.startsWith('nango-proxy-')) {
                headers[name.slice('nango-proxy-'.length)] = value;
            }
        }
        const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
        const upstreamResponse = await client.request({
            method: req.method,
            url: req.url.replace(/^\/proxy\//, '/'),
            headers,
            data: hasBody ? req : undefined
        });
        const outHeaders = {};
        for (const [name, value] of Object.entries(upstreamResponse.headers)) {
            if (!hopByHop.has(name)) {
                outHeaders[name] = value;
            }
        }
        res.writeHead(upstreamResponse.status, outHeaders);
        upstreamResponse.data.pipe(res);
    } catch (err) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'proxy_request_failed', message: String(err && err.message) } }));
    }
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => {
    console.log(`listening ${server.address().port} ${process.version}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
