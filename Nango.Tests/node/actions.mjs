// Triggers the deployed createIssue action with the official client, synchronously and asynchronously, and prints
// what the client got back as one JSON object. Env: NANGO_HOST, NANGO_SECRET_KEY, ACTION_INPUT (JSON).
import { Nango } from '@nangohq/node';

const nango = new Nango({ host: process.env.NANGO_HOST, secretKey: process.env.NANGO_SECRET_KEY });
const input = JSON.parse(process.env.ACTION_INPUT);

function failure(error) {
    if (error.response) {
        return { status: error.response.status, data: error.response.data };
    }
    throw error;
}

const sync = await nango.triggerAction('github', 'conn-1', 'createIssue', input).then((output) => ({ output: output ?? null }), failure);
const accepted = await nango.triggerActionAsync('github', 'conn-1', 'createIssue', { ...input, title: 'async one' });
let result;
for (let i = 0; i < 120; i++) {
    try {
        result = { output: (await nango.getAsyncActionResult({ id: accepted.id })) ?? null };
        break;
    } catch (error) {
        if (!error.response || error.response.status !== 404) {
            result = failure(error);
            break;
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
}
const badInput = await nango.triggerAction('github', 'conn-1', 'createIssue', { title: 42 }).then(() => ({ status: 200 }), failure);
const unknownAction = await nango.triggerAction('github', 'conn-1', 'noSuchAction', {}).then(() => ({ status: 200 }), failure);

console.log(JSON.stringify({ sync, accepted, result, badInput, unknownAction }));
