/** How to answer a waiting manual step from another terminal: the command line, ready to paste. */

/** `text` as one POSIX shell word. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

export function answerCommandLine(bundleDir: string, stepId: string): string {
  return `drillbook answer ${shellWord(bundleDir)} ${shellWord(stepId)} --pass|--fail --comment '…'`;
}
