/**
 * API.md is generated from the JSDoc by jsii-docgen (`npm run docgen`) and must match the current API: the public
 * API compiled with jsii (`npm run build`) and the committed reference cannot drift apart.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..');

jest.setTimeout(120_000);

test('the jsii assembly exports exactly the public API', () => {
  const assembly = JSON.parse(fs.readFileSync(path.join(root, '.jsii'), 'utf8'));
  expect(Object.keys(assembly.types).sort()).toEqual([
    'ecs-draining-lifecycle-hook.CapacityProviderDrainingLifecycleHookProps',
    'ecs-draining-lifecycle-hook.DrainBudget',
    'ecs-draining-lifecycle-hook.DrainEventType',
    'ecs-draining-lifecycle-hook.DrainTimeoutBehavior',
    'ecs-draining-lifecycle-hook.DrainingLifecycleHook',
    'ecs-draining-lifecycle-hook.DrainingLifecycleHookOptions',
    'ecs-draining-lifecycle-hook.DrainingLifecycleHookProps',
    'ecs-draining-lifecycle-hook.DrainingLifecycleHookWarnings',
    'ecs-draining-lifecycle-hook.OnDrainEventOptions',
    'ecs-draining-lifecycle-hook.RetainOptions',
    'ecs-draining-lifecycle-hook.StandaloneTaskPolicy',
    'ecs-draining-lifecycle-hook.TaskProtectionPolicy',
  ]);
  expect(Object.keys(assembly.targets).sort()).toEqual(['dotnet', 'go', 'java', 'js', 'python']);
});

test('API.md is up to date (run `npm run docgen` after changing the public API)', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'edlh-docgen-')), 'API.md');
  execFileSync(path.join(root, 'node_modules', '.bin', 'jsii-docgen'), ['-o', out], { cwd: root, stdio: 'pipe' });
  expect(fs.readFileSync(path.join(root, 'API.md'), 'utf8')).toEqual(fs.readFileSync(out, 'utf8'));
});
