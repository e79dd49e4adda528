#!/usr/bin/env bash
# Makes `import datashard` work in every folder, without pip: writes
# datashard.pth, holding the absolute path of this repository's python/
# folder, into the site-packages of /usr/bin/python3 and of the `python3` on
# PATH (when that is another interpreter). Idempotent: rewrites a file only
# when its content differs. Falls back to the user site-packages when the
# system one is not writable.
set -euo pipefail
cd "$(dirname "$0")/.."
PKG_DIR="$(pwd -P)/python"

install_for() {
  local py="$1" dir target
  dir=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  if ! { mkdir -p "$dir" && [ -w "$dir" ]; } 2>/dev/null; then
    dir=$("$py" -c 'import site; print(site.getusersitepackages())')
    mkdir -p "$dir"
  fi
  target="$dir/datashard.pth"
  if [ -f "$target" ] && [ "$(cat "$target")" = "$PKG_DIR" ]; then
    return
  fi
  printf '%s\n' "$PKG_DIR" > "$target.tmp.$$"
  mv -f "$target.tmp.$$" "$target"
  echo "datashard: $py imports the package from $PKG_DIR (via $target)"
}

interpreters=()
[ -x /usr/bin/python3 ] && interpreters+=(/usr/bin/python3)
if command -v python3 >/dev/null 2>&1; then
  interpreters+=("$(command -v python3)")
fi
seen=""
for py in "${interpreters[@]}"; do
  # The same interpreter may be reached by two names (a pyenv shim, a symlink).
  id=$("$py" -c 'import sys, sysconfig; print(sys.executable, sysconfig.get_paths()["purelib"])') || continue
  case "$seen" in *"|$id|"*) continue ;; esac
  seen="$seen|$id|"
  install_for "$py"
done
