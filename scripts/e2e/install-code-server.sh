#!/usr/bin/env bash
# Installs code-server (VS Code in the browser) for the e2e tests into
# test/e2e/code-server/node_modules, offline apart from the npm registry and Debian apt.
#
# Idempotent: when the pinned version is already installed and verified, it only runs
# `code-server --version` and exits (well under a second).
#
# Usage: scripts/e2e/install-code-server.sh [--force]
#   --force   reinstall even if the installed copy looks good.
#
# Why each step exists (see /work/shared/E2E-NOTES.md for the measurements):
# - The Debian packages (chromium to drive the tests, libkrb5-dev for `kerberos`, ripgrep for the
#   `rg` binary that @vscode/ripgrep would otherwise download) come from
#   scripts/setup/install-prerequisites.sh, the setup step every suite shares.
# - @vscode/ripgrep's postinstall first looks for
#   $TMPDIR/vscode-ripgrep-cache-<pkg version>/ripgrep-<tag>-<target>.tar.gz; we put Debian's
#   `rg` there under that name. The version and tag are read from the packages themselves.
# - code-server's postinstall refuses to run as root without npm_config_unsafe_perm=true, and
#   node-pty's install runs `npx node-gyp`, which needs npm_config_yes=true (~/.npmrc says no).
# - npm 11.19 introduced `allowScripts`: dependency install scripts that are not listed there
#   still run but are reported as "install scripts not yet covered by allowScripts", and a
#   future npm will skip them, which would leave code-server without VS Code. The nested
#   package.json therefore approves `code-server` and `argon2` (the only two direct/transitive
#   packages with install scripts in our lockfile). The entries are name-only on purpose:
#   ~/.npmrc sets omit-lockfile-registry-resolved, so the lockfile has no `resolved` URLs and
#   npm cannot verify pinned `name@version` entries (they never match under `npm ci`).
#   code-server's postinstall runs its own `npm install` in lib/vscode and lib/vscode/extensions,
#   whose package.json files we cannot annotate; their scripts (node-pty, ripgrep, spdlog, ...)
#   run with a warning today. We do NOT set strict-allow-scripts: npm exports config to
#   lifecycle scripts, so it would also make those nested installs fail. Instead the result is
#   verified below (rg, node-pty, --version), so a silently skipped script fails this script.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PKG_DIR="$ROOT/test/e2e/code-server"
BIN="$PKG_DIR/node_modules/.bin/code-server"
STAMP="$PKG_DIR/node_modules/.e2e-install-ok"

log() { printf '[install-code-server] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    *) die "unknown argument: $arg" ;;
  esac
done

# The pinned version is the one in the lockfile (package.json pins it exactly too).
wanted_version() {
  node -e '
    const lock = require(process.argv[1]);
    const entry = lock.packages && lock.packages["node_modules/code-server"];
    if (!entry) { process.exit(1); }
    process.stdout.write(entry.version);
  ' "$PKG_DIR/package-lock.json"
}

WANTED="$(wanted_version)" || die "no code-server entry in $PKG_DIR/package-lock.json"

# `code-server --version` prints "<version> <commit> with Code <vscode version>". Run bare, its
# first run writes ~/.config/code-server/config.yaml (and says so on stdout) and creates
# ~/.local/share/code-server: point config and XDG dirs away from the home directory.
installed_ok() {
  [[ -x "$BIN" && -f "$STAMP" ]] || return 1
  [[ "$(cat "$STAMP")" == "$WANTED" ]] || return 1
  local out xdg="$PKG_DIR/node_modules/.e2e-xdg"
  out="$(CODE_SERVER_CONFIG=/dev/null XDG_CONFIG_HOME="$xdg/config" XDG_DATA_HOME="$xdg/data" \
    "$BIN" --version 2>/dev/null)" || return 1
  [[ "${out%% *}" == "$WANTED" ]]
}

if [[ $force -eq 0 ]] && installed_ok; then
  exit 0
fi

# Serialise concurrent installs on the same machine (parallel CI jobs, two terminals).
LOCK_FILE="${TMPDIR:-/tmp}/freeswitch-dev-e2e-code-server.lock"
exec 9>"$LOCK_FILE"
flock 9
if [[ $force -eq 0 ]] && installed_ok; then
  log "installed by a concurrent run"
  exit 0
fi

started=$SECONDS

# --- apt prerequisites (chromium, libkrb5-dev, ripgrep…): the step every suite shares ------
bash "$ROOT/scripts/setup/install-prerequisites.sh"
RG="$(command -v rg)" || die "rg not found after installing ripgrep"

# --- ripgrep cache archive ----------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/e2e-code-server-install.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# code-server's own tarball pins @vscode/ripgrep in lib/vscode/npm-shrinkwrap.json. `npm pack`
# puts the tarball in the npm cache, so the `npm ci` below does not download it again.
log "reading the @vscode/ripgrep version from code-server@$WANTED"
(cd "$WORK" && npm pack --silent "code-server@$WANTED" >/dev/null)
tar -xzf "$WORK/code-server-$WANTED.tgz" -C "$WORK" package/lib/vscode/npm-shrinkwrap.json
RG_PKG_VERSION="$(node -e '
  const sw = require(process.argv[1]);
  const entry = sw.packages && sw.packages["node_modules/@vscode/ripgrep"];
  if (!entry) { process.exit(1); }
  process.stdout.write(entry.version);
' "$WORK/package/lib/vscode/npm-shrinkwrap.json")" || die "@vscode/ripgrep not in code-server's shrinkwrap"

mkdir "$WORK/rg-pkg"
(cd "$WORK/rg-pkg" && npm pack --silent "@vscode/ripgrep@$RG_PKG_VERSION" >/dev/null)
tar -xzf "$WORK/rg-pkg/vscode-ripgrep-$RG_PKG_VERSION.tgz" -C "$WORK/rg-pkg" \
  package/lib/postinstall.js package/lib/download.js
# The tag is `const VERSION = 'v13.0.0-10';` in postinstall.js; the file name scheme lives in
# download.js. Fail loudly if either moved, rather than silently falling back to GitHub.
RG_TAG="$(sed -n "s/^const VERSION = '\([^']*\)';.*/\1/p" "$WORK/rg-pkg/package/lib/postinstall.js")"
[[ -n "$RG_TAG" ]] || die "could not read VERSION from @vscode/ripgrep@$RG_PKG_VERSION postinstall.js"
# shellcheck disable=SC2016 # a literal JavaScript template string
grep -qF 'vscode-ripgrep-cache-${packageVersion}' "$WORK/rg-pkg/package/lib/download.js" \
  || die "@vscode/ripgrep@$RG_PKG_VERSION changed its cache directory scheme"
grep -qF "['ripgrep', opts.version, opts.target].join('-')" "$WORK/rg-pkg/package/lib/download.js" \
  || die "@vscode/ripgrep@$RG_PKG_VERSION changed its asset name scheme"
case "$(uname -m)" in
  x86_64) RG_TARGET=x86_64-unknown-linux-musl ;;
  aarch64) RG_TARGET=aarch64-unknown-linux-musl ;;
  *) die "unsupported architecture $(uname -m)" ;;
esac

# A private TMPDIR for the install: the cache archive is found there and nothing is left in /tmp.
export TMPDIR="$WORK/tmp"
RG_CACHE="$TMPDIR/vscode-ripgrep-cache-$RG_PKG_VERSION"
mkdir -p "$RG_CACHE"
tar -czf "$RG_CACHE/ripgrep-$RG_TAG-$RG_TARGET.tar.gz" -C "$(dirname "$RG")" rg
log "ripgrep cache: @vscode/ripgrep@$RG_PKG_VERSION $RG_TAG $RG_TARGET <- $RG"

# --- npm ci -------------------------------------------------------------------------------
log "npm ci code-server@$WANTED (about a minute)"
rm -f "$STAMP"
npm_log="$WORK/npm-ci.log"
if ! (cd "$PKG_DIR" && npm_config_unsafe_perm=true npm_config_yes=true \
        npm ci --no-audit --no-fund --foreground-scripts >"$npm_log" 2>&1); then
  tail -n 60 "$npm_log" >&2
  die "npm ci failed (full log above was truncated to the last 60 lines)"
fi

# Surface npm's allowScripts notices (from the nested lib/vscode installs, or new packages).
grep -F 'install-scripts' "$npm_log" >&2 || true

# --- verify what the install scripts were supposed to produce -----------------------------
VSCODE_DIR="$PKG_DIR/node_modules/code-server/lib/vscode"
for f in \
  "$VSCODE_DIR/node_modules/@vscode/ripgrep/bin/rg" \
  "$VSCODE_DIR/node_modules/node-pty/build/Release/pty.node" \
  "$VSCODE_DIR/extensions/node_modules/typescript/lib/typescript.js" \
  "$VSCODE_DIR/node_modules.asar"; do
  if [[ ! -e "$f" ]]; then
    tail -n 60 "$npm_log" >&2
    die "missing $f: an install script did not run (npm allowScripts policy?)"
  fi
done
printf '%s' "$WANTED" >"$STAMP"
installed_ok || die "code-server --version does not report $WANTED"
log "code-server $WANTED installed in $((SECONDS - started)) s"
