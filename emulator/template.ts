/**
 * Reads what the emulator needs from a synthesized template: the lifecycle hooks, the EventBridge rules and the
 * function, with CloudFormation intrinsics (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split) resolved to
 * emulator names.
 */
export interface ResolveContext {
  readonly template: Record<string, any>;
  readonly region: string;
  readonly account: string;
}

const PSEUDO: Record<string, (ctx: ResolveContext) => string> = {
  'AWS::Partition': () => 'aws',
  'AWS::Region': (ctx) => ctx.region,
  'AWS::AccountId': (ctx) => ctx.account,
  'AWS::URLSuffix': () => 'amazonaws.com',
  'AWS::StackName': () => 'EmulatorStack',
  'AWS::NoValue': () => '',
};

function resourceOf(ctx: ResolveContext, logicalId: string): any {
  const resource = ctx.template.Resources?.[logicalId];
  if (!resource) throw new Error(`reference to unknown resource ${logicalId}`);
  return resource;
}

/** Physical name of a resource for `Ref`: its name property when set, else a stable name from the logical id. */
function refOf(ctx: ResolveContext, logicalId: string): string {
  if (PSEUDO[logicalId]) return PSEUDO[logicalId](ctx);
  if (ctx.template.Parameters?.[logicalId]) return String(ctx.template.Parameters[logicalId].Default ?? logicalId);
  const resource = resourceOf(ctx, logicalId);
  const p = resource.Properties ?? {};
  switch (resource.Type) {
    case 'AWS::AutoScaling::LifecycleHook': return p.LifecycleHookName ?? `${logicalId}-hook`;
    case 'AWS::Lambda::Function': return p.FunctionName ?? logicalId;
    case 'AWS::SQS::Queue': return `https://sqs.${ctx.region}.amazonaws.com/${ctx.account}/${p.QueueName ?? logicalId}`;
    case 'AWS::Logs::LogGroup': return p.LogGroupName ?? `/aws/lambda/${logicalId}`;
    default: return logicalId;
  }
}

/** `Fn::GetAtt` of the attributes the construct uses; anything else gets a recognisable placeholder. */
function getAtt(ctx: ResolveContext, logicalId: string, attribute: string): string {
  const resource = resourceOf(ctx, logicalId);
  const p = resource.Properties ?? {};
  const { region, account } = ctx;
  if (attribute === 'Arn') {
    switch (resource.Type) {
      case 'AWS::Lambda::Function': return `arn:aws:lambda:${region}:${account}:function:${refOf(ctx, logicalId)}`;
      case 'AWS::SQS::Queue': return `arn:aws:sqs:${region}:${account}:${p.QueueName ?? logicalId}`;
      case 'AWS::IAM::Role': return `arn:aws:iam::${account}:role/${p.RoleName ?? logicalId}`;
      case 'AWS::Events::Rule': return `arn:aws:events:${region}:${account}:rule/${p.Name ?? logicalId}`;
      case 'AWS::Logs::LogGroup': return `arn:aws:logs:${region}:${account}:log-group:${refOf(ctx, logicalId)}:*`;
      default: break;
    }
  }
  if (resource.Type === 'AWS::SQS::Queue' && attribute === 'QueueName') return p.QueueName ?? logicalId;
  return `arn:aws:emulated:${region}:${account}:${logicalId}`;
}

/** `Fn::Sub` with `${Name}`, `${Resource.Attribute}` and an optional map of variables. */
function sub(ctx: ResolveContext, arg: unknown): string {
  const [text, vars] = Array.isArray(arg) ? [arg[0] as string, resolve(ctx, arg[1] ?? {}) as Record<string, string>] : [arg as string, {}];
  return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
    if (name in vars) return String(vars[name]);
    const dot = name.indexOf('.');
    return dot > 0 && !PSEUDO[name] ? getAtt(ctx, name.slice(0, dot), name.slice(dot + 1)) : refOf(ctx, name);
  }).replace(/\$\{!/g, '${');
}

export function resolve(ctx: ResolveContext, value: unknown): any {
  if (Array.isArray(value)) return value.map((v) => resolve(ctx, v));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const [k] = keys;
    const arg = obj[k] as any;
    switch (k) {
      case 'Ref': return refOf(ctx, arg);
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split(/\.(.*)/s);
        return getAtt(ctx, id, attribute);
      }
      case 'Fn::Join': return (resolve(ctx, arg[1]) as unknown[]).join(arg[0]);
      case 'Fn::Sub': return sub(ctx, arg);
      case 'Fn::Select': return (resolve(ctx, arg[1]) as unknown[])[Number(resolve(ctx, arg[0]))];
      case 'Fn::Split': return String(resolve(ctx, arg[1])).split(arg[0]);
      default:
        if (k.startsWith('Fn::')) throw new Error(`${k} is not supported by the emulator`);
    }
  }
  return Object.fromEntries(keys.map((k) => [k, resolve(ctx, obj[k])]));
}

export function resourcesOfType(template: Record<string, any>, type: string): Array<[string, any]> {
  return Object.entries(template.Resources ?? {}).filter(([, r]: [string, any]) => r.Type === type) as Array<[string, any]>;
}
