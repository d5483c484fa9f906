#!/usr/bin/env node
/** The drillbook command line. The only place that calls process.exit; commands load lazily. */
import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import type { KeysGenerateFlags } from './commands/keys.js';
import type { PlanFlags } from './commands/plan.js';
import type { RecoverFlags } from './commands/recover.js';
import type { ReportFlags } from './commands/report.js';
import type { RunFlags } from './commands/run.js';
import type { SignFlags } from './commands/sign.js';
import type { ValidateFlags } from './commands/validate.js';
import type { VerifyFlags } from './commands/verify.js';
import { exitCodes } from './exit-codes.js';
import { processIo, type CliIo } from './io.js';
import { reportError } from './report-error.js';
import { toolVersion } from './version.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function terminalIo(): CliIo {
  const io = processIo();
  if (!process.stdin.isTTY || !process.stdout.isTTY) return io;
  return {
    ...io,
    async confirm(question) {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        return (await rl.question(question)).trim().toLowerCase() === 'yes';
      } finally {
        rl.close();
      }
    },
  };
}

async function main(argv: string[]): Promise<number> {
  const io = terminalIo();
  let exitCode: number = exitCodes.ok;
  const program = new Command('drillbook')
    .description('Disaster-recovery and reversibility drills from YAML scenarios, with signed evidence.')
    .version(toolVersion())
    .showHelpAfterError()
    .exitOverride();

  program
    .command('validate')
    .description('check scenario files; every problem at once as file:line:column (exit 2 when any is invalid)')
    .argument('<file...>', 'scenario files')
    .option('--var <name=value>', 'override a declared var (repeatable)', collect)
    .option('--json', 'print the result as JSON')
    .action(async (files: string[], flags: ValidateFlags) => {
      const { validateCommand } = await import('./commands/validate.js');
      exitCode = await validateCommand(files, flags, io);
    });

  program
    .command('plan')
    .description('print the compiled plan: steps, order, groups, timeouts, retries, marks, preconditions, cleanup')
    .argument('<file>', 'scenario file')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'mermaid', 'json']).default('text'))
    .option('--var <name=value>', 'override a declared var (repeatable)', collect)
    .action(async (file: string, flags: PlanFlags) => {
      const { planCommand } = await import('./commands/plan.js');
      exitCode = await planCommand(file, flags, io);
    });

  program
    .command('run')
    .description('run a scenario and write its evidence bundle')
    .argument('<file>', 'scenario file')
    .option('--out <dir>', "this run's bundle folder (default <store>/<scenario-id>/<run-id>/)")
    .option('--store <dir>', 'evidence store root', 'reports')
    .option('--var <name=value>', 'override a declared var (repeatable)', collect)
    .option('--operator <name>', 'who runs the drill (default $DRILLBOOK_OPERATOR or the login name)')
    .option('--yes', 'confirm a production run without asking')
    .option('--json', 'print NDJSON events on stdout instead of progress')
    .option('--sign-key <file>', 'Ed25519 private key (PKCS#8 PEM) to sign the record (default $DRILLBOOK_SIGNING_KEY)')
    .option('--break-lock', 'remove the lock of a crashed run without recovering it (recorded as a deviation)')
    .action(async (file: string, flags: RunFlags) => {
      const { runCommand } = await import('./commands/run.js');
      exitCode = await runCommand(file, flags, io, process);
    });

  program
    .command('recover')
    .description('finish a crashed run: stop what it left running, run its remaining cleanup, close its record as ABORTED')
    .argument('<bundle>', 'bundle folder of the unfinished run')
    .option('--operator <name>', 'who recovers (default $DRILLBOOK_OPERATOR or the login name)')
    .option('--sign-key <file>', 'Ed25519 private key to sign the record (default $DRILLBOOK_SIGNING_KEY)')
    .option('--json', 'print NDJSON events')
    .action(async (bundle: string, flags: RecoverFlags) => {
      const { recoverCommand } = await import('./commands/recover.js');
      exitCode = await recoverCommand(bundle, flags, io);
    });

  const keys = program.command('keys').description('Ed25519 signing keys for evidence bundles');
  keys
    .command('generate')
    .description('write NAME.key (private, PKCS#8 PEM, mode 0600) and NAME.pub (SPKI PEM); print the key id')
    .argument('<name>', 'path and name of the key pair, without extension (e.g. keys/alice)')
    .option('--force', 'replace an existing key pair')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, flags: KeysGenerateFlags) => {
      const { keysGenerateCommand } = await import('./commands/keys.js');
      exitCode = await keysGenerateCommand(name, flags, io);
    });
  keys
    .command('id')
    .description('print the key id (hex SHA-256 of the SPKI DER) of a public or private key file')
    .argument('<file>', 'PEM key file')
    .action(async (file: string) => {
      const { keysIdCommand } = await import('./commands/keys.js');
      exitCode = await keysIdCommand(file, {}, io);
    });

  program
    .command('sign')
    .description('add a sign-off (signatures/<keyid>.dsse.json) to a sealed bundle without changing anything else')
    .argument('<bundle>', 'bundle folder')
    .requiredOption('--key <file>', 'your Ed25519 private key (PKCS#8 PEM)')
    .option('--role <role>', 'what your signature means: reviewer, approver, …', 'reviewer')
    .option('--json', 'print the result as JSON')
    .action(async (bundle: string, flags: SignFlags) => {
      const { signCommand } = await import('./commands/sign.js');
      exitCode = await signCommand(bundle, flags, io);
    });

  program
    .command('verify')
    .description('verify a bundle offline: signatures by pinned keys, every file digest, the journal chain, record vs journal (exit 0 valid, 3 not)')
    .argument('<bundle>', 'bundle folder')
    .option('--key <file>', 'trusted public key (SPKI PEM); repeatable', collect)
    .option('--threshold <n>', 'distinct trusted keys that must have signed (0: integrity only)', '1')
    .option('--previous <bundle>', 'previous bundle of the same scenario: check the chain of records')
    .option('--json', 'print the full report as JSON')
    .action(async (bundle: string, flags: VerifyFlags) => {
      const { verifyCommand } = await import('./commands/verify.js');
      exitCode = await verifyCommand(bundle, flags, io);
    });

  program
    .command('report')
    .description('re-render a verified bundle with its payload hash and signers (exit 3 when it does not verify)')
    .argument('<bundle>', 'bundle folder')
    .option('--key <file>', 'trusted public key (SPKI PEM); repeatable', collect)
    .option('--threshold <n>', 'distinct trusted keys that must have signed', '1')
    .addOption(new Option('--format <format>', 'output format').choices(['html', 'json', 'junit', 'md']).default('html'))
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (bundle: string, flags: ReportFlags) => {
      const { reportCommand } = await import('./commands/report.js');
      exitCode = await reportCommand(bundle, flags, io);
    });

  try {
    await program.parseAsync(argv);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return exitCodes.ok;
    if (typeof code === 'string' && code.startsWith('commander.')) return exitCodes.invalidInput;
    return reportError(error, io);
  }
  return exitCode;
}

// Writes to pipes and files are synchronous on Linux, so exiting here loses no output.
process.exit(await main(process.argv));
