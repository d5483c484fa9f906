/** Where canary markers live. One implementation per kind of data store. */
import type { Marker } from '../marker.js';

export interface NewestMarker {
  marker: Marker;
  /** Markers found in the store (all writers). */
  count: number;
  /** The store's own time of the newest marker minus its stamp: that store's clock offset plus write delay. */
  storeClockOffsetMs?: number;
}

export interface MarkerStore {
  /** For messages and the record: `file canary.jsonl`, `s3://bucket/key`, `postgres db table`. */
  readonly describe: string;
  /** Make ready to write (create the table …). */
  prepare(signal: AbortSignal): Promise<void>;
  write(marker: Marker, signal: AbortSignal): Promise<void>;
  /** The newest marker, undefined when there is none. */
  newest(signal: AbortSignal): Promise<NewestMarker | undefined>;
  close(): Promise<void>;
}
