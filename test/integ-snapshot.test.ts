import * as fs from 'fs';
import * as path from 'path';
import { SNAPSHOT_DIR, synthIntegTemplates } from './integ-snapshot';

jest.setTimeout(120_000);

test('the integ test\'s committed snapshot matches what it synthesizes (run `npm run integ:snapshot` after a deliberate change)', () => {
  const current = synthIntegTemplates();
  const committed = Object.fromEntries(fs.readdirSync(SNAPSHOT_DIR).sort().map((f) => [f, fs.readFileSync(path.join(SNAPSHOT_DIR, f), 'utf8')]));
  expect(Object.keys(current)).toEqual(['DrainOnScaleInDefaultTestDeployAssert6F4D4F37.template.json', 'DrainingLifecycleHookInteg.template.json']);
  expect(current).toEqual(committed);
});
