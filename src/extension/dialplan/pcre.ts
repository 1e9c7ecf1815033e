/**
 * Finds what is certainly wrong in a condition's expression as FreeSWITCH compiles it
 * (switch_regex_perform: PCRE 8.x `pcre_compile`). Pure.
 *
 * Only what PCRE itself refuses is reported, never what JavaScript's RegExp would: PCRE accepts
 * `(?i)`, possessive `a++`, atomic `(?>…)`, `\A`, `\Z`, `(?P<name>…)`, `\p{L}` and more, so a
 * JavaScript RegExp is never used to judge. Checked: parentheses, character classes, quantifiers
 * with nothing to repeat, `{n,m}` out of order, a trailing backslash, an unknown `(?…` group, a
 * conditional group's condition and its number of alternatives, a `/…/flags` form without its
 * closing `/`. Before checking, `${var}` and `$${var}` are replaced by
 * a literal, as FreeSWITCH expands them first; an expression starting with `_` is a dial pattern
 * (`_1XXX`, switch_ast2regex), not a PCRE.
 */

export interface PcreProblem {
  /** Offset in the expression as written. */
  readonly offset: number;
  readonly message: string;
}

/** Replaces `${…}` and `$${…}` (balanced braces) with `x…` of the same length. */
function maskVariables(expr: string): string {
  let out = '';
  let i = 0;
  while (i < expr.length) {
    const start = expr.startsWith('$${', i) ? i + 2 : expr.startsWith('${', i) ? i + 1 : -1;
    if (start >= 0) {
      let depth = 0;
      let j = start;
      for (; j < expr.length; j++) {
        if (expr[j] === '{') depth++;
        else if (expr[j] === '}' && --depth === 0) break;
      }
      if (j < expr.length) {
        out += 'x'.repeat(j + 1 - i);
        i = j + 1;
        continue;
      }
    }
    out += expr[i];
    i++;
  }
  return out;
}

const GROUP_AFTER_QUESTION = /^(?:[:=!>|]|<[=!]|<[A-Za-z_]\w*>|'[A-Za-z_]\w*'|P<[A-Za-z_]\w*>|P=[A-Za-z_]\w*\)|P>[A-Za-z_]\w*\)|R\)|[+-]?\d+\)|&[A-Za-z_]\w*\)|C\d*\)|#|[imsxJUX]*-?[imsxJUX]*[:)])/;

/**
 * The condition of `(?(condition)yes|no)` when it is `(name)`-like: a group number (relative with a
 * sign), `<name>`, `'name'`, a bare name (older PCRE syntax, still accepted), `R`, `R<n>`,
 * `R&name`, `DEFINE`, or PCRE2's `VERSION>=n.m` / `VERSION=n.m`.
 */
const CONDITION_REFERENCE = /^(?:[+-]?\d+|<[A-Za-z_]\w*>|'[A-Za-z_]\w*'|R\d*|R&[A-Za-z_]\w*|DEFINE|VERSION>?=\d+(?:\.\d+)?|[A-Za-z_]\w*)$/;

/** How a `(?(` condition starting at `start` reads: an assertion group follows, or a reference up to `end` (its `)`). */
type Condition = { assertion: true } | { assertion: false; end: number; define: boolean } | { problem: string };

function conditionAt(pattern: string, start: number): Condition {
  // (?(?=…)…), (?(?!…)…), (?(?<=…)…), (?(?<!…)…), and a callout before one (?(?C1)(?=…)…);
  // PCRE2 also takes (*pla:…)-style assertions. The assertion is an ordinary group after this.
  if (pattern[start] === '?') return /^\?(?:[=!]|<[=!]|C)/.test(pattern.slice(start)) ? { assertion: true } : { problem: 'Assertion expected after (?( : a condition starting with ? must be (?=, (?!, (?<= or (?<!.' };
  if (pattern[start] === '*') return { assertion: true };
  const end = pattern.indexOf(')', start);
  if (end < 0) return { problem: 'Missing ) after the condition of (?(.' };
  const text = pattern.slice(start, end);
  // With (?x) PCRE may skip white space here: not judged.
  if (/\s/.test(text)) return { assertion: false, end, define: false };
  if (/^0+$/.test(text)) return { problem: 'Invalid condition (?(0): groups are numbered from 1.' };
  if (!CONDITION_REFERENCE.test(text)) return { problem: `Malformed number or name after (?( : "${text}".` };
  return { assertion: false, end, define: text === 'DEFINE' };
}

/** An open group: where it starts, what kind, and how many alternatives it has seen. */
interface OpenGroup {
  readonly at: number;
  readonly kind: 'group' | 'conditional' | 'define';
  branches: number;
}

/** The first certain compile error of `expression`, or undefined. */
export function checkPcre(expression: string): PcreProblem | undefined {
  if (expression.startsWith('_')) return undefined;
  let pattern = maskVariables(expression);
  let base = 0;
  if (pattern.startsWith('/')) {
    const last = pattern.lastIndexOf('/');
    if (last === 0) return { offset: 0, message: "FreeSWITCH reads an expression starting with '/' as /regex/flags, and this one has no closing '/'." };
    pattern = pattern.slice(1, last);
    base = 1;
  }
  const opens: OpenGroup[] = [];
  /** Whether the previous item can take a quantifier; 'quantified' after one (a second must be ? or +). */
  let prev: 'none' | 'item' | 'quantified' | 'modified' = 'none';
  const at = (offset: number, message: string): PcreProblem => ({ offset: base + offset, message });
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      if (i + 1 >= pattern.length) return at(i, '\\ at the end of the pattern.');
      if (pattern[i + 1] === 'c' && i + 2 >= pattern.length) return at(i, '\\c at the end of the pattern.');
      if (pattern[i + 1] === 'Q') {
        // \Q…\E quotes everything up to \E (or the end).
        const e = pattern.indexOf('\\E', i + 2);
        i = e < 0 ? pattern.length : e + 1;
        prev = 'item';
        continue;
      }
      i++;
      prev = 'item';
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      let lastChar: string | undefined;
      let rangeFrom: string | undefined;
      let closed = false;
      for (; j < pattern.length; j++) {
        const d = pattern[j]!;
        if (d === ']') {
          closed = true;
          break;
        }
        if (d === '[' && /^\[:[a-z]+:\]/.test(pattern.slice(j))) {
          j = pattern.indexOf(':]', j + 2) + 1;
          lastChar = undefined;
          continue;
        }
        let ch: string | undefined = d;
        if (d === '\\') {
          if (j + 1 >= pattern.length) return at(j, '\\ at the end of the pattern.');
          const e = pattern[j + 1]!;
          ch = /[dDsSwWhHvVpPx0-9]/.test(e) ? undefined : e;
          j++;
        }
        if (rangeFrom !== undefined && ch !== undefined && ch < rangeFrom) {
          return at(j, `Range out of order in character class (${rangeFrom}-${ch}).`);
        }
        rangeFrom = undefined;
        if (d === '-' && lastChar !== undefined && pattern[j + 1] !== ']') {
          rangeFrom = lastChar;
          lastChar = undefined;
          continue;
        }
        lastChar = ch;
      }
      if (!closed) return at(i, 'Missing terminating ] for character class.');
      i = j;
      prev = 'item';
      continue;
    }
    if (c === '(') {
      if (pattern.startsWith('(?(', i)) {
        // The condition has its own parentheses: they must not close the conditional group.
        const cond = conditionAt(pattern, i + 3);
        if ('problem' in cond) return at(i, cond.problem);
        opens.push({ at: i, kind: !cond.assertion && cond.define ? 'define' : 'conditional', branches: 1 });
        // An assertion condition is read as the group it is, starting at the second '('.
        i = cond.assertion ? i + 1 : cond.end;
        prev = 'none';
        continue;
      }
      if (pattern[i + 1] === '?') {
        const rest = pattern.slice(i + 2);
        const m = GROUP_AFTER_QUESTION.exec(rest);
        if (!m) return at(i, `Unrecognized character after (? : "(?${rest.slice(0, 1)}".`);
        if (m[0] === '#') {
          const close = pattern.indexOf(')', i);
          if (close < 0) return at(i, 'Missing ) after comment.');
          i = close;
          prev = prev === 'none' ? 'none' : prev;
          continue;
        }
        if (m[0].endsWith(')')) {
          // A complete (?R), (?1), (?P=name), (?&name), (?C), or flags (?i).
          i += 1 + m[0].length;
          prev = /^[imsxJUX-]*\)$/.test(m[0]) ? prev : 'item';
          continue;
        }
        opens.push({ at: i, kind: 'group', branches: 1 });
        i += 1 + m[0].length;
        prev = 'none';
        continue;
      }
      if (pattern[i + 1] === '*') {
        // (*VERB) or (*VERB:NAME)
        const close = pattern.indexOf(')', i);
        if (close < 0) return at(i, 'Missing ) after (* verb.');
        i = close;
        continue;
      }
      opens.push({ at: i, kind: 'group', branches: 1 });
      prev = 'none';
      continue;
    }
    if (c === ')') {
      if (opens.length === 0) return at(i, 'Unmatched closing parenthesis.');
      opens.pop();
      prev = 'item';
      continue;
    }
    if (c === '|') {
      const group = opens[opens.length - 1];
      if (group && group.kind !== 'group' && ++group.branches > (group.kind === 'define' ? 1 : 2)) {
        return at(i, group.kind === 'define' ? '(?(DEFINE)…) may hold only one alternative.' : 'A conditional group (?(…)yes|no) has more than two alternatives.');
      }
      prev = 'none';
      continue;
    }
    if (c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(?:,\d*)?\}/.test(pattern.slice(i)))) {
      if (c === '{') {
        const m = /^\{(\d+)(?:,(\d*))?\}/.exec(pattern.slice(i))!;
        const lo = Number(m[1]);
        const hi = m[2] === undefined || m[2] === '' ? undefined : Number(m[2]);
        if (lo > 65535 || (hi !== undefined && hi > 65535)) return at(i, 'Number too big in {} quantifier.');
        if (hi !== undefined && hi < lo) return at(i, 'Numbers out of order in {} quantifier.');
        if (prev === 'none') return at(i, 'Nothing to repeat.');
        if (prev === 'quantified' || prev === 'modified') return at(i, 'Nothing to repeat (a quantifier after a quantifier).');
        i += m[0].length - 1;
        prev = 'quantified';
        continue;
      }
      if (prev === 'none') return at(i, `Nothing to repeat: '${c}' follows nothing.`);
      if (prev === 'quantified') {
        // A lazy (?) or possessive (+) modifier.
        if (c === '?' || c === '+') {
          prev = 'modified';
          continue;
        }
        return at(i, `Nothing to repeat: '${c}' follows a quantifier.`);
      }
      if (prev === 'modified') return at(i, `Nothing to repeat: '${c}' follows a quantifier.`);
      prev = 'quantified';
      continue;
    }
    if (c === '^' || c === '$') {
      // Assertions: PCRE lets a quantifier follow some of them; say nothing either way.
      prev = 'item';
      continue;
    }
    prev = 'item';
  }
  if (opens.length > 0) return at(opens[opens.length - 1]!.at, 'Missing ) for this (.');
  return undefined;
}
