/** Templates are data: in a URL a secret is encoded as a component, so it cannot change where the URL points. */
import { describe, expect, it } from 'vitest';
import { resolveStepTemplates } from '../../src/engine/resolve-templates.js';
import { step } from './support.js';

const values = { vars: { host: '127.0.0.1:8080', path: 'a/b' }, secrets: { key: 'correct horse#battery\\staple?x=1' }, outputs: () => undefined };

describe('resolveStepTemplates', () => {
  it('encodes a secret inside a URL (options and argv), and only there', () => {
    const resolved = resolveStepTemplates(
      step('probe', [], {
        with: { url: 'http://${{ vars.host }}/${{ vars.path }}?api_key=${{ secrets.key }}', header: 'Bearer ${{ secrets.key }}' },
        run: ['curl', 'https://${{ vars.host }}/v1/keys/${{ secrets.key }}', '${{ secrets.key }}'],
      }),
      values,
    );
    expect(resolved).toEqual({
      ok: true,
      options: { url: 'http://127.0.0.1:8080/a/b?api_key=correct%20horse%23battery%5Cstaple%3Fx%3D1', header: 'Bearer correct horse#battery\\staple?x=1' },
      argv: ['curl', 'https://127.0.0.1:8080/v1/keys/correct%20horse%23battery%5Cstaple%3Fx%3D1', 'correct horse#battery\\staple?x=1'],
    });
    const url = new URL((resolved as unknown as { options: { url: string } }).options.url);
    expect([url.hash, url.searchParams.get('api_key')]).toEqual(['', 'correct horse#battery\\staple?x=1']);
  });
});
