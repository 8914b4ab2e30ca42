// Drives the sync control API with the official client: triggerSync (default, opts, legacy), pauseSync, startSync,
// syncStatus, updateSyncConnectionFrequency, createSyncVariant/deleteSyncVariant, then bad input. Prints one JSON
// object with what the client got back at each step. Env: NANGO_HOST, NANGO_SECRET_KEY.
import { Nango } from '@nangohq/node';

const nango = new Nango({ host: process.env.NANGO_HOST, secretKey: process.env.NANGO_SECRET_KEY });

function failure(error) {
    if (error.response) {
        return { status: error.response.status, data: error.response.data };
    }
    throw error;
}

// triggerSync/startSync/pauseSync resolve to the axios response; the others to its data.
const data = (promise) => promise.then((response) => ({ data: response.data }), failure);
const value = (promise) => promise.then((result) => ({ data: result ?? null }), failure);

const out = {};
out.statusBefore = await value(nango.syncStatus('github', '*', 'conn-1'));
out.trigger = await data(nango.triggerSync('github', ['fetchIssues'], 'conn-1'));
out.triggerAgain = await data(nango.triggerSync('github', ['fetchIssues'], 'conn-1'));
out.statusRunning = await value(nango.syncStatus('github', ['fetchIssues'], 'conn-1'));
out.full = await data(nango.triggerSync('github', ['fetchIssues'], 'conn-1', { reset: true, emptyCache: true }));
out.legacy = await data(nango.triggerSync('github', [{ name: 'fetchIssues', variant: 'base' }], 'conn-1', 'full_refresh'));
out.pause = await data(nango.pauseSync('github', ['fetchIssues'], 'conn-1'));
out.statusPaused = await value(nango.syncStatus('github', ['fetchIssues'], 'conn-1'));
out.frequency = await value(nango.updateSyncConnectionFrequency('github', 'fetchIssues', 'conn-1', 'every 2 hours'));
out.start = await data(nango.startSync('github', ['fetchIssues']));
out.statusStarted = await value(nango.syncStatus('github', ['fetchIssues'], 'conn-1'));
out.revert = await value(nango.updateSyncConnectionFrequency('github', 'fetchIssues', 'conn-1', null));
out.variant = await value(nango.createSyncVariant({ provider_config_key: 'github', connection_id: 'conn-1', name: 'fetchIssues', variant: 'eu' }));
out.variantStatus = await value(nango.syncStatus('github', [{ name: 'fetchIssues', variant: 'eu' }], 'conn-1'));
out.variantTrigger = await data(nango.triggerSync('github', [{ name: 'fetchIssues', variant: 'eu' }], 'conn-1'));
out.variantFrequency = await value(nango.updateSyncConnectionFrequency('github', { name: 'fetchIssues', variant: 'eu' }, 'conn-1', '30m'));
out.variantAgain = await value(nango.createSyncVariant({ provider_config_key: 'github', connection_id: 'conn-1', name: 'fetchIssues', variant: 'eu' }));
out.deleteVariant = await value(nango.deleteSyncVariant({ provider_config_key: 'github', connection_id: 'conn-1', name: 'fetchIssues', variant: 'eu' }));
out.deleteVariantAgain = await value(nango.deleteSyncVariant({ provider_config_key: 'github', connection_id: 'conn-1', name: 'fetchIssues', variant: 'eu' }));

// Bad input.
out.unknownSync = await data(nango.triggerSync('github', ['noSuchSync'], 'conn-1'));
out.unknownConnection = await data(nango.triggerSync('github', ['fetchIssues'], 'nobody'));
out.unknownIntegration = await data(nango.pauseSync('no-such-integration', ['fetchIssues'], 'conn-1'));
out.unknownSyncStatus = await value(nango.syncStatus('github', ['noSuchSync'], 'conn-1'));
out.unknownConnectionStatus = await value(nango.syncStatus('github', ['fetchIssues'], 'nobody'));
out.unknownSyncFrequency = await value(nango.updateSyncConnectionFrequency('github', 'noSuchSync', 'conn-1', 'every hour'));
out.unknownConnectionFrequency = await value(nango.updateSyncConnectionFrequency('github', 'fetchIssues', 'nobody', 'every hour'));
out.tooShortFrequency = await value(nango.updateSyncConnectionFrequency('github', 'fetchIssues', 'conn-1', 'every 10 seconds'));
out.badFrequency = await value(nango.updateSyncConnectionFrequency('github', 'fetchIssues', 'conn-1', 'sometimes'));
out.baseVariant = await value(nango.createSyncVariant({ provider_config_key: 'github', connection_id: 'conn-1', name: 'fetchIssues', variant: 'base' }));
out.invalidVariant = await value(nango.createSyncVariant({ provider_config_key: 'github', connection_id: 'conn-1', name: 'fetchIssues', variant: 'not valid!' }));
out.unknownSyncVariant = await value(nango.createSyncVariant({ provider_config_key: 'github', connection_id: 'conn-1', name: 'noSuchSync', variant: 'eu' }));
out.statusAfter = await value(nango.syncStatus('github', '*', 'conn-1'));

console.log(JSON.stringify(out));
