/** How to answer a waiting manual step, or approve a waiting run, from another terminal: the command line, ready to paste. */

/** `text` as one POSIX shell word. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

export function answerCommandLine(bundleDir: string, stepId: string): string {
  return `drillbook answer ${shellWord(bundleDir)} ${shellWord(stepId)} --pass|--fail --comment '…'`;
}

export function approveCommandLine(bundleDir: string, stepId?: string): string {
  return `drillbook approve ${shellWord(bundleDir)}${stepId !== undefined ? ` --step ${shellWord(stepId)}` : ''} --key YOUR.key`;
}
