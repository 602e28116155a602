// A describe block with one in-process chain per block and a snapshot restored after each test.
import { after, afterEach, before, beforeEach, describe } from 'node:test';
import { connect, type Env } from './chain.ts';

export function chainSuite(name: string, body: (get: () => Env) => void): void {
  describe(name, () => {
    let env: Env | undefined;
    let snap: { restore(): Promise<void> } | undefined;
    before(async () => {
      env = await connect();
    });
    after(async () => {
      await env?.conn.close();
    });
    beforeEach(async () => {
      snap = await env!.helpers.takeSnapshot();
    });
    afterEach(async () => {
      await snap?.restore();
    });
    body(() => env!);
  });
}
