/**
 * Every ```ts example in the README, in docs/ and in CONTRIBUTING.md compiles against this library's sources (imports
 * of 'ecs-draining-lifecycle-hook' resolve to lib/), so the documentation cannot drift from the API.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const root = path.join(__dirname, '..');
const documents = ['README.md', 'CONTRIBUTING.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const blocksOf = (file: string) => [...fs.readFileSync(path.join(root, file), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
const readmeBlocks = blocksOf('README.md');
const blocks = documents.flatMap((file) => blocksOf(file).map((code, i) => ({ name: `${file.replace(/[/.]/g, '-')}-${i + 1}`, code })));

jest.setTimeout(120_000);

test('the README and the docs have TypeScript examples', () => {
  expect(readmeBlocks.length).toBeGreaterThanOrEqual(2);
  expect(blocks.length).toBeGreaterThan(readmeBlocks.length);
});

test('every example in the README and the docs type-checks', () => {
  const dir = path.join(root, '.readme-examples');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir);
  const files = blocks.map(({ name, code }) => {
    const file = path.join(dir, `${name}.ts`);
    fs.writeFileSync(file, code);
    return file;
  });
  try {
    const program = ts.createProgram(files, {
      strict: true, noEmit: true, skipLibCheck: true, esModuleInterop: true, target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, types: ['node'],
      baseUrl: root, paths: { 'ecs-draining-lifecycle-hook': ['lib/index.ts'] },
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(diagnostics).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
