#!/usr/bin/env bash
# After `make destroy`: nothing the stack made may be left on the Docker engine.
# Every container, network and volume of a local stack carries the labels
# project=<Pulumi project> and stack=<stack> (infra/config/naming.go), so the
# engine is asked for exactly those.
#   .github/scripts/check-leftovers.sh [stack]    (default dev)
# The data volume is expected to stay when the stack file sets retainData: true.
# Images are listed, not counted: the Docker provider never deletes the images
# it builds or pulls.
set -euo pipefail
cd "$(dirname "$0")/../.."

stack=${1:-dev}
project=$(sed -n 's/^name: *//p' Pulumi.yaml)
[ -n "$project" ] || { echo "no project name in Pulumi.yaml" >&2; exit 2; }
filters=(--filter "label=project=$project" --filter "label=stack=$stack")
keep_volumes=
if grep -Eq "^[[:space:]]*$project:retainData:[[:space:]]*\"?true\"?[[:space:]]*$" "Pulumi.$stack.yaml" 2>/dev/null; then
  keep_volumes=1
fi

echo "Docker objects labelled project=$project stack=$stack:"
status=0
check() { # check KIND EXPECTED-TO-STAY LIST
  if [ -z "$3" ]; then
    echo "  $1: none"
  elif [ -n "$2" ]; then
    echo "  $1 (kept on purpose, retainData: true):"; awk '{print "    " $0}' <<<"$3"
  else
    echo "  $1 LEFT OVER:"; awk '{print "    " $0}' <<<"$3"; status=1
  fi
}
check containers "" "$(docker ps -a "${filters[@]}" --format '{{.Names}} ({{.Image}}, {{.Status}})')"
check networks "" "$(docker network ls "${filters[@]}" --format '{{.Name}}')"
check volumes "$keep_volumes" "$(docker volume ls "${filters[@]}" --format '{{.Name}}')"

echo "images left on purpose (the provider does not delete images):"
docker images --format '  {{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}' | grep -E "^  ($project-$stack-|docker\.elastic\.co/elasticsearch/)" || echo "  none"

if [ "$status" -ne 0 ]; then
  echo "make destroy left objects of stack $stack behind" >&2
fi
exit "$status"
