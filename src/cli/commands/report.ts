/** `drillbook report BUNDLE --key PUB… [--format html|json|junit|md] [--out FILE]`: re-render a verified bundle. */
import { writeFileAtomic } from '../../evidence/atomic-write.js';
import { renderHtml, type ReportContext } from '../../evidence/render-html.js';
import { renderJunit } from '../../evidence/render-junit.js';
import { renderMarkdown } from '../../evidence/render-markdown.js';
import { stableStringify } from '../../evidence/stable-json.js';
import { verifyBundle } from '../../evidence/verify.js';
import { DrillbookError } from '../../errors.js';
import { exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { reportError } from '../report-error.js';
import { assertBundleDir, loadKeys, parseThreshold, reportJson } from './verify.js';

export const reportFormats = ['html', 'json', 'junit', 'md'] as const;
export type ReportFormat = (typeof reportFormats)[number];

export interface ReportFlags {
  key?: string[];
  threshold?: number | string;
  format?: string;
  /** Write to this file (atomically) instead of stdout. */
  out?: string;
}

export async function reportCommand(bundle: string, flags: ReportFlags, io: CliIo): Promise<number> {
  try {
    const format = parseFormat(flags.format);
    const threshold = parseThreshold(flags.threshold);
    const report = await verifyBundle(assertBundleDir(bundle), { keys: loadKeys(flags.key), threshold });
    if (!report.ok || !report.statement || !report.payloadSha256) {
      const first = report.firstFailure;
      io.stderr(`drillbook: ${bundle} does not verify, nothing rendered: ${first ? `${first.title}: ${first.details[0] ?? ''}` : 'no record'}\n  hint: \`drillbook verify ${bundle} --key …\` lists every check\n`);
      return exitCodes.verificationFailed;
    }
    const record = report.statement.predicate;
    const sealing = report.signers.find((s) => s.role === 'sealed');
    const context: ReportContext = {
      verification: { payloadSha256: report.payloadSha256, signers: report.signers, threshold },
      subjects: report.statement.subject,
      ...(sealing ? { sealingKeyId: sealing.keyid } : {}),
    };
    const text =
      format === 'html'
        ? renderHtml(record, context)
        : format === 'junit'
          ? renderJunit(record)
          : format === 'md'
            ? renderMarkdown(record, context)
            : `${stableStringify({ verification: reportJson(report), statement: report.statement })}\n`;
    if (flags.out) {
      writeFileAtomic(flags.out, text);
      io.stderr(`wrote ${flags.out}\n`);
    } else {
      io.stdout(text);
    }
    return exitCodes.ok;
  } catch (error) {
    return reportError(error, io);
  }
}

function parseFormat(format: string | undefined): ReportFormat {
  const value = format ?? 'html';
  if (!(reportFormats as readonly string[]).includes(value)) {
    throw new DrillbookError('USAGE', `--format must be one of ${reportFormats.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as ReportFormat;
}
