import * as fs from 'fs';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';

/**
 * The pre-bundled drain handler (built by `npm run bundle` into assets/drain-handler and shipped in the npm
 * package), so consumers never bundle: no esbuild and no Docker at synth time.
 *
 * Internal: not exported from lib/index.ts.
 */
export class DrainHandlerFunction extends lambda.Function {
  /**
   * The newest Node.js runtime: it ships AWS SDK v3, which the bundle keeps external. scripts/bundle-handler.js
   * targets the same Node.js version.
   */
  static readonly RUNTIME = lambda.Runtime.NODEJS_24_X;

  /** The group handler's entry point: lifecycle events, the sweep, and the events of its other rules. */
  static readonly GROUP_ENTRY = 'index.handler';
  /** The cluster's task-event consumer (lib/cluster-task-events.ts): the same bundle, another export. */
  static readonly TASK_EVENT_ENTRY = 'index.taskEventHandler';

  constructor(scope: Construct, id: string, props: Omit<lambda.FunctionProps, 'code' | 'handler' | 'runtime'>,
    entry: string) {
    super(scope, id, {
      ...props,
      code: lambda.Code.fromAsset(DrainHandlerFunction.assetPath()),
      handler: entry,
      runtime: DrainHandlerFunction.RUNTIME,
    });
  }

  /** Where the bundled handler lives, both in this repository and in the installed package. */
  static assetPath(): string {
    const dir = path.join(__dirname, '..', 'assets', 'drain-handler');
    if (!fs.existsSync(path.join(dir, 'index.js'))) {
      throw new Error(`the bundled drain handler is missing at ${dir}: run 'npm run build' in ecs-draining-lifecycle-hook (published packages include it)`);
    }
    return dir;
  }
}
