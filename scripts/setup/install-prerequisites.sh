#!/usr/bin/env bash
# Installs the Debian packages the test suites need, before the first suite that needs them. Every
# suite runner calls it (scripts/test.mjs, scripts/e2e/install-code-server.sh), so `npm test` on a
# machine that has nothing installs them itself, and says what it installs and why.
#
# Idempotent: when everything is installed it prints nothing and takes a fraction of a second.
#
# Usage: scripts/setup/install-prerequisites.sh
set -euo pipefail

log() { printf '[setup] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# package → why the suites need it.
declare -A WHY=(
  [chromium]="the webview suites and the end-to-end suite drive Debian's Chromium (Playwright cannot download a browser here)"
  [faketime]="the clock guard runs the unit and integration suites on another day, in another time zone and locale"
  [libkrb5-dev]="code-server's 'kerberos' dependency builds from source against it (end-to-end suite)"
  [ripgrep]="code-server's @vscode/ripgrep would download rg from GitHub; Debian's rg stands in (end-to-end suite)"
)
PACKAGES=(chromium faketime libkrb5-dev ripgrep)

missing=()
for p in "${PACKAGES[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

command -v apt-get >/dev/null || die "apt-get not found; install these yourself: ${missing[*]}"
SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null || die "need root or sudo to run: apt-get install ${missing[*]}"
  SUDO=(sudo)
fi

log "installing Debian packages the tests need (once per machine):"
for p in "${missing[@]}"; do log "  $p: ${WHY[$p]}"; done

# Serialise concurrent runs on one machine (two terminals, parallel CI jobs): dpkg takes one at a time.
exec 8>"${TMPDIR:-/tmp}/freeswitch-dev-setup.lock"
flock 8

# Refresh the package lists only when apt knows no candidate for one of them (a fresh machine).
for p in "${missing[@]}"; do
  # Capture first: `apt-cache … | grep -q` would SIGPIPE apt-cache and fail under pipefail.
  policy="$(apt-cache policy "$p" 2>/dev/null || true)"
  if [[ "$policy" != *"Candidate: "[0-9]* ]]; then
    log "apt-get update (apt knows no candidate for $p yet)"
    "${SUDO[@]}" apt-get update -qq
    break
  fi
done
started=$SECONDS
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || die "apt-get install ${missing[*]} failed"
log "installed ${missing[*]} in $((SECONDS - started)) s"
