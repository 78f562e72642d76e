import { taskResourcesHeld } from '../../lambda/aws-gateways';

const int = (name: string, integerValue: number) => ({ name, type: 'INTEGER', integerValue });

describe('taskResourcesHeld', () => {
  test('held when remaining CPU or memory is below registered', () => {
    expect(taskResourcesHeld({ registeredResources: [int('CPU', 2048), int('MEMORY', 7680)], remainingResources: [int('CPU', 2048), int('MEMORY', 7168)] })).toBe(true);
    expect(taskResourcesHeld({ registeredResources: [int('CPU', 2048), int('MEMORY', 7680)], remainingResources: [int('CPU', 1792), int('MEMORY', 7680)] })).toBe(true);
  });

  test('not held when every reservation is back', () => {
    expect(taskResourcesHeld({ registeredResources: [int('CPU', 2048), int('MEMORY', 7680)], remainingResources: [int('CPU', 2048), int('MEMORY', 7680)] })).toBe(false);
  });

  test('unknown (undefined) when ECS reported no CPU or MEMORY pair; ports and other types are not compared', () => {
    expect(taskResourcesHeld({})).toBeUndefined();
    expect(taskResourcesHeld({ registeredResources: [], remainingResources: [] })).toBeUndefined();
    expect(taskResourcesHeld({ registeredResources: [int('CPU', 2048)], remainingResources: [] })).toBeUndefined();
    expect(taskResourcesHeld({
      registeredResources: [{ name: 'PORTS', type: 'STRINGSET', stringSetValue: ['22', '80'] }],
      remainingResources: [{ name: 'PORTS', type: 'STRINGSET', stringSetValue: ['22'] }],
    })).toBeUndefined();
  });
});
