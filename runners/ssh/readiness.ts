/**
 * The readiness check of every ssh-family runner: each ssh target a step uses is reached, its host key
 * verified, authentication proven and the commands its steps call found. Read-only.
 */
import type { PreflightCheck, PreflightRequest } from '../../src/runner-contract.js';

/** Commands to look for on each target: the first word of each `ssh` step's argument array. */
function commandsByTarget(request: PreflightRequest): Record<string, { command: string; sudo?: boolean }[]> {
  const byTarget: Record<string, { command: string; sudo?: boolean }[]> = {};
  for (const step of request.steps) {
    const command = step.run?.[0];
    if (step.uses !== 'ssh' || !step.on || !command || command.includes('${{')) continue;
    (byTarget[step.on] ??= []).push({ command, ...(step.with['sudo'] === true ? { sudo: true } : {}) });
  }
  return byTarget;
}

export async function preflightSshSteps(request: PreflightRequest): Promise<PreflightCheck[]> {
  const used = new Set(request.steps.flatMap((s) => (s.on ? [s.on] : [])));
  const targets = Object.fromEntries(Object.entries(request.targets).filter(([name, t]) => t.kind === 'ssh' && used.has(name)));
  if (Object.keys(targets).length === 0) return [];
  const { checkSshTargets, describeCheckFailures } = await import('./preflight.js');
  const result = await checkSshTargets(targets, commandsByTarget(request), {
    baseDir: request.baseDir,
    settings: request.settings,
    secret: (name) => request.secret(name),
    ...(request.signal ? { signal: request.signal } : {}),
  });
  return result.targets.map((t) => {
    // The way drillbook will take to each host (direct, a jump chain, a proxy command), before anything else.
    const routes = t.hosts.flatMap((h) => (h.route ? [`ssh ${t.target} ${h.host}: route ${h.route}`] : []));
    const ready = t.hosts.filter((h) => h.ok).map((h) => `ssh ${t.target} ${h.host}: ready${h.hostKey[0] ? ` (${h.hostKey[0].fingerprint})` : ''}`);
    const failed = describeCheckFailures({ ok: false, targets: [t] });
    const rule = t.rule && !t.ok ? [`${t.target}: ${t.rule} not met`] : [];
    return { target: t.target, ok: t.ok, lines: t.ok ? [...routes, ...ready, ...failed] : [...routes, ...failed, ...rule] };
  });
}
