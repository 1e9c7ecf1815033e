import { Client, EventListener } from '../../src/core';
import type { TestEslServer } from '../server/eslServer';

/** An EventListener and a Client sharing it, connected to a test ESL server: how most suites start. */
export async function connectTo(server: TestEslServer, password: string): Promise<{ listener: EventListener; client: Client }> {
  const options = { host: '127.0.0.1', port: server.port, password };
  const listener = new EventListener(options);
  await listener.connect();
  const client = new Client({ ...options, listener });
  await client.connect();
  return { listener, client };
}
