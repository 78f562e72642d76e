/**
 * The scenarios have teeth: the same emulator runs a naive handler (complete on runningTasksCount == 0, no
 * heartbeats) and the product's handler on identical worlds. The naive one must fail exactly where a real cluster
 * would cut connections or lose the lifecycle action; the product must pass.
 */
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import type { Emulator } from '../../emulator';
import { MINUTE, SECOND, expectCleanDrains, withEmulator, within } from './assertions';

jest.setTimeout(120_000);

const NAIVE = path.join(__dirname, 'naive-handler.js');

async function deactivatingTrap(emu: Emulator) {
  const id = emu.world.addInstance({ serviceTasks: 2, deactivatingMs: 5 * MINUTE });
  emu.world.scaleIn(id);
  return emu.waitForOutcomes([id], 20 * MINUTE);
}

/** ECS keeps the tasks running for 10 minutes (say, waiting for healthy replacements): longer than the heartbeat. */
async function slowReplacement(emu: Emulator) {
  emu.world.drainReactionMs = 10 * MINUTE;
  const id = emu.world.addInstance({ serviceTasks: 2, deactivatingMs: 10 * SECOND });
  emu.world.scaleIn(id);
  return emu.waitForOutcomes([id], 30 * MINUTE);
}

const props = { heartbeatTimeout: Duration.minutes(3) };

describe('tasks DEACTIVATING while runningTasksCount is 0', () => {
  test('the naive handler terminates the instance with tasks still running', () => withEmulator({ scale: 40, handlerFile: NAIVE, props }, async (emu) => {
    const outcomes = await deactivatingTrap(emu);
    expect(outcomes[0].tasksNotStopped).toBe(2);
    expect(() => expectCleanDrains(outcomes, within(emu, 5 * SECOND))).toThrow();
  }));

  test('the product waits until every task is STOPPED', () => withEmulator({ scale: 40, props }, async (emu) => {
    expectCleanDrains(await deactivatingTrap(emu), within(emu, 5 * SECOND));
  }));
});

describe('a drain longer than the heartbeat timeout', () => {
  test('the naive handler lets the lifecycle action expire', () => withEmulator({ scale: 40, handlerFile: NAIVE, props }, async (emu) => {
    const outcomes = await slowReplacement(emu);
    expect(outcomes[0].how).toBe('expired');
    expect(() => expectCleanDrains(outcomes, within(emu, 5 * SECOND))).toThrow();
  }));

  test('the product keeps it alive and completes after the tasks stop', () => withEmulator({ scale: 40, props }, async (emu) => {
    expectCleanDrains(await slowReplacement(emu), within(emu, 5 * SECOND));
  }));
});
