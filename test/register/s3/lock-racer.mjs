// One contender for an S3 run lock, in its own process: waits for the start file, then tries to acquire.
// argv: storeUrl scenarioId startFile; prints one JSON line with the outcome.
import { existsSync } from 'node:fs';
import { openS3Store } from '../../../dist/src/register/s3/open.js';
import { newLockToken } from '../../../dist/src/register/s3/lock.js';

const [storeUrl, scenarioId, startFile] = process.argv.slice(2);
const store = await openS3Store(storeUrl);
// Prove conditional writes before the race, so that both contenders race on the lock itself.
await store.lock.read(scenarioId);
const probe = await store.lock.acquire({ scenarioId: `${scenarioId}-warmup-${process.pid}`, token: 'w', host: 'racer', pid: process.pid, startedAt: '' });
if (probe.ok) await store.lock.release(`${scenarioId}-warmup-${process.pid}`, 'w');
console.log(JSON.stringify({ ready: true }));
while (!existsSync(startFile)) await new Promise((resolve) => setTimeout(resolve, 2));
const token = newLockToken();
const result = await store.lock.acquire({ scenarioId, token, host: 'racer', pid: process.pid, startedAt: new Date().toISOString() });
console.log(JSON.stringify({ ok: result.ok, token, holder: result.ok ? null : (result.holder?.pid ?? null) }));
store.client.destroy();
