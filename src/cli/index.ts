#!/usr/bin/env node
/** The drillbook command line. The only place that calls process.exit; commands load lazily. */
import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import type { CheckFlags } from './commands/check.js';
import type { KeysGenerateFlags } from './commands/keys.js';
import type { PlanFlags } from './commands/plan.js';
import type { RunbookFlags } from './commands/runbook.js';
import type { AnswerFlags } from './commands/answer.js';
import type { ApproveFlags } from './commands/approve.js';
import type { RecoverFlags } from './commands/recover.js';
import type { ResumeFlags } from './commands/resume.js';
import type { ReportFlags } from './commands/report.js';
import type { RunFlags } from './commands/run.js';
import type { SignFlags } from './commands/sign.js';
import type { ValidateFlags } from './commands/validate.js';
import type { VerifyFlags } from './commands/verify.js';
import type { DueFlags } from './commands/due.js';
import type { HistoryFlags } from './commands/history.js';
import type { RunDueFlags } from './commands/run-due.js';
import type { ScheduleFlags } from './commands/schedule.js';
import type { DashboardFlags } from './commands/dashboard.js';
import type { StorePushFlags, StoreUnlockFlags } from './commands/store.js';
import { exitCodes } from './exit-codes.js';
import { processIo, type CliIo } from './io.js';
import { reportError } from './report-error.js';
import { toolVersion } from './version.js';

// The AWS SDK is pinned while drillbook supports Node 20; its notice about future releases is not for operators.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function terminalIo(): CliIo {
  const io = processIo();
  if (!process.stdin.isTTY || !process.stdout.isTTY) return io;
  return {
    ...io,
    terminal: { input: process.stdin, output: process.stdout },
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
    .option('--debug', 'print stack traces of internal errors (also DRILLBOOK_DEBUG=1)')
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
    .command('runbook')
    .description('print the scenario as a runbook to carry out by hand: host keys to check, every step with its command as it will run, success, what to do if it fails, limits, a column for times')
    .argument('<file>', 'scenario file')
    .addOption(new Option('--format <format>', 'md for a wiki, html to print, pdf (printed by Chromium; needs --out)').choices(['md', 'html', 'pdf']).default('md'))
    .option('--out <file>', 'write the runbook to this file instead of standard output')
    .option('--var <name=value>', 'override a declared var (repeatable)', collect)
    .option('--ssh-config <file>', 'read host aliases from this OpenSSH client config (default ~/.ssh/config), to find the host keys to check')
    .option('--chromium <path>', 'the Chromium that prints --format pdf (default $DRILLBOOK_CHROMIUM, else chromium on PATH)')
    .action(async (file: string, flags: RunbookFlags) => {
      const { runbookCommand } = await import('./commands/runbook.js');
      exitCode = await runbookCommand(file, flags, io);
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
    .option('--runbook <file>', 'the runbook the team has at hand (from `drillbook runbook`): its digest goes into the record, and a runbook of another scenario version is a deviation')
    .option('--ssh-config <file>', 'read host aliases (HostName, User, Port, IdentityFile, ProxyJump) from this OpenSSH client config')
    .action(async (file: string, flags: RunFlags) => {
      const { runCommand } = await import('./commands/run.js');
      exitCode = await runCommand(file, flags, io, process);
    });

  program
    .command('answer')
    .description("answer a manual step a run waits on, from this or another terminal or machine that sees the bundle (the first answer counts)")
    .argument('<bundle>', 'bundle folder of the waiting run')
    .argument('<step>', 'id of the manual step')
    .option('--pass', 'the step was carried out: every checklist item done, every value recorded')
    .option('--fail', 'the step could not be carried out (say why with --comment)')
    .option('--comment <text>', 'what the person says (required with --fail)')
    .option('--input <name=value>', 'a value the step asks you to record (repeatable)', collect)
    .option('--key <file>', 'sign the answer with this Ed25519 private key (its key id goes into the record)')
    .option('--operator <name>', 'who answers (default $DRILLBOOK_OPERATOR or the login name)')
    .option('--json', 'print the answer written as JSON')
    .action(async (bundle: string, step: string, flags: AnswerFlags) => {
      const { answerCommand } = await import('./commands/answer.js');
      exitCode = await answerCommand(bundle, step, flags, io);
    });

  program
    .command('approve')
    .description('sign the approval a waiting run asks for (scenario approval:, or a step uses: approval); the run goes on once its quorum of approver keys signed')
    .argument('<bundle>', 'bundle folder of the waiting run')
    .option('--key <file>', 'your Ed25519 private key: its public half must be one the scenario (or its trust file) names')
    .option('--step <id>', 'the step uses: approval to approve (default: the run\'s own approval, else the one step waiting)')
    .option('--comment <text>', 'why you approve, kept in the signed approval')
    .option('--operator <name>', 'who approves (default $DRILLBOOK_OPERATOR or the login name)')
    .option('--json', 'print the approval written as JSON')
    .action(async (bundle: string, flags: ApproveFlags) => {
      const { approveCommand } = await import('./commands/approve.js');
      exitCode = await approveCommand(bundle, flags, io);
    });

  program
    .command('check')
    .description('readiness check: validate, then reach every ssh target, verify its host key and login, find its commands (exit 4 when not ready)')
    .argument('<file>', 'scenario file')
    .option('--var <name=value>', 'override a declared var (repeatable)', collect)
    .option('--ssh-config <file>', 'read host aliases from this OpenSSH client config')
    .action(async (file: string, flags: CheckFlags) => {
      const { checkCommand } = await import('./commands/check.js');
      exitCode = await checkCommand(file, flags, io);
    });

  program
    .command('recover')
    .description('finish a crashed run with its own inputs: stop what it left running, run its remaining cleanup, close its record as ABORTED')
    .argument('<bundle>', 'bundle folder of the unfinished run')
    .option('--operator <name>', 'who recovers (default $DRILLBOOK_OPERATOR or the login name)')
    .option('--sign-key <file>', 'Ed25519 private key to sign the record (default $DRILLBOOK_SIGNING_KEY)')
    .option('--json', 'print NDJSON events')
    .option('--ssh-config <file>', "a copy of the OpenSSH client config the run read (same text; default: the file the run read)")
    .option('--var <name=value>', 'give again a --var value the journal kept redacted because it held a secret (checked against its digest)', collect)
    .option('--trust-bundle', 'recover a run this machine did not start (another machine, an old journal): you have checked its scenario.yaml and journal')
    .action(async (bundle: string, flags: RecoverFlags) => {
      const { recoverCommand } = await import('./commands/recover.js');
      exitCode = await recoverCommand(bundle, flags, io, process);
    });

  program
    .command('resume')
    .description('continue a crashed or abandoned run from its journal with its own inputs: finished steps keep their results, a step cut short runs again only when declared idempotent')
    .argument('<bundle>', 'bundle folder of the unfinished run')
    .option('--operator <name>', 'who resumes (default $DRILLBOOK_OPERATOR or the login name)')
    .option('--sign-key <file>', 'Ed25519 private key to sign the record (default $DRILLBOOK_SIGNING_KEY)')
    .option('--yes', 'confirm resuming a production run non-interactively')
    .option('--json', 'print NDJSON events')
    .option('--ssh-config <file>', "a copy of the OpenSSH client config the run read (same text; default: the file the run read)")
    .option('--var <name=value>', 'give again a --var value the journal kept redacted because it held a secret (checked against its digest)', collect)
    .option('--trust-bundle', 'resume a run this machine did not start (another machine, an old journal): you have checked its scenario.yaml and journal')
    .action(async (bundle: string, flags: ResumeFlags) => {
      const { resumeCommand } = await import('./commands/resume.js');
      exitCode = await resumeCommand(bundle, flags, io, process);
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

  const storeOptions = (command: Command, trustRequired: boolean): Command =>
    command
      .option('--store <dir|url>', 'evidence store: a folder or s3://bucket/prefix[?endpoint=URL&lock-bucket=NAME]', 'reports')
      .option('--trust <file>', 'trusted public key (SPKI PEM); repeatable; also $DRILLBOOK_TRUST (KEY:KEY)', collect)
      .option('--threshold <n>', 'distinct trusted keys that must have signed a run', '1')
      .option('--unverified', trustRequired ? 'read the store without trusted keys: integrity only, no run counts as verified' : 'read without trusted keys (the default when none is given)')
      .option('--index <file>', 'cache of verification results (default under $XDG_CACHE_HOME/drillbook)')
      .option('--no-index', 'verify every bundle again');
  const notifyOptions = (command: Command): Command =>
    command
      .option('--notify <file>', 'webhooks to notify (YAML or JSON; default $DRILLBOOK_NOTIFY)')
      .option('--webhook <url>', 'a webhook to notify (repeatable; Slack and Teams URLs are recognised)', collect)
      .addOption(new Option('--webhook-format <format>', 'payload of --webhook URLs').choices(['generic', 'slack', 'teams']));

  notifyOptions(
    storeOptions(
      program
        .command('due')
        .description('the register: every scenario with last run, last pass, next due date and status (exit 5 when one is overdue)')
        .argument('[dir...]', 'folders (searched recursively) or files of scenarios', ['scenarios']),
      true,
    ),
  )
    .option('--soon <duration>', 'how long before its due date a scenario is "due soon" (default: a tenth of its cadence, 1h to 14d)')
    .option('--fail-on <statuses>', 'statuses that exit 5, comma-separated: overdue, never-run, stale, due-soon', 'overdue')
    .option('--at <time>', 'judge at this ISO 8601 time instead of now')
    .option('--json', 'print the register as JSON')
    .action(async (dirs: string[], flags: DueFlags) => {
      const { dueCommand } = await import('./commands/due.js');
      exitCode = await dueCommand(dirs, flags, io);
    });

  storeOptions(
    program
      .command('history')
      .description('runs from the evidence store with verdict, RTO and RPO against targets, and the trend')
      .argument('[scenario]', 'scenario id (default: every scenario in the store)'),
    false,
  )
    .option('--limit <n>', 'newest runs per scenario', '20')
    .option('--json', 'print the history as JSON')
    .action(async (scenario: string | undefined, flags: HistoryFlags) => {
      const { historyCommand } = await import('./commands/history.js');
      exitCode = await historyCommand(scenario, flags, io);
    });

  const launchOptions = (command: Command): Command =>
    command
      .option('--operator <name>', 'who the runs are recorded as run by (default $DRILLBOOK_OPERATOR or the login name)')
      .option('--sign-key <file>', 'Ed25519 private key to sign each record (default $DRILLBOOK_SIGNING_KEY)')
      .option('--yes', 'let scenarios with environment: production start unattended')
      .option('--soon <duration>', 'cadence-only scenarios start this long before they become overdue (default: a tenth of the cadence)')
      .option('--work <dir>', 'with an s3:// store: the local folder runs are made in before upload', 'reports')
      .option('--retention-days <days>', 'with an s3:// store: Object Lock retention of uploaded evidence (default: the bucket default)')
      .addOption(new Option('--retention-mode <mode>', 'Object Lock mode of that retention').choices(['governance', 'compliance']));

  launchOptions(
    notifyOptions(
      storeOptions(
        program
          .command('run-due')
          .description('one pass for cron, systemd timers and Kubernetes CronJobs: record missed slots, run every scenario due now inside its window')
          .argument('[dir...]', 'folders (searched recursively) or files of scenarios', ['scenarios']),
        true,
      ),
    ),
  )
    .option('--dry-run', 'say what would start, start nothing, record nothing')
    .option('--json', 'print NDJSON events')
    .action(async (dirs: string[], flags: RunDueFlags) => {
      const { runDueCommand } = await import('./commands/run-due.js');
      exitCode = await runDueCommand(dirs, flags, io, process);
    });

  launchOptions(
    notifyOptions(
      storeOptions(
        program
          .command('schedule')
          .description('the long-running scheduler: starts due scenarios inside their windows; SIGTERM lets running drills finish')
          .argument('[dir...]', 'folders (searched recursively) or files of scenarios', ['scenarios']),
        true,
      ),
    ),
  )
    .option('--concurrency <n>', 'runs of different scenarios at once', '1')
    .option('--interval <duration>', 'longest pause between passes (picks up edited scenarios)', '60s')
    .option('--json', 'print NDJSON events')
    .action(async (dirs: string[], flags: ScheduleFlags) => {
      const { scheduleCommand } = await import('./commands/schedule.js');
      exitCode = await scheduleCommand(dirs, flags, io, process);
    });

  storeOptions(
    program
      .command('dashboard')
      .description('write a static, self-contained HTML site of the register: status, trends against targets, every run report')
      .argument('[dir...]', 'folders (searched recursively) or files of scenarios', ['scenarios']),
    true,
  )
    .requiredOption('--out <dir>', 'folder of the site (new, empty, or an earlier dashboard)')
    .option('--soon <duration>', 'how long before its due date a scenario is "due soon"')
    .action(async (dirs: string[], flags: DashboardFlags) => {
      const { dashboardCommand } = await import('./commands/dashboard.js');
      exitCode = await dashboardCommand(dirs, flags, io);
    });

  const store = program.command('store').description('an S3 evidence store: upload bundles, remove a stale run lock');
  store
    .command('push')
    .description('upload sealed bundles write-once, with their digests and Object Lock retention')
    .argument('<bundle...>', 'bundle folders')
    .requiredOption('--store <url>', 's3://bucket/prefix[?endpoint=URL]')
    .option('--retention-days <days>', 'Object Lock retention of every uploaded object (default: the bucket default)')
    .addOption(new Option('--retention-mode <mode>', 'Object Lock mode').choices(['governance', 'compliance']))
    .option('--json', 'print the result as JSON')
    .action(async (bundles: string[], flags: StorePushFlags) => {
      const { storePushCommand } = await import('./commands/store.js');
      exitCode = await storePushCommand(bundles, flags, io);
    });
  store
    .command('unlock')
    .description("remove a scenario's run lock left by a machine that died (check first that it did)")
    .argument('<scenario>', 'scenario id')
    .requiredOption('--store <url>', 's3://bucket/prefix[?endpoint=URL&lock-bucket=NAME]')
    .action(async (scenario: string, flags: StoreUnlockFlags) => {
      const { storeUnlockCommand } = await import('./commands/store.js');
      exitCode = await storeUnlockCommand(scenario, flags, io);
    });

  try {
    await program.parseAsync(argv);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return exitCodes.ok;
    if (typeof code === 'string' && code.startsWith('commander.')) return exitCodes.invalidInput;
    return reportError(error, io, argv.includes('--debug') || process.env['DRILLBOOK_DEBUG'] === '1');
  }
  return exitCode;
}

// Writes to pipes and files are synchronous on Linux, so exiting here loses no output.
process.exit(await main(process.argv));
