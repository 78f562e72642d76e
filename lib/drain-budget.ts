import { Token } from 'aws-cdk-lib';

/**
 * A disruption budget: how many of the group's instances may drain at once (`maxConcurrentDrains`). When Auto
 * Scaling terminates more instances at once than the budget allows (a large scale-in, an instance refresh, a Spot
 * rebalance), the instances over it wait in their lifecycle wait state, kept alive with heartbeats and not yet
 * DRAINING, and start draining as drains of the group end, oldest termination first. See docs/design-budget.md.
 */
export class DrainBudget {
  /**
   * At most `instances` drains at once.
   *
   * @param instances a whole number, at least 1
   */
  public static count(instances: number): DrainBudget {
    return new DrainBudget('COUNT', instances);
  }

  /**
   * At most `percentage` % of the group's InService instances drain at once, rounded up, and never fewer than 1.
   * The percentage is taken of the instances in service each time a drain could start: during a scale-in, the
   * instances terminating are no longer in service.
   *
   * @param percentage a whole number from 1 to 100
   */
  public static percent(percentage: number): DrainBudget {
    return new DrainBudget('PERCENT', percentage);
  }

  /** `COUNT` or `PERCENT`. @internal */
  public readonly _kind: string;
  /** @internal */
  public readonly _value: number;

  private constructor(kind: string, value: number) {
    this._kind = kind;
    this._value = value;
  }

  /**
   * The value of the handler's MAX_CONCURRENT_DRAINS: `<n>` or `<n>%`.
   *
   * @internal
   */
  public _render(): string {
    const value = Token.isUnresolved(this._value) ? Token.asString(this._value) : String(this._value);
    return this._kind === 'PERCENT' ? `${value}%` : value;
  }
}
