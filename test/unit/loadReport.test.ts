// report.html of a load run (src/apphost/loadReport.ts): the run's text only escaped, the ticks in a
// data island no value can close, a CSP that admits the one script and stylesheet by hash, and the
// tables' figures. Drawn in Chromium by test/webview/loadReport.test.ts.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { jsonForScript, loadReportHtml } from '../../src/apphost/loadReport';
import { writeLoadRunFile } from '../../src/apphost/loadRunFile';
import { EVIL_CAUSE, EVIL_DESTINATION, EVIL_SERVER, HOSTILE, hostileRunFile } from '../support/loadRunFixture';

const html = loadReportHtml(hostileRunFile());
/** The page with its two script elements' contents cut out: what the HTML parser reads as markup. */
const markup = html.replace(/(<script[^>]*>)[\s\S]*?(<\/script>)/g, '$1$2');

describe('load run report.html', () => {
  test('hostile server names, causes, destinations and warnings appear only escaped', () => {
    const escaped = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    for (const evil of [EVIL_SERVER, EVIL_CAUSE, EVIL_DESTINATION, HOSTILE]) assert.ok(markup.includes(escaped(evil)), `${evil} shown as text`);
    assert.ok(!/<img|<[a-z]+[^>]*\sonerror/i.test(markup), 'no element from the run\'s text');
    // Two script elements: the data island and the hashed script; none from the run's text.
    assert.equal((html.match(/<script/gi) ?? []).length, 2);
    assert.equal((html.match(/<\/script/gi) ?? []).length, 2);
    assert.ok(!html.includes('__pwned=1</script>'), 'no hostile script element anywhere');
  });

  test('the data island parses back to the ticks and no value can close it', () => {
    const m = /<script type="application\/json" id="run-data">([\s\S]*?)<\/script>/.exec(html);
    assert.ok(m, 'data island');
    assert.doesNotMatch(m[1]!, /[<>&\u2028\u2029]/);
    assert.deepEqual(JSON.parse(m[1]!), hostileRunFile().ticks);
    const tricky = { a: '</script><!--', b: '\u2028\u2029&' };
    const encoded = jsonForScript(tricky);
    assert.doesNotMatch(encoded, /[<>&\u2028\u2029]/);
    assert.deepEqual(JSON.parse(encoded), tricky);
  });

  test('a CSP admits only the inline script and stylesheet, by hash', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]?.replace(/&#39;/g, "'");
    assert.ok(csp);
    assert.match(csp, /^default-src 'none'; /);
    const hash = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    assert.ok(csp.includes(`script-src ${hash(script)};`), csp);
    assert.ok(csp.includes(`style-src ${hash(style)};`), csp);
    assert.match(script, /var uPlot=/, 'uPlot inlined');
    assert.ok(!/<[a-z]+[^>]*\s(src|href)=/i.test(markup), 'nothing loaded from anywhere');
  });

  test('the tables carry the run, totals, latencies, causes, servers, thresholds and warnings', () => {
    const row = (label: string): string => new RegExp(`<tr><th scope="row">${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</th>(.*?)</tr>`).exec(html)?.[1] ?? `no row ${label}`;
    assert.equal(row('Rate'), '<td>50 calls/s, ramp 10 s</td>');
    assert.equal(row('Limit'), '<td>250 calls up</td>');
    assert.equal(row('Hold'), '<td>5 s</td>');
    assert.equal(row('Balance'), '<td>least-loaded</td>');
    assert.match(row('Servers'), /^<td><span class="t">fs1<\/span>, <span class="t">fs2&lt;img/);
    assert.match(row('<code>9196</code>'), /<td><span class="t">loopback\/load<\/span><\/td><td><span class="t">park<\/span><\/td><td><\/td><td class="num">3<\/td><td class="num">75\.00 %<\/td>/);
    assert.match(row('<code>9664&lt;img src=x onerror=alert(1)&gt;&lt;/script&gt;&lt;script&gt;globalThis.__pwned=1&lt;/script&gt;</code>'), /playback tone_stream:\/\/%\(100,0,941\)/);
    assert.equal(row('Offered'), '<td>1,775</td>');
    assert.equal(row('Not offered'), '<td>6 (limit 6)</td>');
    assert.equal(row('Failed'), '<td><span class="bad">61</span></td>');
    assert.equal(row('ASR'), '<td>96.56 %</td>');
    assert.equal(row('ACD'), '<td>5.02 s</td>');
    assert.equal(row('Peak concurrency'), '<td>250 calls up (limit 250)</td>');
    assert.equal(row('Erlangs (mean calls up)'), '<td>198.4</td>');
    assert.equal(row('Achieved vs target rate'), '<td>42.85 answered/s, 44.38 offered/s, target 50/s</td>');
    assert.equal(
      row('setup (sent → answer)'),
      ['1,714', '20.00 ms', '32.00 ms', '40.00 ms', '64.00 ms', '140.5 ms'].map((v) => `<td class="num">${v}</td>`).join(''),
    );
    assert.match(row('call duration'), /<td class="num">5,000 ms<\/td>/);
    assert.match(row('post-dial delay'), /^<td class="num">1,775<\/td><td class="num">8\.00 ms<\/td>/);
    assert.equal(row('<code>USER_BUSY</code>'), '<td class="num">30</td><td class="num">1.69 %</td><td class="num">30</td>');
    assert.match(row('<span class="t">fs1</span>'), /^<td>ready<\/td><td class="num">1,200<\/td><td class="num">1,160<\/td><td class="num">40<\/td><td class="num">96\.67 %<\/td><td class="num">38\.50 ms<\/td>/);
    assert.match(html, /<th scope="row"><span class="t">fs2&lt;img src=x onerror=alert\(1\)&gt;.*?<\/span><\/th><td>ready<\/td><td class="num">575<\/td>/);
    assert.equal(row('<code>asr&gt;=0.99</code>'), '<td><span class="bad">FAIL</span></td><td class="num">96.56 %</td><td class="num">99 %</td>');
    assert.equal(row('<code>setup_p95&lt;250ms</code>'), '<td><span class="good">pass</span></td><td class="num">40 ms</td><td class="num">250 ms</td>');
    assert.match(html, /2 of 3 thresholds failed/);
    assert.match(html, /<h2>Warnings<\/h2><ul><li>server fs2&lt;img src=x onerror=alert\(1\)&gt;/);
  });

  test('is written next to summary.json by the one writer both runs use', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fsdev-report-'));
    try {
      writeLoadRunFile(dir, hostileRunFile());
      assert.deepEqual(readdirSync(dir).sort(), ['report.html', 'summary.json']);
      assert.equal(readFileSync(join(dir, 'report.html'), 'utf8'), html);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
