#!/usr/bin/env bash
# The agent desk's browser tests drive Debian's Chromium (Playwright downloads no
# browser), with Japanese fonts for the screenshots. Installs them with apt-get when
# they are missing and we may; says so otherwise.
set -euo pipefail

packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || packages+=(fonts-noto-cjk)
if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${packages[*]} for the browser tests (apt-get)..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${packages[@]}" >/dev/null
else
  echo "Missing and not installable here: ${packages[*]}; run" \
    "'sudo apt-get install ${packages[*]}' (the agent desk's browser tests need them)." >&2
fi
