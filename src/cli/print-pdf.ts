/**
 * Print a self-contained HTML page to PDF with the system's Chromium (headless), as a person would with
 * "Print → Save as PDF": no browser is downloaded, none is bundled. `--chromium`, then $DRILLBOOK_CHROMIUM,
 * then chromium, chromium-browser, google-chrome on PATH.
 */
import { execa } from 'execa';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DrillbookError } from '../errors.js';
import { writeFileAtomic } from '../evidence/atomic-write.js';

const names = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findChromium(given: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const named = given ?? env['DRILLBOOK_CHROMIUM'];
  if (named !== undefined && named !== '') {
    if (!executable(named)) throw new DrillbookError('USAGE', `${named} is not an executable Chromium`, { hint: 'name the browser with --chromium PATH' });
    return named;
  }
  for (const dir of (env['PATH'] ?? '').split(delimiter).filter(Boolean)) {
    for (const name of names) if (executable(join(dir, name))) return join(dir, name);
  }
  throw new DrillbookError('USAGE', '--format pdf needs Chromium, and none was found on PATH', {
    hint: 'install it (Debian: apt-get install chromium) or name it with --chromium PATH; --format html prints from any browser',
  });
}

export async function printToPdf(html: string, out: string, chromium?: string): Promise<void> {
  const browser = findChromium(chromium);
  const work = mkdtempSync(join(tmpdir(), 'drillbook-pdf-'));
  try {
    const page = join(work, 'page.html');
    const pdf = join(work, 'page.pdf');
    writeFileSync(page, html);
    const args = [
      '--headless',
      '--disable-gpu',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-extensions',
      '--no-pdf-header-footer',
      `--user-data-dir=${join(work, 'profile')}`,
      // Chromium refuses to run as root with its sandbox; the page is our own, without scripts or links out.
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      `--print-to-pdf=${pdf}`,
      pathToFileURL(page).href,
    ];
    const printed = await execa(browser, args, { reject: false, timeout: 120_000, stdin: 'ignore', all: true });
    let bytes: Buffer | undefined;
    try {
      bytes = readFileSync(pdf);
    } catch {
      bytes = undefined;
    }
    if (!bytes || bytes.subarray(0, 5).toString('latin1') !== '%PDF-') {
      const tail = (printed.all ?? '').split('\n').filter((line) => line.trim() !== '').slice(-3).join('\n');
      throw new DrillbookError('PRECONDITION', `${browser} did not print the PDF (${printed.timedOut ? 'timed out' : `exit code ${String(printed.exitCode)}`})`, {
        details: tail,
        hint: 'print the --format html output from a browser instead',
      });
    }
    writeFileAtomic(resolve(out), bytes);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
