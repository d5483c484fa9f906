/** Who runs the drill: `--operator`, else DRILLBOOK_OPERATOR, else the login name. */
import { userInfo } from 'node:os';

export function operatorName(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag;
  if (env['DRILLBOOK_OPERATOR']) return env['DRILLBOOK_OPERATOR'];
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
