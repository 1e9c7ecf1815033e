/**
 * Which folders are FreeSWITCH configuration trees, from the files found in the workspace. Pure.
 */

/** A file system path with forward slashes (the models use POSIX paths). */
export function toPosix(path: string): string {
  const p = path.replace(/\\/g, '/');
  return /^[A-Za-z]:\//.test(p) ? `/${p}` : p;
}

/**
 * Roots from marker files: the folder of a `freeswitch.xml` or `vars.xml`, the parent of a
 * `dialplan/` or `autoload_configs/` folder. A root inside another root is part of it.
 */
export function detectRoots(markers: readonly string[]): string[] {
  const candidates = new Set<string>();
  for (const m of markers) {
    const parts = m.split('/');
    const name = parts[parts.length - 1]!;
    const dir = parts.slice(0, -1).join('/');
    if (name === 'freeswitch.xml' || name === 'vars.xml') candidates.add(dir);
    const parent = parts[parts.length - 2];
    if (parent === 'dialplan' || parent === 'autoload_configs') candidates.add(parts.slice(0, -2).join('/'));
  }
  const sorted = [...candidates].filter(Boolean).sort((a, b) => a.length - b.length);
  const roots: string[] = [];
  for (const c of sorted) if (!roots.some((r) => c === r || c.startsWith(`${r}/`))) roots.push(c);
  return roots.sort();
}
