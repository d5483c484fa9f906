/** Where an http step's `url` points: absolute, or joined onto the target's `baseUrl`. */

/** The URL to probe, or a message saying why there is none. */
export function resolveProbeUrl(url: string, baseUrl: string | undefined): { url: URL } | { problem: string } {
  const isAbsolute = /^[a-z][a-z\d+.-]*:/i.test(url);
  if (!isAbsolute && baseUrl === undefined) {
    return { problem: `url ${JSON.stringify(url)} is relative but the step names no http target with a baseUrl` };
  }
  // Joined as text, not by RFC 3986 resolution: `/health` on `https://h/api` means `https://h/api/health`,
  // which is what a base URL is for; resolution would drop `/api`.
  const text = isAbsolute ? url : `${(baseUrl ?? '').replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return { problem: `${JSON.stringify(text)} is not a valid URL` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { problem: `${JSON.stringify(text)} is not an http or https URL` };
  }
  return { url: parsed };
}

/** The URL as it may be shown and recorded: credentials in it are never repeated. */
export function displayUrl(url: URL): string {
  if (url.username === '' && url.password === '') return url.href;
  const shown = new URL(url.href);
  shown.username = '***';
  shown.password = '';
  return shown.href;
}

/**
 * What makes every request fail before it leaves this machine, known at the first attempt: credentials in
 * the URL (fetch refuses them), a header name or value that is not allowed (CR/LF from a var, say). The
 * message names the header, never its value.
 */
export function requestProblem(url: URL, headers: Readonly<Record<string, string>>): { code: string; message: string } | undefined {
  if (url.username !== '' || url.password !== '') {
    return { code: 'URL_CREDENTIALS', message: `${displayUrl(url)} has credentials in it, which are never sent: put a secret in a header instead (e.g. Authorization)` };
  }
  for (const [name, value] of Object.entries(headers)) {
    try {
      new Headers([[name, value]]);
    } catch {
      const why = /[\r\n]/.test(value) ? 'its value has a line break (CR or LF)' : /[\r\n]/.test(name) ? 'its name has a line break' : 'its name or value has characters HTTP does not allow';
      return { code: 'INVALID_HEADER', message: `header ${JSON.stringify(name.replace(/[^\x20-\x7e]/g, '?'))}: ${why}` };
    }
  }
  return undefined;
}
