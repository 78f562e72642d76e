/**
 * The Python, Java, .NET and Go bindings are generated from the jsii assembly (`.jsii`, written by `npm run build`)
 * with `jsii-pacmak --code-only`, which needs no network and no other toolchain. The generated Python is
 * byte-compiled, and the README's Python example is byte-compiled and its calls into this library are checked
 * against the generated signatures. (Compiling the Java, C# and Go sources would need aws-cdk-lib's published
 * packages for those languages, which are not installed here: their sources are checked for the API's names.)
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'edlh-pacmak-'));
const python3 = spawnSync('python3', ['--version']).status === 0 ? 'python3' : undefined;

jest.setTimeout(120_000);

beforeAll(() => {
  if (!fs.existsSync(path.join(root, '.jsii'))) throw new Error('no .jsii: run `npm run build` first (npm test does)');
  execFileSync(path.join(root, 'node_modules', '.bin', 'jsii-pacmak'),
    ['--code-only', '--no-npmignore', '--no-fingerprint', '--outdir', out], {
      cwd: root,
      stdio: 'pipe',
      // jsii-pacmak packs the module with `npm pack`, which would run the `prepare` script (a full build): the build
      // is done already.
      env: { ...process.env, npm_config_ignore_scripts: 'true', JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1' },
    });
});

afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

const read = (...parts: string[]) => fs.readFileSync(path.join(out, ...parts), 'utf8');

test('package.json names a module for every jsii language', () => {
  expect(pkg.jsii.targets).toEqual({
    python: { distName: 'ecs-draining-lifecycle-hook', module: 'ecs_draining_lifecycle_hook' },
    java: {
      package: 'io.github.ecsdraininglifecyclehook',
      maven: { groupId: 'io.github.ecs-draining-lifecycle-hook', artifactId: 'ecs-draining-lifecycle-hook' },
    },
    dotnet: { namespace: 'EcsDrainingLifecycleHook', packageId: 'EcsDrainingLifecycleHook' },
    go: { moduleName: 'github.com/ecs-draining-lifecycle-hook/ecs-draining-lifecycle-hook-go' },
  });
});

describe('Python', () => {
  const init = () => read('python', 'src', 'ecs_draining_lifecycle_hook', '__init__.py');

  test('the package requires the aws-cdk-lib range of package.json', () => {
    const lowest = /^\^(\d+\.\d+\.\d+)$/.exec(pkg.peerDependencies['aws-cdk-lib'])?.[1];
    expect(read('python', 'setup.py')).toContain(`"aws-cdk-lib>=${lowest}, <3.0.0"`);
  });

  test('the module has the constructor and the factory, with keyword arguments', () => {
    expect(init()).toMatch(/class DrainingLifecycleHook\(/);
    expect(init()).toMatch(/def for_capacity_provider\(\s+cls,\s+scope: [^,]+,\s+id: builtins\.str,\s+\*,\s+capacity_provider:/);
  });

  const withPython = python3 ? test : test.skip;
  if (!python3) console.warn('python3 is not installed: the generated Python and the README example are not compiled');

  withPython('the generated Python byte-compiles', () => {
    const result = spawnSync(python3!, ['-m', 'compileall', '-q', path.join(out, 'python', 'src')], { encoding: 'utf8' });
    expect({ status: result.status, output: result.stdout + result.stderr }).toEqual({ status: 0, output: '' });
  });

  withPython('the README\'s Python example byte-compiles, and calls this library with arguments the bindings take', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const examples = [...readme.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(examples.length).toBeGreaterThanOrEqual(1);
    const script = path.join(out, 'check_readme.py');
    fs.writeFileSync(script, CHECK_CALLS);
    for (const example of examples) {
      const result = spawnSync(python3!, [script, path.join(out, 'python', 'src', 'ecs_draining_lifecycle_hook', '__init__.py')],
        { input: example, encoding: 'utf8' });
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
      // Every example calls into the library at least once: the check above looked at something.
      expect(Number(result.stdout.trim())).toBeGreaterThan(0);
    }
  });

  withPython('the check catches a keyword argument the bindings do not take', () => {
    const script = path.join(out, 'check_readme.py');
    fs.writeFileSync(script, CHECK_CALLS);
    const wrong = 'DrainingLifecycleHook.for_capacity_provider(self, "DrainHook", cluster=c, capacityProvider=p)\n';
    const result = spawnSync(python3!, [script, path.join(out, 'python', 'src', 'ecs_draining_lifecycle_hook', '__init__.py')],
      { input: wrong, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/for_capacity_provider: unknown keyword capacityProvider; missing capacity_provider/);
  });
});

test('Java: the package, the builder of the factory\'s props, and forCapacityProvider', () => {
  const dir = ['java', 'src', 'main', 'java', 'io', 'github', 'ecsdraininglifecyclehook'];
  expect(read(...dir, 'DrainingLifecycleHook.java')).toMatch(/public static .*DrainingLifecycleHook forCapacityProvider\(/);
  expect(read(...dir, 'CapacityProviderDrainingLifecycleHookProps.java')).toMatch(/^\s+static Builder builder\(\) {$/m);
  expect(read('java', 'pom.xml')).toContain('<artifactId>ecs-draining-lifecycle-hook</artifactId>');
});

test('.NET: the namespace and ForCapacityProvider', () => {
  expect(read('dotnet', 'EcsDrainingLifecycleHook', 'EcsDrainingLifecycleHook', 'DrainingLifecycleHook.cs'))
    .toMatch(/namespace EcsDrainingLifecycleHook[\s\S]*public static EcsDrainingLifecycleHook\.DrainingLifecycleHook ForCapacityProvider\(/);
});

test('Go: the module and DrainingLifecycleHook_ForCapacityProvider', () => {
  expect(read('go', 'ecsdraininglifecyclehook', 'go.mod'))
    .toMatch(/^module github\.com\/ecs-draining-lifecycle-hook\/ecs-draining-lifecycle-hook-go\/ecsdraininglifecyclehook$/m);
  expect(read('go', 'ecsdraininglifecyclehook', 'DrainingLifecycleHook.go'))
    .toContain('func DrainingLifecycleHook_ForCapacityProvider(scope constructs.Construct, id *string, props *CapacityProviderDrainingLifecycleHookProps) DrainingLifecycleHook {');
});

/**
 * Reads a Python example on stdin, byte-compiles it, and checks each call of `DrainingLifecycleHook(...)` and
 * `DrainingLifecycleHook.<method>(...)` against the generated signature: every keyword must be a parameter, and every
 * required keyword-only parameter must be given. Prints the number of calls checked.
 */
const CHECK_CALLS = String.raw`
import ast, sys

source = sys.stdin.read()
compile(source, "README.md (python)", "exec")
bindings = ast.parse(open(sys.argv[1]).read())
cls = next(n for n in bindings.body if isinstance(n, ast.ClassDef) and n.name == "DrainingLifecycleHook")
methods = {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef)}

problems, checked = [], 0
for call in (n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)):
    f = call.func
    if isinstance(f, ast.Name) and f.id == "DrainingLifecycleHook":
        name = "__init__"
    elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "DrainingLifecycleHook":
        name = f.attr
    else:
        continue
    checked += 1
    if name not in methods:
        problems.append(f"{name}: not in the bindings")
        continue
    args = methods[name].args
    kwonly = [a.arg for a in args.kwonlyargs]
    required = {a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None}
    given = [k.arg for k in call.keywords]
    unknown = [k for k in given if k not in kwonly]
    missing = sorted(required - set(given))
    if unknown or missing:
        problems.append(f"{name}: unknown keyword {', '.join(unknown)}; missing {', '.join(missing)}")

if problems:
    sys.stderr.write("\n".join(problems) + "\n")
    sys.exit(1)
print(checked)
`;
