import { z } from 'zod';
import { defineRunner, durationOption } from '../../src/runner-contract.js';

export const httpMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export const httpOptions = z.strictObject({
  /** Absolute URL, or a path resolved against the target's `baseUrl`. */
  url: z.string().min(1),
  method: z.enum(httpMethods).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  /** Successive passing probes needed before the step passes (default 1). */
  consecutive: z.number().int().min(1).max(1000).optional(),
  /** Pause between probes (default 1s). */
  interval: durationOption.optional(),
  /** Limit for one request (default 10s, never more than the step timeout). */
  requestTimeout: durationOption.optional(),
});

export type HttpOptions = z.output<typeof httpOptions>;

export const httpRunner = defineRunner({
  name: 'http',
  checks: true,
  summary: 'probe a URL until it answers as expected (`consecutive` times in a row)',
  options: httpOptions,
  run: 'forbidden',
  targetKinds: ['http'],
  expects: ['status', 'body'],
  load: async () => (await import('./run.js')).createHttpRunner(),
});
