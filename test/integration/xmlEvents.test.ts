import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, EventListener, type Call, type EslEvent } from '../../src/core';
import { TestEslServer } from '../server/eslServer';
import { until } from '../support/wait';

// `event xml …` end to end: the connection subscribes in XML, the test server renders events as
// switch_event_xmlize + switch_xml_toxml do, and everything decodes to what JSON gives.

const PASSWORD = 'ClueCon';
const HTML_NAME = '<b>Bob & "Co"</b> <i>Zoë</i>';

/** Every event a connection receives, by Event-Sequence (the same event reaches every subscriber). */
function recordEvents(connection: Connection): Map<string, EslEvent> {
  const events = new Map<string, EslEvent>();
  connection.onDidReceiveEvent((e) => events.set(e.get('Event-Sequence') ?? '', e));
  return events;
}

describe('event xml against the test ESL server', () => {
  let server: TestEslServer;

  before(async () => {
    server = new TestEslServer({ password: PASSWORD });
    await server.start();
  });

  after(async () => {
    await server.stop();
  });

  test('an EventListener on xml tracks an originated loopback call exactly as one on json', async () => {
    const options = { host: '127.0.0.1', port: server.port, password: PASSWORD };
    const xml = new EventListener({ ...options, eventFormat: 'xml' });
    const json = new EventListener({ ...options, eventFormat: 'json' });
    const client = new Client(options);
    await Promise.all([xml.connect(), json.connect(), client.connect()]);
    try {
      assert.equal(xml.connection.eventFormat, 'xml');
      assert.ok(server.commandLog.some((line) => line.startsWith('event xml ')), 'subscribed with `event xml …`');
      const xmlEvents = recordEvents(xml.connection);
      const jsonEvents = recordEvents(json.connection);

      client.listener = xml;
      const job = client.originate('9196', {
        endpoint: 'loopback',
        app: 'park',
        callerIdName: HTML_NAME,
        callerIdNumber: '1000',
        variables: { my_var: 'hello world & <more>', city: 'Zürich 李' },
      });
      const uuid = await job.get(10_000);
      await until(() => xml.calls.get(uuid)?.sessions.length === 2 && json.calls.get(uuid)?.sessions.length === 2, 'both legs tracked on xml and json');
      const call = xml.calls.get(uuid)!;
      assert.deepEqual(
        call.sessions.map((s) => s.channelName),
        json.calls.get(uuid)!.sessions.map((s) => s.channelName),
      );
      assert.deepEqual(
        call.sessions.map((s) => s.channelName),
        ['loopback/9196-a', 'loopback/9196-b'],
      );
      assert.equal(call.first.var('my_var'), 'hello world & <more>');
      assert.equal(call.first.var('city'), 'Zürich 李');
      assert.equal(call.first.var('origination_caller_id_name'), HTML_NAME);
      assert.equal(call.last.callerIdName, HTML_NAME);

      await call.hangup();
      await until(() => !json.calls.has(uuid), 'the json listener saw the call end');
      const shape = (c: Call): unknown => [c.uuid, c.sessions.map((s) => [s.uuid, s.hangupCause, s.callerIdName, s.var('my_var'), s.var('city')])];
      const [xmlEnded, jsonEnded] = [xml.history.at(-1)!, json.history.at(-1)!];
      assert.deepEqual(shape(xmlEnded), shape(jsonEnded));
      assert.equal(xmlEnded.uuid, uuid);
      assert.equal(xmlEnded.first.hangupCause, 'NORMAL_CLEARING');

      // The same events, header for header, in both formats.
      const legs = new Set(call.sessions.map((s) => s.uuid));
      const ofCall = (events: Map<string, EslEvent>): string[] => [...events].filter(([, e]) => legs.has(e.uuid ?? '')).map(([seq]) => seq);
      await until(() => ofCall(xmlEvents).length === ofCall(jsonEvents).length, 'every event of the call on both connections');
      const sequences = ofCall(jsonEvents);
      assert.ok(sequences.length >= 10, `a whole call's worth of events (${sequences.length})`);
      assert.deepEqual(ofCall(xmlEvents), sequences);
      for (const seq of sequences) {
        const [x, j] = [xmlEvents.get(seq)!, jsonEvents.get(seq)!];
        assert.deepStrictEqual(Object.entries(x.headers), Object.entries(j.headers), `${j.name} #${seq}`);
        assert.equal(x.body, j.body);
      }
      assert.equal(xml.connection.stats.malformed, 0);
      assert.ok(xml.connection.stats.events >= sequences.length);
    } finally {
      await client.disconnect();
      await Promise.all([xml.disconnect(), json.disconnect()]);
    }
  });

  test('BACKGROUND_JOB bodies over xml equal json, whatever they hold', async () => {
    const options = { host: '127.0.0.1', port: server.port, password: PASSWORD };
    const xml = new Connection({ ...options, eventFormat: 'xml' });
    const client = new Client({ ...options, eventFormat: 'json' });
    await Promise.all([xml.connect(), client.connect()]);
    try {
      await xml.subscribe(['BACKGROUND_JOB']);
      const xmlEvents = recordEvents(xml);
      const jsonEvents = recordEvents(client.connection);
      const jobs = [
        client.bgapi('global_getvar local_ip_v4'),
        client.bgapi(`echo ${HTML_NAME} Zoë 😀 &amp;`),
        client.bgapi('echo <!DOCTYPE html><p>&nbsp;</p> & <![CDATA[x]]>'),
        client.bgapi('originate loopback/does_not_exist &park'),
      ];
      await Promise.allSettled(jobs.map((j) => j.get(10_000)));
      const jobUuids = new Set(jobs.map((j) => j.uuid));
      const ofJobs = (events: Map<string, EslEvent>): EslEvent[] => [...events.values()].filter((e) => jobUuids.has(e.jobUuid ?? ''));
      await until(() => ofJobs(xmlEvents).length === jobs.length, 'every BACKGROUND_JOB on the xml connection');
      const bodies = ofJobs(xmlEvents).map((e) => e.body);
      assert.deepEqual(new Set(bodies), new Set(['127.0.0.1', `${HTML_NAME} Zoë 😀 &amp;`, '<!DOCTYPE html><p>&nbsp;</p> & <![CDATA[x]]>', '-ERR NO_ROUTE_DESTINATION\n']));
      for (const x of ofJobs(xmlEvents)) {
        const j = jsonEvents.get(x.get('Event-Sequence')!)!;
        assert.deepStrictEqual(Object.entries(x.headers), Object.entries(j.headers));
        assert.equal(x.body, j.body);
      }
      assert.equal(xml.stats.malformed, 0);
    } finally {
      await client.disconnect();
      await xml.close();
    }
  });
});
