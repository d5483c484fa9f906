/**
 * Every ssh_config(5) keyword OpenSSH 9.2 knows (with Debian's GSSAPI patch, plus a few later ones), and
 * what drillbook does with it.
 * This is the one place the list is written down; docs/runners.md mirrors it and a test keeps the two equal.
 *
 * - `supported`: read and applied as OpenSSH applies it.
 * - `ignored`: read and ignored, because it cannot change the route, the login, the host key drillbook
 *   trusts or what the remote command sees (or drillbook is already stricter).
 * - `refused`: drillbook cannot do what it asks; when it is set for the host being resolved, resolution
 *   fails with SSH_CONFIG naming the file and line, unless its value is one of `harmless`.
 */

export type KeywordKind = 'supported' | 'ignored' | 'refused';

export interface KeywordRule {
  /** Spelling as ssh_config(5) writes it. */
  name: string;
  kind: KeywordKind;
  /** Why, in a few words (the docs table and refusal messages quote it). */
  note: string;
  /** refused only: values (lower case, first argument) that behave as drillbook already does. */
  harmless?: readonly string[];
  /** refused only: a test on all arguments instead of `harmless`. */
  harmlessWhen?: (args: readonly string[]) => boolean;
}

const no = ['no', 'false'] as const;
const noneValue = ['none'] as const;

function rule(name: string, kind: KeywordKind, note: string, harmless?: readonly string[]): KeywordRule {
  return harmless === undefined ? { name, kind, note } : { name, kind, note, harmless };
}

const rules: KeywordRule[] = [
  // Structure.
  rule('Host', 'supported', 'patterns, `*` `?` wildcards, `!` negation; matched against the name as given'),
  rule('Match', 'supported', 'all, canonical, final, exec, host, originalhost, user, localuser (others are an error, as in OpenSSH 9.2)'),
  rule('Include', 'supported', 'globs, several files per line, relative to ~/.ssh, 16 levels deep, conditional inside Host/Match'),
  rule('IgnoreUnknown', 'supported', 'unknown keywords matching these patterns are skipped'),
  // Where and as whom.
  rule('HostName', 'supported', 'with %h and %%'),
  rule('User', 'supported', 'taken literally, as OpenSSH 9.2 does; the target\'s `user` wins, as `ssh -l` does'),
  rule('Port', 'supported', 'the target\'s `port` wins, as `ssh -p` does'),
  rule('AddressFamily', 'supported', 'inet / inet6 force the address family of a direct connection'),
  rule('ProxyJump', 'supported', 'chains `a,b`, `user@host:port`, ssh:// URIs, `none`; the first of ProxyJump/ProxyCommand set wins'),
  rule('ProxyCommand', 'supported', 'run with `$SHELL -c "exec …"` (else /bin/sh), %h %n %p %r %% expanded; `none` disables'),
  rule('ConnectTimeout', 'supported', 'bounds connect + handshake + login; `none` keeps drillbook\'s default'),
  rule('ServerAliveInterval', 'supported', 'keepalive interval; 0 turns keepalives off'),
  rule('ServerAliveCountMax', 'supported', 'unanswered keepalives before the host counts as lost'),
  // Login.
  rule('IdentityFile', 'supported', '~, ${VAR} and the % tokens expanded; duplicates dropped'),
  rule('IdentitiesOnly', 'supported', 'only the identity files are tried; the agent only signs for those keys'),
  rule('IdentityAgent', 'supported', 'a socket path, SSH_AUTH_SOCK, $VAR, or none'),
  rule('PubkeyAuthentication', 'refused', 'drillbook logs in with keys only', ['yes', 'true', 'unbound', 'host-bound']),
  {
    name: 'PreferredAuthentications',
    kind: 'refused',
    note: 'drillbook logs in with keys only: the list must name publickey',
    harmlessWhen: (args) => (args[0] ?? '').toLowerCase().split(',').includes('publickey'),
  },
  rule('PasswordAuthentication', 'ignored', 'drillbook never sends passwords (a host that needs one fails with AUTH_FAILED)'),
  rule('KbdInteractiveAuthentication', 'ignored', 'never used; drillbook never prompts'),
  rule('ChallengeResponseAuthentication', 'ignored', 'never used; drillbook never prompts'),
  rule('KbdInteractiveDevices', 'ignored', 'never used'),
  rule('NumberOfPasswordPrompts', 'ignored', 'never prompts'),
  rule('BatchMode', 'ignored', 'drillbook never prompts'),
  rule('GSSAPIAuthentication', 'ignored', 'not offered (a host that needs it fails with AUTH_FAILED)'),
  rule('GSSAPIDelegateCredentials', 'refused', 'Kerberos credentials are not forwarded', no),
  // Debian's GSSAPI key exchange patch.
  rule('GSSAPIKeyExchange', 'ignored', 'not offered; host keys are still verified'),
  rule('GSSAPIKexAlgorithms', 'ignored', 'GSSAPI key exchange is not used'),
  rule('GSSAPIClientIdentity', 'ignored', 'GSSAPI is not used'),
  rule('GSSAPIServerIdentity', 'ignored', 'GSSAPI is not used'),
  rule('GSSAPIRenewalForcesRekey', 'ignored', 'GSSAPI is not used'),
  rule('GSSAPITrustDNS', 'ignored', 'GSSAPI is not used'),
  rule('HostbasedAuthentication', 'ignored', 'not offered'),
  rule('HostbasedAcceptedAlgorithms', 'ignored', 'host-based login is not used'),
  rule('HostbasedKeyTypes', 'ignored', 'host-based login is not used'),
  rule('EnableSSHKeysign', 'ignored', 'host-based login is not used'),
  rule('CertificateFile', 'refused', 'ssh2 cannot log in with OpenSSH certificates'),
  rule('PKCS11Provider', 'refused', 'no hardware tokens', noneValue),
  rule('SmartcardDevice', 'refused', 'no hardware tokens', noneValue),
  rule('SecurityKeyProvider', 'ignored', 'FIDO keys are not supported by ssh2 (such a key file fails to load)'),
  rule('AddKeysToAgent', 'ignored', 'drillbook never adds keys to an agent'),
  rule('PubkeyAcceptedAlgorithms', 'refused', 'drillbook cannot restrict the key algorithms ssh2 signs with'),
  rule('PubkeyAcceptedKeyTypes', 'refused', 'drillbook cannot restrict the key algorithms ssh2 signs with'),
  rule('CASignatureAlgorithms', 'ignored', 'certificates are not used'),
  // Host keys.
  rule('UserKnownHostsFile', 'supported', '~, ${VAR} and % tokens; several files; none'),
  rule('GlobalKnownHostsFile', 'supported', 'several files; none'),
  rule('HostKeyAlias', 'supported', 'the name looked up in known_hosts'),
  rule('StrictHostKeyChecking', 'ignored', 'drillbook is always strict: an unlisted key fails with HOST_KEY_UNKNOWN and nothing is ever added'),
  rule('CheckHostIP', 'ignored', 'drillbook checks the host key against the host name (or HostKeyAlias) only'),
  rule('HashKnownHosts', 'ignored', 'drillbook never writes known_hosts'),
  rule('UpdateHostKeys', 'ignored', 'drillbook never writes known_hosts'),
  rule('VerifyHostKeyDNS', 'ignored', 'stricter: SSHFP records never vouch for a key'),
  rule('NoHostAuthenticationForLocalhost', 'ignored', 'stricter: localhost keys are verified too'),
  rule('VisualHostKey', 'ignored', 'display only'),
  rule('FingerprintHash', 'ignored', 'drillbook always records SHA256 fingerprints'),
  rule('HostKeyAlgorithms', 'refused', 'drillbook picks host key algorithms from the pins or known_hosts entries'),
  rule('KnownHostsCommand', 'refused', 'host keys come from pins or known_hosts files only', noneValue),
  rule('RevokedHostKeys', 'refused', 'a revocation list is not read (mark keys @revoked in known_hosts instead)', noneValue),
  rule('RequiredRSASize', 'refused', 'ssh2 does not enforce a minimum RSA key size'),
  // Transport.
  rule('Ciphers', 'refused', 'drillbook cannot restrict ssh2\'s algorithms'),
  rule('MACs', 'refused', 'drillbook cannot restrict ssh2\'s algorithms'),
  rule('KexAlgorithms', 'refused', 'drillbook cannot restrict ssh2\'s algorithms'),
  rule('Compression', 'ignored', 'a transport detail'),
  rule('RekeyLimit', 'ignored', 'ssh2 rekeys on its own schedule'),
  rule('TCPKeepAlive', 'ignored', 'drillbook relies on SSH keepalives (ServerAliveInterval)'),
  rule('IPQoS', 'ignored', 'a transport detail'),
  rule('BindAddress', 'refused', 'the source address cannot be chosen'),
  rule('BindInterface', 'refused', 'the source interface cannot be chosen'),
  rule('ProxyUseFdpass', 'refused', 'the proxy command must relay the connection on its standard output', no),
  rule('ConnectionAttempts', 'ignored', 'one attempt per connection; the step\'s retries do the rest'),
  rule('CanonicalizeHostname', 'refused', 'host names are not canonicalised', no),
  rule('CanonicalDomains', 'ignored', 'only used with CanonicalizeHostname'),
  rule('CanonicalizeFallbackLocal', 'ignored', 'only used with CanonicalizeHostname'),
  rule('CanonicalizeMaxDots', 'ignored', 'only used with CanonicalizeHostname'),
  rule('CanonicalizePermittedCNAMEs', 'ignored', 'only used with CanonicalizeHostname'),
  // Multiplexing: drillbook pools its own connections.
  rule('ControlMaster', 'ignored', 'drillbook pools its own connections'),
  rule('ControlPath', 'ignored', 'drillbook pools its own connections'),
  rule('ControlPersist', 'ignored', 'drillbook pools its own connections'),
  // What the remote command sees.
  rule('ForwardAgent', 'refused', 'the agent is not forwarded to the host', no),
  rule('ForwardX11', 'refused', 'X11 is not forwarded', no),
  rule('ForwardX11Trusted', 'ignored', 'only used with ForwardX11'),
  rule('ForwardX11Timeout', 'ignored', 'only used with ForwardX11'),
  rule('XAuthLocation', 'ignored', 'only used with ForwardX11'),
  rule('SendEnv', 'refused', 'no environment is sent; use the step\'s `env`'),
  rule('SetEnv', 'refused', 'no environment is sent; use the step\'s `env`'),
  rule('RequestTTY', 'refused', 'commands never get a terminal', ['no', 'false', 'auto']),
  rule('RemoteCommand', 'refused', 'the step\'s `run` is the command', noneValue),
  rule('SessionType', 'refused', 'every step opens an ordinary command session', ['default']),
  rule('StdinNull', 'ignored', 'the step decides what stdin carries (`input`)'),
  rule('ForkAfterAuthentication', 'ignored', 'drillbook waits for the command'),
  rule('EscapeChar', 'ignored', 'no terminal'),
  rule('EnableEscapeCommandline', 'ignored', 'no terminal'),
  rule('LocalCommand', 'ignored', 'only runs with PermitLocalCommand, which is refused'),
  rule('PermitLocalCommand', 'refused', 'no local command is run after login', no),
  // Forwarding.
  rule('LocalForward', 'refused', 'no port forwarding'),
  rule('RemoteForward', 'refused', 'no port forwarding'),
  rule('DynamicForward', 'refused', 'no port forwarding'),
  rule('Tunnel', 'refused', 'no tun/tap forwarding', no),
  rule('TunnelDevice', 'ignored', 'only used with Tunnel'),
  rule('ClearAllForwardings', 'ignored', 'nothing is forwarded anyway'),
  rule('ExitOnForwardFailure', 'ignored', 'nothing is forwarded'),
  rule('GatewayPorts', 'ignored', 'nothing is forwarded'),
  rule('PermitRemoteOpen', 'ignored', 'nothing is forwarded'),
  rule('StreamLocalBindMask', 'ignored', 'nothing is forwarded'),
  rule('StreamLocalBindUnlink', 'ignored', 'nothing is forwarded'),
  // Logging.
  rule('LogLevel', 'ignored', 'drillbook logs through its own logger'),
  rule('LogVerbose', 'ignored', 'drillbook logs through its own logger'),
  rule('SyslogFacility', 'ignored', 'drillbook logs through its own logger'),
  // Later OpenSSH releases (unknown to 9.2, accepted so newer configs keep working).
  rule('Tag', 'ignored', 'only used by `Match tagged`, which is refused'),
  rule('ChannelTimeout', 'ignored', 'drillbook bounds steps with their own timeouts'),
  rule('ObscureKeystrokeTiming', 'ignored', 'no terminal'),
  rule('WarnWeakCrypto', 'ignored', 'display only'),
  rule('RefuseConnection', 'refused', 'OpenSSH would refuse to connect to this host'),
];

/** Spellings OpenSSH still reads, and the keyword they stand for. */
const aliases: Readonly<Record<string, string>> = {
  identityfile2: 'IdentityFile',
  dsaauthentication: 'PubkeyAuthentication',
  skeyauthentication: 'KbdInteractiveAuthentication',
  tisauthentication: 'KbdInteractiveAuthentication',
  keepalive: 'TCPKeepAlive',
};

/** Deprecated or compiled-out keywords OpenSSH accepts and ignores (it logs a notice at most). */
const obsolete = [
  'protocol',
  'cipher',
  'fallbacktorsh',
  'globalknownhostsfile2',
  'rhostsauthentication',
  'userknownhostsfile2',
  'useroaming',
  'usersh',
  'useprivilegedport',
  'afstokenpassing',
  'kerberosauthentication',
  'kerberostgtpassing',
  'rsaauthentication',
  'rhostsrsaauthentication',
  'compressionlevel',
] as const;

const byName = new Map<string, KeywordRule>(rules.map((entry) => [entry.name.toLowerCase(), entry]));
for (const [alias, target] of Object.entries(aliases)) {
  const entry = byName.get(target.toLowerCase());
  if (entry) byName.set(alias, entry);
}
const obsoleteRule: KeywordRule = { name: '(obsolete)', kind: 'ignored', note: 'deprecated or unsupported in OpenSSH; it ignores it too' };
for (const name of obsolete) byName.set(name, obsoleteRule);

/** The rule of a keyword (any case), or undefined when OpenSSH does not know it either. */
export function keywordRule(keyword: string): KeywordRule | undefined {
  return byName.get(keyword.toLowerCase());
}

/** Whether a refused keyword's arguments make it harmless. */
export function isHarmless(entry: KeywordRule, args: readonly string[]): boolean {
  if (entry.harmlessWhen) return entry.harmlessWhen(args);
  return entry.harmless !== undefined && entry.harmless.includes((args[0] ?? '').toLowerCase());
}

/** The table in order, for the docs and their test. */
export const sshConfigKeywordTable: readonly KeywordRule[] = rules;
/** Obsolete spellings ignored as OpenSSH ignores them. */
export const obsoleteSshConfigKeywords: readonly string[] = obsolete;
/** Old spellings read as the keyword they stand for. */
export const sshConfigKeywordAliases: Readonly<Record<string, string>> = aliases;
