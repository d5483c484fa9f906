/** Hand-built run records and bundles for the evidence tests: no engine involved. */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createJournal } from '../../src/evidence/journal.js';
import { generateKeyPair, parseSigningKey, parseTrustedKey, type SigningKey, type TrustedKey } from '../../src/evidence/keys.js';
import { sealBundle, type Sealed, type SealOptions } from '../../src/evidence/seal.js';
import type { AttemptRecord, RunRecord, StepRecord } from '../../src/evidence/run-record.js';

const base = Date.parse('2026-11-28T10:00:00.000Z');
const iso = (offsetMs: number) => new Date(base + offsetMs).toISOString();
export const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

export const scenarioText = `version: 1
kind: drill
id: pg-failover
title: PostgreSQL primary to replica failover
owner: dba-team
objectives: { rto: 30s, rpo: 1m, rpoFrom: data-loss.rpo }
steps: []
`;

/** Log files of the sample run: bundle-relative path → content. */
export const sampleLogs: Record<string, string> = {
  'logs/promote.1.stdout.log': 'waiting for server to promote.....\n',
  'logs/promote.2.stdout.log': 'waiting for server to promote.... done\nserver promoted\n',
  'logs/disaster.1.stdout.log': 'Stopping postgresql.service\n',
};

function attempt(n: number, startMs: number, durationMs: number, extra: Partial<AttemptRecord> = {}): AttemptRecord {
  return { attempt: n, startedAt: iso(startMs), durationMs, status: 'passed', ...extra };
}

function step(id: string, startMs: number, durationMs: number, extra: Partial<StepRecord> = {}): StepRecord {
  return {
    id,
    phase: 'steps',
    uses: 'local',
    status: 'passed',
    continueOnError: false,
    background: false,
    marks: [],
    startedAt: iso(startMs),
    finishedAt: iso(startMs + durationMs),
    durationMs,
    attempts: [attempt(1, startMs, durationMs)],
    outputs: {},
    ...extra,
  };
}

function log(path: string) {
  const content = sampleLogs[path] ?? '';
  return { sha256: sha256(content), bytes: Buffer.byteLength(content), truncated: false, log: path, logSha256: sha256(content) };
}

/** A PASS drill with a precondition, a background step, a retried step, both marks and a cleanup step. */
export function sampleRecord(): RunRecord {
  return {
    schemaVersion: 1,
    runId: '20261128T100000Z-4f2a',
    verdict: 'PASS',
    verdictReasons: ['every step passed', 'RTO met: 9s against 30s', 'RPO met: 1.2s against 1m'],
    endReason: 'completed',
    scenario: {
      id: 'pg-failover',
      kind: 'drill',
      title: 'PostgreSQL primary to replica failover',
      owner: 'dba-team',
      environment: 'staging',
      file: 'scenario.yaml',
      sha256: sha256(scenarioText),
      controls: ['ISO27001:A.5.30', 'DORA:Art.11', 'SOC2:A1.3', 'ACME:BCP-7'],
    },
    startedAt: iso(0),
    finishedAt: iso(16_000),
    durationMs: 16_000,
    operator: 'alice',
    host: 'drill-runner-1',
    pid: 4242,
    tool: { name: 'drillbook', version: '0.1.0', node: 'v20.20.2', platform: 'linux-x64' },
    vars: { cluster: 'main' },
    objectives: {
      rto: { status: 'met', targetMs: 30_000, achievedMs: 9_000, basis: 'start of disaster to end of service-back' },
      rpo: { status: 'met', targetMs: 60_000, achievedMs: 1_200, basis: 'data-loss.rpo' },
    },
    marks: { t0: { stepId: 'disaster', at: iso(5_000) }, recovered: { stepId: 'service-back', at: iso(14_000) } },
    steps: [
      step('replica-reachable', 0, 120, { phase: 'preconditions', argv: ['pg_isready', '-h', '${{ vars.replica }}'], argvResolved: ['pg_isready', '-h', 'db2'] }),
      step('watermark', 150, 4_850, { uses: 'canary.write', on: 'primary', background: true }),
      step('disaster', 5_000, 300, {
        marks: ['t0'],
        exitCode: 0,
        argv: ['systemctl', 'stop', 'postgresql'],
        argvResolved: ['systemctl', 'stop', 'postgresql'],
        attempts: [attempt(1, 5_000, 300, { exitCode: 0, stdout: log('logs/disaster.1.stdout.log') })],
      }),
      step('promote', 5_300, 5_700, {
        exitCode: 0,
        argv: ['pg_ctlcluster', '16', 'main', 'promote'],
        attempts: [
          attempt(1, 5_300, 2_000, { status: 'failed', reason: 'timeout', message: 'timed out after 2s', stdout: log('logs/promote.1.stdout.log') }),
          attempt(2, 9_500, 1_500, { exitCode: 0, stdout: log('logs/promote.2.stdout.log') }),
        ],
      }),
      step('service-back', 11_000, 3_000, { uses: 'http', marks: ['recovered'], attempts: [attempt(1, 11_000, 3_000, { httpStatus: 200, details: { probes: 3 } })] }),
      step('data-loss', 14_000, 800, { uses: 'canary.read', on: 'replica', outputs: { rpo: '1200ms' } }),
    ],
    cleanup: [step('failback', 14_900, 1_000, { phase: 'cleanup', on: 'primary' })],
    deviations: [],
    journal: { file: 'journal.jsonl', entries: 0, headSha256: '0'.repeat(64) },
    targets: [
      { name: 'primary', kind: 'ssh', address: 'drill@db1.example', hostKeyFingerprint: 'SHA256:2Xk8b3Zs8mJc8m1q0Yx3bq2mJm0V0s1rV4uQ6fK1e3E' },
      { name: 'replica', kind: 'ssh', address: 'drill@db2.example', hostKeyFingerprint: 'SHA256:9Qk8b3Zs8mJc8m1q0Yx3bq2mJm0V0s1rV4uQ6fK1e3F' },
    ],
  };
}

/**
 * Write a bundle's raw files into `dir` (scenario, logs, a journal that tells the same story as `record`)
 * and return the record with its journal head and count filled in. Sealing is left to the test.
 */
export function writeBundleFiles(dir: string, record: RunRecord = sampleRecord(), extraFiles: Record<string, string | Uint8Array> = {}): RunRecord {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  writeFileSync(join(dir, 'scenario.yaml'), scenarioText);
  for (const [path, content] of Object.entries({ ...sampleLogs, ...extraFiles })) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  const journal = createJournal(join(dir, 'journal.jsonl'));
  journal.append('run.started', { runId: record.runId, scenario: record.scenario.id }, record.startedAt);
  for (const s of [...record.steps, ...record.cleanup]) {
    if (s.status === 'not-run') continue;
    journal.append('step.started', { stepId: s.id }, s.startedAt ?? record.startedAt);
    for (const a of s.attempts) {
      journal.append('attempt.started', { stepId: s.id, attempt: a.attempt }, a.startedAt);
      journal.append('attempt.finished', { stepId: s.id, attempt: a.attempt, status: a.status }, new Date(Date.parse(a.startedAt) + a.durationMs).toISOString());
    }
    for (const mark of s.marks) journal.append('mark', { mark, stepId: s.id }, s.finishedAt ?? record.finishedAt);
    journal.append('step.finished', { stepId: s.id, status: s.status }, s.finishedAt ?? record.finishedAt);
  }
  journal.append('run.finished', { verdict: record.verdict, endReason: record.endReason }, record.finishedAt);
  journal.close();
  return { ...record, journal: { file: 'journal.jsonl', entries: journal.count, headSha256: journal.head } };
}

/** Write the raw files and seal them; returns the record as sealed. */
export async function sealedBundle(dir: string, options: SealOptions = {}, record: RunRecord = sampleRecord()): Promise<Sealed> {
  const result = await sealBundle(dir, writeBundleFiles(dir, record), options);
  if (!result.sealed) throw new Error(result.message);
  return result;
}

/** A key pair parsed once: signing half and the pinned public half. */
export function testKeys(): { signing: SigningKey; trusted: TrustedKey; publicKeyPem: string; privateKeyPem: string } {
  const pair = generateKeyPair();
  return { signing: parseSigningKey(pair.privateKeyPem, 'test.key'), trusted: parseTrustedKey(pair.publicKeyPem, 'test.pub'), ...pair };
}
