import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Freshet's version, from its package.json: two levels up from the source file, three from the compiled one
 * (dist/src/cli). Read at run time so the number is never copied into the code.
 */
export function freshetVersion(): string {
  for (const up of ['../..', '../../..']) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, up, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'freshet' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not there: try the next level.
    }
  }
  return 'unknown';
}
