/** Small option schemas shared by runner definitions. */
import { z } from 'zod';
import { parseDuration } from '../src/scenario/duration.js';

/** A duration string as scenarios write them (`500ms`, `90s`, `1h30m`). */
export const durationOption = z
  .string()
  .refine((text) => parseDuration(text) !== undefined, { message: 'expected a duration such as 500ms, 90s, 15m, 2h or 1h30m' });
