// Makes one or more calls of the official client and prints their results as one JSON array, in order.
// Env: NANGO_HOST, NANGO_SECRET_KEY, CALLS = JSON [{"method": "listRecords", "args": [...]}, …].
// A call the server refuses gives {"status", "data"} in its place instead of ending the script.
import { Nango } from '@nangohq/node';

const nango = new Nango({ host: process.env.NANGO_HOST, secretKey: process.env.NANGO_SECRET_KEY });
const results = [];
for (const { method, args } of JSON.parse(process.env.CALLS)) {
    try {
        const value = await nango[method](...(args ?? []));
        // Some calls answer the whole axios response: keep what the server sent.
        const answer = value && value.request && 'data' in value ? { status: value.status, data: value.data } : value;
        results.push({ value: answer === undefined ? null : answer });
    } catch (error) {
        if (!error.response) {
            throw error;
        }
        results.push({ status: error.response.status, data: error.response.data });
    }
}
process.stdout.write(JSON.stringify(results));
