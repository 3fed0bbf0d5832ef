#!/usr/bin/env bash
# Builds the Pulumi CLI that `make up` and the tests use when no `pulumi` is on
# PATH: <repo>/.cache/pulumi/bin/pulumi, compiled from the Go module pinned in
# this folder's go.mod (no download of a prebuilt binary). Does nothing when the
# binary is newer than go.mod, go.sum and this script, so warm runs cost a few
# milliseconds. Cold: a few minutes and about 2 GB of memory.
#
#   build.sh          build unless a pulumi is on PATH or the cached one is current
#   build.sh --force  build the cached one even if a pulumi is on PATH
#   build.sh --test   what the tests need: a CLI *without* the Go language host
#                     (with it, a test's `make up` would deploy for real), so
#                     a pulumi on PATH counts only when no pulumi-language-go
#                     sits beside it or on PATH
# Override the output folder with PULUMI_CLI_HOME.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
out="${PULUMI_CLI_HOME:-$repo/.cache/pulumi}"
bin="$out/bin/pulumi"
version="$(awk '$1 == "require" && $2 == "github.com/pulumi/pulumi/pkg/v3" { print $3 } $1 == "github.com/pulumi/pulumi/pkg/v3" { print $2 }' "$here/go.mod")"
[[ "$version" == v3.* ]] || { echo "pulumi: no github.com/pulumi/pulumi/pkg/v3 version in $here/go.mod" >&2; exit 1; }

mode="${1:-}"
if [[ "$mode" != "--force" ]] && onpath="$(command -v pulumi 2>/dev/null)" && [[ "$onpath" != "$bin" ]]; then
  if [[ "$mode" == "--test" ]] && { [[ -e "$(dirname "$onpath")/pulumi-language-go" ]] || command -v pulumi-language-go >/dev/null 2>&1; }; then
    echo "pulumi: $onpath comes with the Go language host; the tests use their own CLI without it" >&2
  else
    echo "pulumi: using $onpath ($("$onpath" version 2>/dev/null || echo 'version unknown'))" >&2
    exit 0
  fi
fi

if [[ -x "$bin" ]] && [[ -z "$(find "$here/go.mod" "$here/go.sum" "$here/build.sh" -newer "$bin" -print -quit)" ]]; then
  exit 0
fi

command -v go >/dev/null 2>&1 || { echo "pulumi: go not found; building the Pulumi CLI needs Go" >&2; exit 1; }
echo "pulumi: building the Pulumi CLI $version into $bin (cold: a few minutes)" >&2
mkdir -p "$out/bin"
start=$(date +%s)
# -C: build inside the tools module, so its go.mod (with the replace the CLI
# needs) applies and the project's own go.mod stays free of the CLI's deps.
( cd "$here" && go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
    -o "$bin.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi )
mv "$bin.tmp" "$bin"
echo "pulumi: ready, $("$bin" version) in $(( $(date +%s) - start ))s" >&2
