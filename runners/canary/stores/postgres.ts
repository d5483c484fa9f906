/**
 * Markers as rows of a PostgreSQL table, written through one psql session. The table keeps the marker and
 * the server's own clock at insert (`server_at`), so the reader can state the database clock's offset.
 */
import type { CanaryPostgresOptions } from '../definition.js';
import { parseMarker } from '../marker.js';
import { PsqlSession, psqlConnection, psqlQuery } from './psql.js';
import type { MarkerStore, NewestMarker } from './store.js';

export const defaultCanaryTable = 'drillbook_canary';

/** A SQL string literal (standard_conforming_strings: only the quote needs doubling). */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

export function createPostgresStore(options: CanaryPostgresOptions, password: string | undefined, env: Readonly<Record<string, string>>): MarkerStore {
  const connection = psqlConnection(options, password, env);
  const table = options.table ?? defaultCanaryTable;
  let session: PsqlSession | undefined;
  let statements = 0;
  // psql goes away with its connection (the database is the thing being broken): start a new one then.
  const live = (): PsqlSession => {
    if (!session?.alive) session = new PsqlSession(connection);
    return session;
  };
  // A statement given up on (timeout, stop) may still be queued in psql: that session is not reused.
  const run = async (sql: string, signal: AbortSignal): Promise<void> => {
    statements += 1;
    const current = live();
    try {
      await current.run(sql, `s${statements}`, signal);
    } catch (error) {
      if (signal.aborted) {
        session = undefined;
        await current.close(0);
      }
      throw error;
    }
  };
  return {
    describe: `postgres ${options.database} table ${table}`,
    prepare: (signal) =>
      run(
        `CREATE TABLE IF NOT EXISTS ${table} (seq bigint NOT NULL, written_at timestamptz NOT NULL, writer text NOT NULL, marker jsonb NOT NULL, server_at timestamptz NOT NULL DEFAULT clock_timestamp());`,
        signal,
      ),
    write: (marker, signal) => {
      const values = [String(marker.seq), literal(marker.writtenAt), literal(marker.writer), `${literal(JSON.stringify(marker))}::jsonb`];
      return run(`INSERT INTO ${table} (seq, written_at, writer, marker) VALUES (${values.join(', ')});`, signal);
    },
    async newest(signal): Promise<NewestMarker | undefined> {
      let output: string;
      try {
        output = await psqlQuery(
          connection,
          `SELECT json_build_object('marker', marker, 'serverAt', server_at, 'count', count(*) OVER ()) FROM ${table} ORDER BY written_at DESC, seq DESC LIMIT 1`,
          signal,
        );
      } catch (error) {
        if (/relation .* does not exist/.test((error as Error).message)) return undefined;
        throw error;
      }
      const line = output.trim();
      if (line === '') return undefined;
      const row = JSON.parse(line) as { marker: unknown; serverAt: string; count: number };
      const marker = parseMarker(JSON.stringify(row.marker));
      if (!marker) return undefined;
      return { marker, count: row.count, storeClockOffsetMs: Date.parse(row.serverAt) - Date.parse(marker.writtenAt) };
    },
    async close() {
      await session?.close();
      session = undefined;
    },
  };
}
