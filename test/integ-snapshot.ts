/**
 * Offline snapshot of the integ test (test/integ.drain.ts): synthesizes its app and writes or compares the
 * templates in test/integ.drain.ts.snapshot/, with asset hashes masked. integ-runner 2.197 (the newest available)
 * bundles a toolkit that cannot read aws-cdk-lib 2.276's cloud assembly (schema 55), so this does its snapshot step.
 *
 *   npm run integ:snapshot   # after a deliberate change
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..');
export const SNAPSHOT_DIR = path.join(__dirname, 'integ.drain.ts.snapshot');

/** Synthesizes the integ app; returns its templates by file name, asset hashes masked. */
export function synthIntegTemplates(): Record<string, string> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'edlh-integ-'));
  execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'integ.drain.ts')], {
    cwd: root, env: { ...process.env, CDK_OUTDIR: outdir }, stdio: 'pipe',
  });
  const templates: Record<string, string> = {};
  for (const file of fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json')).sort()) {
    // asset hashes change with every handler edit; integ-tests-alpha salts each assertion with the synth time
    templates[file] = fs.readFileSync(path.join(outdir, file), 'utf8')
      .replace(/[0-9a-f]{64}/g, '[ASSET HASH]')
      .replace(/(salt\\?"\s*:\s*\\?")\d+/g, '$1[SALT]');
  }
  fs.rmSync(outdir, { recursive: true, force: true });
  return templates;
}

if (require.main === module && process.argv.includes('--update')) {
  fs.rmSync(SNAPSHOT_DIR, { recursive: true, force: true });
  fs.mkdirSync(SNAPSHOT_DIR);
  for (const [file, text] of Object.entries(synthIntegTemplates())) fs.writeFileSync(path.join(SNAPSHOT_DIR, file), text);
  console.log(`wrote ${fs.readdirSync(SNAPSHOT_DIR).join(', ')}`);
}
