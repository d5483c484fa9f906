/** The route to a host in one line, as `drillbook check` prints it: direct, a bastion chain, or a proxy command. */
import { addressOf } from './connect.js';
import type { ResolvedHost } from './resolve.js';

export function describeRoute(host: ResolvedHost): string {
  const hops: ResolvedHost[] = [];
  for (let hop: ResolvedHost | undefined = host; hop; hop = hop.jump) hops.unshift(hop);
  const [first] = hops;
  const chain = hops.map((hop) => `${hop.label} (${addressOf(hop)})`).join(' → ');
  if (first?.proxyCommand) return `ProxyCommand ${JSON.stringify(first.proxyCommand.line)} (${first.proxyCommand.origin}) → ${chain}`;
  return hops.length === 1 ? `direct to ${chain}` : chain;
}
