import { ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { COMMAND_ACTIONS, SdkEcsGateway, UnlistedApiCallError, isTransientAwsError } from '../../lambda/aws-gateways';
import { ClusterNotFoundError } from '../../lambda/ports';
import { HANDLER_API_CALLS, iamActionOf } from '../../lib/handler-api-calls';

describe('the adapters send only what the role allows', () => {
  test('every command class the adapters send has exactly one action of HANDLER_API_CALLS, and every listed call a command', () => {
    expect([...COMMAND_ACTIONS.values()].sort()).toEqual(HANDLER_API_CALLS.map(iamActionOf).sort());
  });

  test('a command whose class is not listed is refused before it is sent', async () => {
    const ecs = mockClient(ECSClient);
    try {
      // GIVEN a command class the adapters do not know (a subclass is another class)
      class SneakyListTasks extends ListTasksCommand {}
      const gateway = new SdkEcsGateway(new ECSClient({ region: 'eu-west-1' }), 'prod') as unknown as {
        send(command: object, send: (c: object) => Promise<unknown>): Promise<unknown>;
      };
      await expect(gateway.send(new SneakyListTasks({ cluster: 'prod' }), async () => ({}))).rejects.toBeInstanceOf(UnlistedApiCallError);
      expect(ecs.calls()).toHaveLength(0);
    } finally {
      ecs.restore();
    }
  });
});

describe('what AWS errors mean', () => {
  test('ClusterNotFoundException becomes ClusterNotFoundError, naming the cluster', async () => {
    const ecs = mockClient(ECSClient);
    try {
      ecs.on(ListTasksCommand).rejects(Object.assign(new Error('Cluster not found.'), { name: 'ClusterNotFoundException', $fault: 'client' }));
      const gateway = new SdkEcsGateway(new ECSClient({ region: 'eu-west-1' }), 'gone');
      const error = await gateway.listTaskArns('arn:aws:ecs:eu-west-1:123456789012:container-instance/gone/1', 'RUNNING').catch((e) => e);
      expect(error).toBeInstanceOf(ClusterNotFoundError);
      expect(error).toMatchObject({ cluster: 'gone', message: expect.stringContaining('ClusterNotFoundException') });
    } finally {
      ecs.restore();
    }
  });

  test.each([
    ['ThrottlingException', { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } }, true],
    ['Auto Scaling Throttling', { name: 'Throttling', $fault: 'client', $metadata: { httpStatusCode: 400 } }, true],
    ['ServerException (5xx)', { name: 'ServerException', $fault: 'server', $metadata: { httpStatusCode: 500 } }, true],
    ['no answer (network error)', { name: 'TimeoutError' }, true],
    ['AccessDeniedException', { name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 } }, false],
    ['InvalidParameterException', { name: 'InvalidParameterException', $fault: 'client', $metadata: { httpStatusCode: 400 } }, false],
    ['ClientException', { name: 'ClientException', $fault: 'client', $metadata: { httpStatusCode: 400 } }, false],
  ])('%s: transient %p', (_, error, transient) => {
    expect(isTransientAwsError(Object.assign(new Error('x'), error))).toBe(transient);
  });
});
