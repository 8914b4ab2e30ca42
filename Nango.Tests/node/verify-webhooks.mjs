// Checks webhook requests recorded by a test receiver the way a customer's backend does, with the official
// client's verifiers. Env: WEBHOOKS_FILE, a JSON file {"cases":[{"name","signingKey","body","headers"}]} where
// body is the exact request body text and headers the request headers (lower-case names).
// Prints {"results":[{"name","incoming","legacy","stringifyRoundTrip"}]}:
//   incoming            nango.verifyIncomingWebhookRequest(body, headers)   (X-Nango-Hmac-Sha256)
//   legacy              nango.verifyWebhookSignature(X-Nango-Signature, JSON.parse(body))   (deprecated)
//   stringifyRoundTrip  JSON.stringify(JSON.parse(body)) === body, what the legacy check silently relies on
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Nango } from '@nangohq/node';

const { cases } = JSON.parse(readFileSync(process.env.WEBHOOKS_FILE, 'utf8'));

const results = cases.map((c) => {
    const nango = new Nango({ secretKey: randomUUID(), webhookSigningKey: c.signingKey });
    const legacyHeader = Object.entries(c.headers).find(([name]) => name.toLowerCase() === 'x-nango-signature')?.[1];
    const parsed = JSON.parse(c.body);
    return {
        name: c.name,
        incoming: nango.verifyIncomingWebhookRequest(c.body, c.headers),
        legacy: legacyHeader !== undefined && nango.verifyWebhookSignature(legacyHeader, parsed),
        stringifyRoundTrip: JSON.stringify(parsed) === c.body
    };
});

process.stdout.write(JSON.stringify({ results }));
