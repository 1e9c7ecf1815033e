/**
 * The configuration side of the API (capture 19 unless marked otherwise): `show application|api`,
 * `reloadxml`, `xml_locate`, `global_getvar`/`global_setvar`, and mod_sofia's status tables
 * (capture 16). Bodies are FreeSWITCH 1.10.12's, byte for byte where a capture shows them.
 */
import type { CallSite } from './eslEvent';
import type { SimSwitch } from './switchCore';
import { apiRows, applicationRows, locate, type InterfaceRow } from './xmlRegistry';

/** `switch_xml_open_root` fires RELOADXML when the new XML is in force (src/switch_xml.c). */
const RELOADXML_SITE: CallSite = { file: 'switch_xml.c', func: 'switch_xml_open_root', line: 2385 };

/**
 * `show application|api [as json]`. JSON is compact with `row_count` first and no newline (capture
 * 19); the plain table (name,description,syntax,ikey, then `\n<n> total.\n`) follows the other
 * `show` tables and is not captured.
 */
export function showInterfaces(what: 'application' | 'api', asJson: boolean): string {
  const rows: readonly InterfaceRow[] = what === 'application' ? applicationRows() : apiRows();
  if (asJson) return JSON.stringify({ row_count: rows.length, rows });
  const lines = ['name,description,syntax,ikey', ...rows.map((r) => `${r.name},${r.description},${r.syntax},${r.ikey}`)];
  return `${lines.join('\n')}\n\n${rows.length} total.\n`;
}

/**
 * `reloadxml` (reload_xml_function): `+OK [Success]\n`, and RELOADXML. A broken file does not stop
 * the reply from starting with `+OK`: `+OK [[error near line 6568]: unexpected closing tag
 * </context>]\n`, and the XML in force stays as it was (no event).
 */
export function reloadXml(sw: SimSwitch): string {
  const error = sw.globals.xmlError;
  if (error !== undefined) return `+OK [${error}]\n`;
  sw.fire('RELOADXML', RELOADXML_SITE);
  return '+OK [Success]\n';
}

/**
 * `xml_locate <section> [<tag> <attr> <value>]` (xml_locate_function): the element as
 * switch_xml_toxml writes it. The switch here holds what capture 19 located: the dialplan's
 * `default` context and the directory (and elements inside it); for anything else it answers as
 * FreeSWITCH does when nothing matches (`can't find anything\n`), although a real switch has more
 * sections and contexts (invented).
 */
export function xmlLocate(arg: string): string {
  const argv = arg.split(' ').filter((w) => w !== '');
  if (argv.length !== 1 && argv.length !== 4) return '-ERR bad args\n';
  const [section, tag, attr, value] = argv as [string, string?, string?, string?];
  return locate(section, tag, attr, value) ?? "can't find anything\n";
}

/** `global_getvar [name]`: the value without a newline (03); every variable as `name=value\n` lines. */
export function globalGetvar(sw: SimSwitch, arg: string): string {
  const name = arg.trim();
  if (!name) return sw.globals.entries().map(([k, v]) => `${k}=${v}\n`).join('');
  return sw.globals.get(name) ?? '';
}

/**
 * `global_setvar name=value[=only_if_now]`: `+OK` without a newline (capture 16); an empty value
 * unsets.
 */
export function globalSetvar(sw: SimSwitch, arg: string): string {
  const [name, value = '', expected] = arg.split('=');
  if (!name) return '-USAGE: <var>=<value>\n';
  if (expected && sw.globals.get(name) !== expected) return '+OK';
  sw.globals.set(name, value);
  return '+OK';
}

// ---------------------------------------------------------------- mod_sofia (capture 16)

const RULE = '='.repeat(97);

/** The recording machine's one profile `internal`, on 127.0.0.1:5070, with its alias 127.0.0.1. */
const PROFILE = 'internal';
const ALIAS = '127.0.0.1';
const PROFILE_URL = 'sip:mod_sofia@127.0.0.1:5070';

/**
 * `sofia status profile internal`, as sofia_glue prints it. The counters are this switch's: it
 * places no SIP calls, so they stay 0 (the capture's read 1 after a call made before it).
 */
function profileStatus(name: string): string {
  const rows: [string, string][] = [
    ['Name', name],
    ['Domain Name', 'N/A'],
    ...(name === ALIAS ? ([['Alias Of', PROFILE]] as [string, string][]) : []),
    ['Auto-NAT', 'false'],
    ['DBName', 'sofia_reg_internal'],
    ['Pres Hosts', '127.0.0.1,127.0.0.1'],
    ['Dialplan', 'XML'],
    ['Context', 'public'],
    ['Challenge Realm', 'auto_from'],
    ['RTP-IP', '127.0.0.1'],
    ['Ext-RTP-IP', '127.0.0.1'],
    ['SIP-IP', '127.0.0.1'],
    ['Ext-SIP-IP', '127.0.0.1'],
    ['URL', PROFILE_URL],
    ['BIND-URL', `${PROFILE_URL};maddr=127.0.0.1;transport=udp,tcp`],
    ['HOLD-MUSIC', 'tone_stream://%(1000,0,440);loops=-1'],
    ['OUTBOUND-PROXY', 'N/A'],
    ['CODECS IN', 'OPUS,G722,PCMU,PCMA,H264,VP8'],
    ['CODECS OUT', 'OPUS,G722,PCMU,PCMA,H264,VP8'],
    ['TEL-EVENT', '101'],
    ['DTMF-MODE', 'rfc2833'],
    ['CNG', '13'],
    ['SESSION-TO', '0'],
    ['MAX-DIALOG', '0'],
    ['MAX-RECV-RPS', '1000'],
    ['NOMEDIA', 'false'],
    ['LATE-NEG', 'true'],
    ['PROXY-MEDIA', 'false'],
    ['AGGRESSIVENAT', 'false'],
    ['CALLS-IN', '0'],
    ['FAILED-CALLS-IN', '0'],
    ['CALLS-OUT', '0'],
    ['FAILED-CALLS-OUT', '0'],
    ['REGISTRATIONS', '0'],
  ];
  return `${RULE}\n${rows.map(([k, v]) => `${k.padEnd(17)}\t${v}\n`).join('')}`;
}

/** `%25s\t%s\t  %40s\t%s\n`, sofia's status row. */
const statusRow = (name: string, type: string, data: string, state: string): string =>
  `${name.padStart(25)}\t${type}\t  ${data.padStart(40)}\t${state}\n`;

const SOFIA_USAGE =
  'USAGE:\n' +
  '--------------------------------------------------------------------------------\n' +
  'sofia global siptrace <on|off>\n' +
  'sofia        capture  <on|off>\n' +
  '             watchdog <on|off>\n\n' +
  'sofia profile <name> [start | stop | restart | rescan] [wait]\n' +
  '                     flush_inbound_reg [<call_id> | <[user]@domain>] [reboot]\n' +
  '                     check_sync [<call_id> | <[user]@domain>]\n' +
  '                     [register | unregister] [<gateway name> | all]\n' +
  '                     killgw <gateway name>\n' +
  '                     [stun-auto-disable | stun-enabled] [true | false]]\n' +
  '                     siptrace <on|off>\n' +
  '                     capture  <on|off>\n' +
  '                     watchdog <on|off>\n\n' +
  'sofia <status|xmlstatus> profile <name> [reg [<contact str>]] | [pres <pres str>] | [user <user@domain>]\n' +
  'sofia <status|xmlstatus> gateway <name>\n\n' +
  'sofia loglevel <all|default|tport|iptsec|nea|nta|nth_client|nth_server|nua|soa|sresolv|stun> [0-9]\n' +
  'sofia tracelevel <console|alert|crit|err|warning|notice|info|debug>\n\n' +
  'sofia help\n' +
  '--------------------------------------------------------------------------------\n';

/**
 * `sofia status`, `sofia status profile internal|127.0.0.1` and `sofia xmlstatus` as capture 16
 * shows them (`RUNNING (0)`: no call in use); other sub-commands print mod_sofia's usage
 * (invented: the profile commands, `xmlstatus profile`, gateways and registrations are not here).
 */
export function sofia(arg: string): string {
  const argv = arg.split(' ').filter((w) => w !== '');
  const [cmd, what, name] = argv;
  if (cmd === 'status' && argv.length === 1) {
    return (
      `${'Name'.padStart(25)}\t   Type\t  ${'Data'.padStart(40)}\tState\n${RULE}\n` +
      statusRow(ALIAS, '  alias', PROFILE, 'ALIASED') +
      statusRow(PROFILE, 'profile', PROFILE_URL, 'RUNNING (0)') +
      `${RULE}\n1 profile 1 alias\n`
    );
  }
  if (cmd === 'status' && what === 'profile') {
    return name === PROFILE || name === ALIAS ? profileStatus(name) : 'Invalid Profile!\n';
  }
  if (cmd === 'xmlstatus' && argv.length === 1) {
    return (
      '<?xml version="1.0" encoding="ISO-8859-1"?>\n<profiles>\n' +
      `<alias>\n<name>${ALIAS}</name>\n<type>alias</type>\n<data>${PROFILE}</data>\n<state>ALIASED</state>\n</alias>\n` +
      `<profile>\n<name>${PROFILE}</name>\n<type>profile</type>\n<data>${PROFILE_URL}</data>\n<state>RUNNING (0)</state>\n</profile>\n` +
      '</profiles>\n'
    );
  }
  return SOFIA_USAGE;
}
