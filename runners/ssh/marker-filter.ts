/**
 * Removes the preamble's marker line from stderr and reports it. Anything the login shell printed before
 * it (a noisy .bashrc) passes through; after the marker, or after `scanLimitBytes` without one, the
 * stream passes through untouched.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { parseMarker, type RemoteProcess } from './remote-command.js';

const scanLimitBytes = 64 * 1024;

export function createMarkerFilter(nonce: string, onMarker: (process: RemoteProcess) => void): Transform {
  let scanning = true;
  let held = Buffer.alloc(0);

  const scan = (data: Buffer): Buffer => {
    let lineStart = 0;
    for (let newline = data.indexOf(10); newline !== -1; newline = data.indexOf(10, lineStart)) {
      const found = parseMarker(data.subarray(lineStart, newline).toString('utf8'), nonce);
      if (found) {
        scanning = false;
        onMarker(found);
        return Buffer.concat([data.subarray(0, lineStart), data.subarray(newline + 1)]);
      }
      lineStart = newline + 1;
    }
    if (data.length >= scanLimitBytes) {
      scanning = false;
      return data;
    }
    // Keep the unfinished last line: it may be the start of the marker.
    held = Buffer.from(data.subarray(lineStart));
    return data.subarray(0, lineStart);
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (!scanning) {
        callback(null, chunk);
        return;
      }
      const data = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      held = Buffer.alloc(0);
      const out = scan(data);
      callback(null, out.length === 0 ? undefined : out);
    },
    flush(callback: TransformCallback) {
      const rest = held;
      held = Buffer.alloc(0);
      callback(null, rest.length === 0 ? undefined : rest);
    },
  });
}
