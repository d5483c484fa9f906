// Reconcile tables of a restored database against the source: row count and an order-independent
// checksum (md5 of the sorted row texts) per table. Prints JSON; exit 0 when every table matches, 1 if not.
// Usage: pg-compare.mjs SOURCE_DB RESTORED_DB TABLE… (connection from PGHOST, PGPORT, PGUSER, PGPASSWORD)
import { spawnSync } from 'node:child_process';

const [source, restored, ...tables] = process.argv.slice(2);
if (!source || !restored || tables.length === 0) {
  console.error('usage: pg-compare.mjs SOURCE_DB RESTORED_DB TABLE…');
  process.exit(2);
}
for (const table of tables) {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) {
    console.error(`not a plain table name: ${table}`);
    process.exit(2);
  }
}

const facts = (database, table) => {
  const sql = `SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM ${table} t`;
  const result = spawnSync(process.env.PSQL ?? 'psql', ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-d', database, '-c', sql], { encoding: 'utf8' });
  if (result.status !== 0) return { error: result.stderr.trim() || `psql exited with ${result.status}` };
  const [rows, md5] = result.stdout.trim().split(' ');
  return { rows: Number(rows), md5 };
};

const report = tables.map((table) => {
  const a = facts(source, table);
  const b = facts(restored, table);
  return { table, source: a, restored: b, match: !a.error && !b.error && a.rows === b.rows && a.md5 === b.md5 };
});
const match = report.every((entry) => entry.match);
const rows = report.reduce((sum, entry) => sum + (entry.restored.rows ?? 0), 0);
console.log(JSON.stringify({ match, tables: report.length, rows, report }, null, 2));
process.exit(match ? 0 : 1);
