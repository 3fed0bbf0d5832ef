#!/usr/bin/env bash
# Builds the test-support Elasticsearch node: <repo>/.cache/esnode/esnode.jar plus
# lib/*.jar (Elasticsearch's published jars). Does nothing when the output is newer
# than pom.xml, build.sh and every source file, so warm runs cost a few milliseconds
# and never touch the network. Override the output folder with ESNODE_HOME.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
out="${ESNODE_HOME:-$repo/.cache/esnode}"
stamp="$out/.built"

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "esnode: $tool not found; the test node needs a JDK 17+ and Maven" >&2
    exit 1
  fi
done

if [[ -f "$stamp" && -f "$out/esnode.jar" ]]; then
  newer="$(find "$here/pom.xml" "$here/build.sh" "$here/src" -newer "$stamp" -print -quit)"
  if [[ -z "$newer" ]]; then
    exit 0
  fi
fi

echo "esnode: building into $out" >&2
# A stale lib/ could keep jars of an older version on the classpath.
rm -rf "$out/lib" "$out/esnode.jar" "$stamp"
mkdir -p "$out"
# Debian's Maven prints colour resets even in quiet batch mode; keep logs clean.
mvn -q -B -Dstyle.color=never -f "$here/pom.xml" package -Desnode.out="$out" 2>&1 | sed 's/\x1b\[0m//g'
touch "$stamp"
echo "esnode: ready ($(ls "$out/lib" | wc -l) jars)" >&2
