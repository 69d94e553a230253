#!/bin/sh
# rootfs.sh DIR: Debian's redis-server and every library it loads, as the root filesystem of an
# image FROM scratch — Redis for the example where the official image cannot be pulled. Where
# it can, compose.yaml pulls redis:<version> as it is.
set -eu
dir=$1
bin=$(command -v redis-server) || { echo "rootfs.sh: redis-server is not installed (apt-get install redis-server)" >&2; exit 2; }
rm -rf "$dir/rootfs"
mkdir -p "$dir/rootfs/usr/bin" "$dir/rootfs/data" "$dir/rootfs/tmp"
cp -L "$bin" "$dir/rootfs/usr/bin/redis-server"
for lib in $(ldd "$bin" | grep -o '/[^ )]*'); do
  mkdir -p "$dir/rootfs$(dirname "$lib")"
  cp -L "$lib" "$dir/rootfs$lib"
done
cp "$(dirname "$0")/Dockerfile" "$dir/"
