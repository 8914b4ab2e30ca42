// Reads records with the official client's listRecords (and pruneRecords) as a customer's backend would, and
// prints what each call returned as one JSON object.
// Env: NANGO_HOST, NANGO_SECRET_KEY, NANGO_ARGS = {"key", "connectionId", "model", "pageSize", "modifiedAfter", "ids",
// "pruneModel", "pruneCursor"}.
import { Nango } from '@nangohq/node';

const nango = new Nango({ host: process.env.NANGO_HOST, secretKey: process.env.NANGO_SECRET_KEY });
const args = JSON.parse(process.env.NANGO_ARGS ?? '{}');
const target = { providerConfigKey: args.key, connectionId: args.connectionId, model: args.model };

async function step(name, call) {
    try {
        return await call();
    } catch (error) {
        const detail = error.response ? `${error.response.status} ${JSON.stringify(error.response.data)}` : String(error.stack ?? error);
        throw new Error(`${name} failed: ${detail}`);
    }
}

// Every page from the first, following next_cursor until it is null.
async function allPages(name, options) {
    const pages = [];
    let cursor = undefined;
    do {
        const page = await step(name, () => nango.listRecords({ ...target, ...options, ...(cursor ? { cursor } : {}) }));
        pages.push(page);
        cursor = page.next_cursor;
    } while (cursor && pages.length < 1000);
    return pages;
}

const results = {};
results.all = await allPages('listRecords(all)', { limit: args.pageSize });
results.modifiedAfter = await allPages('listRecords(modifiedAfter)', { modifiedAfter: args.modifiedAfter });
results.deleted = await allPages('listRecords(filter=deleted)', { filter: 'deleted' });
results.ids = await step('listRecords(ids)', () => nango.listRecords({ ...target, ids: args.ids }));
results.prune = await step('pruneRecords', () =>
    nango.pruneRecords({ providerConfigKey: args.key, connectionId: args.connectionId, model: args.pruneModel, untilCursor: args.pruneCursor })
);
results.afterPrune = await step('listRecords(after prune)', () => nango.listRecords({ ...target, model: args.pruneModel }));

process.stdout.write(JSON.stringify(results));
