import * as http from 'http';
import { AddressInfo } from 'net';
import { AwsOnMoto } from '../../local/aws';
import { MotoServer } from '../helpers/moto';

/** A server on 127.0.0.1 that `answer`s each request; closed after the test. */
async function server(answer: (response: http.ServerResponse) => void): Promise<{ moto: MotoServer; close: () => Promise<void> }> {
  const held: http.ServerResponse[] = [];
  const s = http.createServer((request, response) => { request.resume(); held.push(response); answer(response); });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  const moto: MotoServer = { endpoint: `http://127.0.0.1:${port}`, port, log: () => '', stop: async () => undefined };
  const close = () => new Promise<void>((resolve) => { held.forEach((r) => r.destroy()); s.closeAllConnections(); s.close(() => resolve()); });
  return { moto, close };
}

describe('AwsOnMoto', () => {
  test('a call moto never answers fails within the call limit, naming the call and the endpoint', async () => {
    const { moto, close } = await server(() => undefined);
    try {
      const started = Date.now();
      const error = await new AwsOnMoto(moto, 300).call('sfn', 'DescribeStateMachine', { stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:m' }).catch((e) => e);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(error.message).toMatch(new RegExp(`^sfn\\.DescribeStateMachine got no answer from moto at ${moto.endpoint}: `));
    } finally {
      await close();
    }
  });

  test('a service error keeps the name Step Functions gives it (ServiceName.ErrorNameException), for Retry and Catch', async () => {
    const { moto, close } = await server((response) => {
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'StateMachineDoesNotExist' });
      response.end(JSON.stringify({ __type: 'StateMachineDoesNotExist', message: 'no such machine' }));
    });
    try {
      const error = await new AwsOnMoto(moto).call('sfn', 'DescribeStateMachine', { stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:m' }).catch((e) => e);
      expect([error.name, error.message]).toEqual(['Sfn.StateMachineDoesNotExistException', 'sfn.DescribeStateMachine on moto: no such machine']);
    } finally {
      await close();
    }
  });
});
