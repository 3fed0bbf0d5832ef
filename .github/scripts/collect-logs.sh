#!/usr/bin/env bash
# Saves what explains a failed deploy into DIR: each container of the stack
# (its logs and `docker inspect`, less environment values), the stack's networks and volumes, and the
# engine's view of them. Never fails itself, so it can run after any failure.
#   .github/scripts/collect-logs.sh DIR [stack]    (default dev)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 0

dir=${1:?usage: collect-logs.sh DIR [stack]}
stack=${2:-dev}
project=$(sed -n 's/^name: *//p' Pulumi.yaml)
filters=(--filter "label=project=$project" --filter "label=stack=$stack")
mkdir -p "$dir"

{
  docker version
  echo
  docker ps -a "${filters[@]}"
  echo
  docker network ls "${filters[@]}"
  echo
  docker volume ls "${filters[@]}"
  echo
  docker images
} >"$dir/docker.txt" 2>&1

for name in $(docker ps -a "${filters[@]}" --format '{{.Names}}'); do
  docker logs --timestamps "$name" >"$dir/$name.log" 2>&1
  # Environment values are left out: with esSecurity on they hold the password.
  docker inspect "$name" | jq 'map(.Config.Env |= map(sub("=.*"; "=(value not saved)")))' >"$dir/$name.inspect.json" 2>&1
done
echo "saved to $dir:"
ls -l "$dir"
exit 0
