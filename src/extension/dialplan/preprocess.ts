/**
 * FreeSWITCH's XML pre-processor (`preprocess()` in src/switch_xml.c, 1.10.12), applied to a
 * configuration tree held in memory, to know what FreeSWITCH assembles into
 * `log/freeswitch.xml.fsxml` and which source line each of its lines came from. `reloadxml`
 * reports "[error near line N]" in that assembled text, so this is what maps N to a file and line.
 * Pure (no vscode, no file system: a {@link ConfSnapshot} holds the files).
 *
 * What the C code does, line by line, and is reproduced here:
 * - A line ends at `\n` or at `\r` (switch_fp_read_dline), so a CRLF file has an extra "\n" line
 *   per line; the newline bytes are written as read.
 * - `$${name}` is expanded first (expand_vars) with the globals `set` so far; an unknown name
 *   expands to nothing. Runtime globals (hostname, local_ip_v4 …) are unknown here: they only
 *   change columns, never lines, unless a value holds a newline.
 * - A line whose raw text contains `<include>`, `</include>` or `<?` is dropped whole, whatever
 *   else it holds.
 * - `X-pre-process` (any case) preceded by `<` is a directive, wherever it is, XML comments
 *   included; nothing of that line is written (the C code means to write what follows `/>` but
 *   writes an empty string). Not preceded by `<`, the line is dropped. `cmd` must come before
 *   `data`, both double-quoted.
 * - `<!--#cmd arg-->`: what precedes it is written; if `-->` is on the line, what follows it too;
 *   otherwise lines are skipped up to the one with `-->`, whose rest goes on.
 * - include: a glob(3) relative to the including file's folder, matches in byte order; no match
 *   is only logged. exec/exec-set/stun-set run commands: never run here; exec's output is
 *   unknown, so the line map is uncertain from there on, and says so.
 * - Recursion stops at depth 100.
 */

/** The files of a configuration tree, by absolute POSIX-style path. */
export interface ConfSnapshot {
  /** Text of a file, or undefined when it is not loaded or does not exist. */
  read(path: string): string | undefined;
  /** Every file path known (loaded or not), for glob matching. */
  paths(): Iterable<string>;
}

/** A snapshot over a map of path → text. */
export function mapSnapshot(files: ReadonlyMap<string, string>, otherPaths: Iterable<string> = []): ConfSnapshot {
  const all = [...new Set([...files.keys(), ...otherPaths])];
  return { read: (p) => files.get(p), paths: () => all };
}

export type DirectiveCmd = 'include' | 'set' | 'exec' | 'exec-set' | 'stun-set' | 'env-set' | string;

/** One pre-processor instruction as FreeSWITCH reads it. */
export interface Directive {
  readonly file: string;
  /** 0-based editor line. */
  readonly line: number;
  readonly cmd: DirectiveCmd;
  readonly data: string;
  /** `<X-PRE-PROCESS …/>` or `<!--#cmd …-->`. */
  readonly form: 'tag' | 'comment';
  /** include: the files matched, in the order FreeSWITCH includes them. */
  readonly matches?: readonly string[];
}

/** Where an assembled line came from. */
export interface LineOrigin {
  readonly file: string;
  /** 0-based editor line in that file. */
  readonly line: number;
}

export interface PreprocessResult {
  /** The assembled text, as in log/freeswitch.xml.fsxml (runtime globals unexpanded). */
  readonly text: string;
  /** Origin of each assembled line (index 0 is line 1). */
  readonly lines: readonly LineOrigin[];
  readonly directives: readonly Directive[];
  /** `set` directives in order: the last before a use is the value in force. */
  readonly globals: ReadonlyMap<string, ReadonlyArray<{ value: string; file: string; line: number }>>;
  /** Set when an `exec` wrote output we cannot know: from this assembled line on, nothing is mapped. */
  readonly uncertainAfter?: { readonly line: number; readonly reason: string };
  /** What FreeSWITCH would log (files it cannot open, includes matching nothing, recursion). */
  readonly notes: ReadonlyArray<{ file: string; line: number; message: string }>;
}

const MAX_DEPTH = 100;

/** switch_stristr: case-insensitive indexOf. */
function stristr(haystack: string, needle: string, from = 0): number {
  return haystack.toLowerCase().indexOf(needle.toLowerCase(), from);
}

/** Lines as switch_fp_read_dline reads them (each with its terminator), with their editor line. */
function dlines(text: string): Array<{ raw: string; line: number }> {
  const out: Array<{ raw: string; line: number }> = [];
  let line = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 10 && c !== 13) continue;
    out.push({ raw: text.slice(start, i + 1), line });
    // A "\r\n" pair is one editor line break but two dlines; the "\n" dline stays on the same line.
    if (c === 10 || text.charCodeAt(i + 1) !== 10) line++;
    start = i + 1;
  }
  if (start < text.length) out.push({ raw: text.slice(start), line });
  return out;
}

/** POSIX dirname. */
export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? (i === 0 ? '/' : '.') : path.slice(0, i);
}

/** Joins and normalises (`.` and `..`) a POSIX path. */
export function joinPath(dir: string, rel: string): string {
  const parts = (rel.startsWith('/') ? rel : `${dir}/${rel}`).split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return `/${out.join('/')}`;
}

/** glob(3) of one path component: `*`, `?`, `[…]` (`!`/`^` negate); a leading `.` only matches literally. */
function componentRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      if (body.startsWith('!') || body.startsWith('^')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function hasGlobMagic(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/**
 * The files `pattern` (absolute) matches among `paths`, sorted as glob(3) sorts them (byte order
 * in the C locale).
 */
export function globFiles(pattern: string, paths: Iterable<string>): string[] {
  const parts = joinPath('/', pattern).split('/').slice(1);
  const regexes = parts.map((p) => (hasGlobMagic(p) ? componentRegex(p) : undefined));
  const out: string[] = [];
  for (const path of paths) {
    const segs = path.split('/').slice(1);
    if (segs.length !== parts.length) continue;
    let ok = true;
    for (let i = 0; i < segs.length && ok; i++) {
      const re = regexes[i];
      const seg = segs[i]!;
      if (re) ok = !(seg.startsWith('.') && !parts[i]!.startsWith('.')) && re.test(seg);
      else ok = seg === parts[i];
    }
    if (ok) out.push(path);
  }
  return out.sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
}

/** `name=value` with spaces around `=` trimmed, as the `set` directive splits it. */
function splitSet(keyval: string): [string, string] | undefined {
  const eq = keyval.indexOf('=');
  if (eq < 0) return undefined;
  return [keyval.slice(0, eq).replace(/ +$/, ''), keyval.slice(eq + 1).replace(/^ +/, '')];
}

/**
 * Runs the pre-processor from `rootFile` (normally `<conf>/freeswitch.xml`). `initialGlobals`
 * are variables FreeSWITCH sets before reading the configuration, when known.
 */
export function preprocess(snapshot: ConfSnapshot, rootFile: string, initialGlobals: ReadonlyMap<string, string> = new Map()): PreprocessResult {
  const globals = new Map(initialGlobals);
  const setSites = new Map<string, Array<{ value: string; file: string; line: number }>>();
  const directives: Directive[] = [];
  const notes: Array<{ file: string; line: number; message: string }> = [];
  const chunks: string[] = [];
  const lines: LineOrigin[] = [];
  let uncertainAfter: { line: number; reason: string } | undefined;
  const allPaths = [...snapshot.paths()];

  // The origin of the assembled line being written: the first segment with something other
  // than white space on it (else the first segment).
  let lineOrigin: LineOrigin | undefined;
  let lineHasText = false;
  const write = (text: string, origin: LineOrigin): void => {
    if (!text) return;
    chunks.push(text);
    let from = 0;
    for (;;) {
      const nl = text.indexOf('\n', from);
      const piece = text.slice(from, nl < 0 ? undefined : nl);
      if (/\S/.test(piece) && !lineHasText) {
        lineOrigin = origin;
        lineHasText = true;
      } else if (!lineOrigin && (piece.length > 0 || nl >= 0)) {
        lineOrigin = origin;
      }
      if (nl < 0) break;
      lines.push(lineOrigin ?? origin);
      lineOrigin = undefined;
      lineHasText = false;
      from = nl + 1;
    }
  };

  const expandVars = (buf: string): string => {
    if (!buf.includes('$${')) return buf;
    let out = '';
    let i = 0;
    while (i < buf.length) {
      if (buf.startsWith('$${', i)) {
        // switch_find_end_paren: nested braces count.
        let depth = 0;
        let j = i + 2;
        for (; j < buf.length; j++) {
          if (buf[j] === '{') depth++;
          else if (buf[j] === '}' && --depth === 0) break;
        }
        if (j < buf.length) {
          out += globals.get(buf.slice(i + 3, j)) ?? '';
          i = j + 1;
          continue;
        }
      }
      out += buf[i];
      i++;
    }
    return out;
  };

  const run = (cmd: string, arg: string, cwd: string, origin: LineOrigin, form: 'tag' | 'comment', rlevel: number): void => {
    const lower = cmd.toLowerCase();
    if (lower === 'set') {
      const kv = splitSet(arg);
      if (kv) {
        globals.set(kv[0], kv[1]);
        const sites = setSites.get(kv[0]) ?? [];
        sites.push({ value: kv[1], file: origin.file, line: origin.line });
        setSites.set(kv[0], sites);
      }
      directives.push({ ...origin, cmd: 'set', data: arg, form });
    } else if (lower === 'include') {
      const pattern = arg.startsWith('/') ? arg : `${cwd}/${arg}`;
      const matches = globFiles(pattern, allPaths);
      directives.push({ ...origin, cmd: 'include', data: arg, form, matches });
      if (matches.length === 0) notes.push({ ...origin, message: `No files to include at ${joinPath('/', pattern)}` });
      for (const m of matches) {
        if (process(dirname(m), m, rlevel + 1) < 0 && rlevel + 1 > MAX_DEPTH) {
          notes.push({ ...origin, message: `Error including ${arg} (Maximum recursion limit reached)` });
        }
      }
    } else if (lower === 'exec') {
      directives.push({ ...origin, cmd: 'exec', data: arg, form });
      uncertainAfter ??= { line: lines.length + 1, reason: `the output of exec "${arg}" (${origin.file}:${origin.line + 1}) is not known here` };
    } else if (lower === 'exec-set' || lower === 'stun-set' || (lower === 'env-set' && form === 'tag')) {
      // Sets a global from a command, a STUN lookup or the environment: the name is known, the value is not.
      const kv = splitSet(arg);
      if (kv) {
        const sites = setSites.get(kv[0]) ?? [];
        sites.push({ value: `(${lower}: ${kv[1]})`, file: origin.file, line: origin.line });
        setSites.set(kv[0], sites);
      }
      directives.push({ ...origin, cmd: lower, data: arg, form });
    } else {
      directives.push({ ...origin, cmd, data: arg, form });
    }
  };

  const process = (cwd: string, file: string, rlevel: number): number => {
    if (rlevel > MAX_DEPTH) return -1;
    const text = snapshot.read(file);
    if (text === undefined) {
      notes.push({ file, line: 0, message: `Couldn't open ${file}` });
      return -1;
    }
    let ml = false;
    for (const { raw, line } of dlines(text)) {
      const origin: LineOrigin = { file, line };
      let bp = expandVars(raw);
      if (raw.includes('<include>') || raw.includes('</include>') || raw.includes('<?')) continue;
      if (ml) {
        const e = raw.indexOf('-->');
        if (e < 0) continue;
        ml = false;
        bp = raw.slice(e + 3);
      }
      const tcmd = stristr(bp, 'X-pre-process');
      if (tcmd >= 0) {
        if (tcmd === 0 || bp[tcmd - 1] !== '<') continue;
        let rest = bp.slice(tcmd);
        const close = rest.indexOf('/>');
        if (close >= 0) rest = rest.slice(0, close + 2);
        let i = stristr(rest, 'cmd');
        if (i < 0) continue;
        i = rest.indexOf('=', i);
        if (i < 0) continue;
        i = rest.indexOf('"', i);
        if (i < 0) continue;
        const cmdEnd = rest.indexOf('"', i + 1);
        if (cmdEnd < 0) continue;
        const cmd = rest.slice(i + 1, cmdEnd);
        let d = stristr(rest, 'data', cmdEnd + 1);
        if (d < 0) continue;
        d = rest.indexOf('=', d);
        if (d < 0) continue;
        d = rest.indexOf('"', d);
        if (d < 0) continue;
        const dataEnd = rest.indexOf('"', d + 1);
        const data = rest.slice(d + 1, dataEnd < 0 ? undefined : dataEnd);
        run(cmd, data, cwd, origin, 'tag', rlevel);
        continue;
      }
      const c = bp.indexOf('<!--#');
      if (c >= 0) {
        write(bp.slice(0, c), origin);
        const e = bp.indexOf('-->', c);
        if (e >= 0) write(bp.slice(e + 3), origin);
        else ml = true;
        let command = bp.slice(c + 5, e >= 0 ? e : undefined);
        const eol = command.search(/[\r\n]/);
        if (eol >= 0) command = command.slice(0, eol);
        const space = command.indexOf(' ');
        if (space >= 0) {
          const cmd = command.slice(0, space);
          let arg = command.slice(space + 1);
          const q = arg.indexOf('"');
          if (q >= 0) {
            const qq = arg.indexOf('"', q + 1);
            if (qq >= 0) arg = arg.slice(q + 1, qq);
          }
          if (cmd.toLowerCase() !== 'env-set') run(cmd, arg, cwd, origin, 'comment', rlevel);
        }
        continue;
      }
      write(bp, origin);
    }
    return 0;
  };

  process(dirname(rootFile), rootFile, 0);
  // A last line without a newline still counts.
  if (lineOrigin) lines.push(lineOrigin);
  return { text: chunks.join(''), lines, directives, globals: setSites, uncertainAfter, notes };
}

/** What a `reloadxml` answer says. */
export type ReloadAnswer =
  | { ok: true }
  | { ok: false; message: string; line: number | undefined; detail: string };

/**
 * Reads `reloadxml`'s answer. It starts with `+OK` even when it fails (capture 19):
 * `+OK [Success]` or `+OK [[error near line 6568]: unexpected closing tag </context>]`.
 */
export function parseReloadAnswer(answer: string): ReloadAnswer {
  const text = answer.trim();
  if (/^\+OK \[Success\]$/.test(text)) return { ok: true };
  const inner = /^\+OK \[(.*)\]$/s.exec(text)?.[1] ?? text;
  const near = /^\[error near line (\d+)\]:\s*(.*)$/s.exec(inner);
  if (near) return { ok: false, line: Number(near[1]), detail: near[2]!, message: inner };
  return { ok: false, line: undefined, detail: inner.replace(/^-ERR\s*/, ''), message: inner };
}

/** Where an assembled line comes from, or why that cannot be said. */
export function mapAssembledLine(result: PreprocessResult, line: number): { origin: LineOrigin } | { unmapped: string } {
  if (result.uncertainAfter && line >= result.uncertainAfter.line) {
    return { unmapped: `line ${line} comes after ${result.uncertainAfter.reason}` };
  }
  const origin = result.lines[line - 1];
  if (!origin) {
    return { unmapped: `the workspace's configuration assembles to ${result.lines.length} lines, fewer than ${line}: it differs from the server's` };
  }
  return { origin };
}

/** A pre-processor instruction found in one file, with offsets for the editor. */
export interface FileDirective {
  readonly cmd: string;
  readonly data: string;
  readonly form: 'tag' | 'comment';
  /** Offset of `<X-PRE-PROCESS` or `<!--#`. */
  readonly start: number;
  /** Offset of the data's first character (inside its quotes). */
  readonly dataStart: number;
  /** 0-based line. */
  readonly line: number;
}

/** A line FreeSWITCH drops whole, with what else was on it. */
export interface DroppedLine {
  readonly line: number;
  readonly start: number;
  readonly end: number;
  readonly reason: string;
}

/**
 * The directives of one file as FreeSWITCH's line scan sees them (without `$${}` expansion), and
 * lines it drops that hold more than the marker (`<include><extension …>` on one line loses
 * the extension). Same rules as {@link preprocess}.
 */
export function scanFile(text: string): { directives: FileDirective[]; dropped: DroppedLine[]; ignored: DroppedLine[] } {
  const directives: FileDirective[] = [];
  const dropped: DroppedLine[] = [];
  const ignored: DroppedLine[] = [];
  let offset = 0;
  let ml = false;
  for (const { raw, line } of dlines(text)) {
    const lineStart = offset;
    offset += raw.length;
    const body = raw.replace(/[\r\n]+$/, '');
    const marker = ['<include>', '</include>', '<?'].find((m) => raw.includes(m));
    if (marker) {
      // Something other than the markers, a declaration or a comment: FreeSWITCH loses it.
      const rest = body.replace(/<\/?include>|<\?[^>]*\?>|<!--[\s\S]*?(-->|$)/g, '');
      if (/<[A-Za-z/]/.test(rest)) dropped.push({ line, start: lineStart, end: lineStart + body.length, reason: `contains ${marker}` });
    }
    if (raw.includes('<include>') || raw.includes('</include>') || raw.includes('<?')) continue;
    let bp = raw;
    let bpStart = lineStart;
    if (ml) {
      const e = raw.indexOf('-->');
      if (e < 0) continue;
      ml = false;
      bp = raw.slice(e + 3);
      bpStart = lineStart + e + 3;
    }
    const tcmd = stristr(bp, 'X-pre-process');
    if (tcmd >= 0) {
      if (tcmd === 0 || bp[tcmd - 1] !== '<') {
        ignored.push({ line, start: bpStart + tcmd, end: bpStart + tcmd + 13, reason: 'not preceded by <' });
        continue;
      }
      let rest = bp.slice(tcmd);
      const close = rest.indexOf('/>');
      if (close >= 0) rest = rest.slice(0, close + 2);
      const cmdAt = stristr(rest, 'cmd');
      const eq = cmdAt < 0 ? -1 : rest.indexOf('=', cmdAt);
      const q = eq < 0 ? -1 : rest.indexOf('"', eq);
      const cmdEnd = q < 0 ? -1 : rest.indexOf('"', q + 1);
      const dataAt = cmdEnd < 0 ? -1 : stristr(rest, 'data', cmdEnd + 1);
      const deq = dataAt < 0 ? -1 : rest.indexOf('=', dataAt);
      const dq = deq < 0 ? -1 : rest.indexOf('"', deq);
      if (dq < 0) {
        ignored.push({ line, start: bpStart + tcmd - 1, end: bpStart + tcmd - 1 + rest.length + 1, reason: 'FreeSWITCH needs cmd="…" before data="…", both in double quotes' });
        continue;
      }
      const dataEnd = rest.indexOf('"', dq + 1);
      directives.push({
        cmd: rest.slice(q + 1, cmdEnd),
        data: rest.slice(dq + 1, dataEnd < 0 ? undefined : dataEnd),
        form: 'tag',
        start: bpStart + tcmd - 1,
        dataStart: bpStart + tcmd + dq + 1,
        line,
      });
      continue;
    }
    const c = bp.indexOf('<!--#');
    if (c >= 0) {
      const e = bp.indexOf('-->', c);
      if (e < 0) ml = true;
      let command = bp.slice(c + 5, e >= 0 ? e : undefined);
      const eol = command.search(/[\r\n]/);
      if (eol >= 0) command = command.slice(0, eol);
      const space = command.indexOf(' ');
      if (space >= 0) {
        let arg = command.slice(space + 1);
        let argStart = c + 5 + space + 1;
        const q = arg.indexOf('"');
        if (q >= 0) {
          const qq = arg.indexOf('"', q + 1);
          if (qq >= 0) {
            argStart += q + 1;
            arg = arg.slice(q + 1, qq);
          }
        }
        directives.push({ cmd: command.slice(0, space), data: arg, form: 'comment', start: bpStart + c, dataStart: bpStart + argStart, line });
      }
    }
  }
  return { directives, dropped, ignored };
}
