// Writes the published JSON Schemas from the built code (run through `npm run schema`, which builds first).
import { writeFile } from 'node:fs/promises';
import { builtinRunners } from '../dist/runners/index.js';
import { runRecordJsonSchema } from '../dist/src/evidence/run-record-schema.js';
import { scenarioJsonSchema } from '../dist/src/scenario/json-schema.js';

const root = new URL('../', import.meta.url);

/** [file under the repository root, function returning the schema]. */
const schemas = [
  ['schema/scenario.schema.json', () => scenarioJsonSchema(builtinRunners)],
  ['schema/run-record.schema.json', () => runRecordJsonSchema()],
];

for (const [file, generate] of schemas) {
  const target = new URL(file, root);
  await writeFile(target, `${JSON.stringify(generate(), null, 2)}\n`);
  console.log(`wrote ${file}`);
}
