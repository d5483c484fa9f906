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
