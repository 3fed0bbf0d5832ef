#!/usr/bin/env bash
# Runs the Pulumi CLI for one stack the way the README's plain commands do,
# and explains the state and passphrase problems Pulumi reports tersely.
#
#   run.sh <stack> ready        select <stack>, creating it when the backend has none
#   run.sh <stack> <args...>    pulumi <args...> with the stack's passphrase
#
# Backend: Pulumi.yaml's backend.url (the .pulumi/ folder at the repository
# root), or PULUMI_BACKEND_URL when set; the same for the plain CLI.
# Passphrase: the dev stack's is empty (Pulumi.dev.yaml carries its salt, so
# every clone opens it). Any other stack's is the user's own:
# PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE when set, else the
# file $PROD_PASSPHRASE_FILE (default ~/.config/foodtrucks/prod.passphrase),
# created with a random passphrase while the stack file has no salt yet.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
cd "$repo" # Pulumi.yaml's file:// backend is resolved against the working directory

stack="${1:?usage: run.sh <stack> ready|<pulumi args...>}"
shift

pulumi="${PULUMI:-}"
if [[ -z "$pulumi" ]]; then
  pulumi="$(command -v pulumi 2>/dev/null || true)"
fi
if [[ -z "$pulumi" && -x "$repo/.cache/pulumi/bin/pulumi" ]]; then
  pulumi="$repo/.cache/pulumi/bin/pulumi"
fi
if [[ -z "$pulumi" ]]; then
  echo "pulumi CLI not found: install it (README, Prerequisites), or run \`make pulumi\` to build it from source into .cache/pulumi" >&2
  exit 1
fi
export PULUMI_SKIP_UPDATE_CHECK=true

stack_file="Pulumi.$stack.yaml"
has_salt() { [[ -f "$stack_file" ]] && grep -q '^encryptionsalt:' "$stack_file"; }

if [[ "$stack" == dev ]]; then
  unset PULUMI_CONFIG_PASSPHRASE_FILE
  export PULUMI_CONFIG_PASSPHRASE=
elif [[ -z "${PULUMI_CONFIG_PASSPHRASE+set}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
  file="${PROD_PASSPHRASE_FILE:-$HOME/.config/foodtrucks/prod.passphrase}"
  if [[ ! -s "$file" ]]; then
    if has_salt; then
      cat >&2 <<MSG
$stack_file holds an encryptionsalt: its secrets were encrypted with a passphrase,
and no passphrase is set (PULUMI_CONFIG_PASSPHRASE, PULUMI_CONFIG_PASSPHRASE_FILE, or the file $file).
- If you have it: put it in $file (or export PULUMI_CONFIG_PASSPHRASE_FILE=<file>).
- If it is lost: the secrets in $stack_file cannot be read again. Delete the encryptionsalt line and
  every "secure:" value from $stack_file, then set those secrets again
  (make up-prod generates esPassword).
MSG
      exit 3
    fi
    mkdir -p "$(dirname "$file")"
    (umask 077; head -c 32 /dev/urandom | base64 >"$file")
    echo "created a passphrase for the $stack stack's secrets in $file (keep it; share it with your team, not in git)" >&2
  fi
  export PULUMI_CONFIG_PASSPHRASE_FILE="$file"
fi

# explain <stderr file>: turns Pulumi's terse state and passphrase errors into what happened and what to do.
explain() {
  if grep -q 'incorrect passphrase' "$1"; then
    if [[ "$stack" == dev ]]; then
      cat >&2 <<MSG

The dev stack's passphrase is empty and Pulumi.dev.yaml's encryptionsalt must be the one in git.
This one is not (an older checkout wrote its own): \`git checkout Pulumi.dev.yaml\`, then set any
dev secret again (pulumi config set --secret esPassword ... --stack dev).
MSG
    else
      cat >&2 <<MSG

The passphrase given does not open $stack_file's encryptionsalt (or the stack's state).
Use the passphrase this stack was created with; if it is lost, see README "Troubleshooting".
MSG
    fi
  elif grep -q 'passphrase must be set' "$1"; then
    echo "Set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE (README, \"State and secrets\")." >&2
  fi
}

run() {
  local err status=0
  err="$(mktemp)"
  "$pulumi" "$@" 2> >(tee "$err" >&2) || status=$?
  wait # for tee
  if ((status != 0)); then explain "$err"; fi
  rm -f "$err"
  return "$status"
}

if [[ "${1:-}" != ready ]]; then
  run "$@"
  exit
fi

# ready: select the stack; create it only when the backend has none.
if "$pulumi" stack select "$stack" >/dev/null 2>&1; then
  exit 0
fi
if [[ "$stack" == dev ]] && command -v docker >/dev/null 2>&1; then
  # Only containers this stack would make count: this project's labels and
  # names (<appName>-dev-…), so another checkout with its own appName (or a
  # test's clone) is not taken for lost state. Test containers, labelled
  # foodtrucks.test, are no stack's.
  project="$(awk '$1 == "name:" { print $2; exit }' Pulumi.yaml)"
  app="$(awk -v key="$project:appName:" '$1 == key { print $2; exit }' "$stack_file" 2>/dev/null | tr -d "\"'")"
  if [[ -z "$app" ]]; then # the default in Pulumi.yaml's config block
    app="$(awk '/^config:/ { c = 1 } c && $1 == "appName:" { a = 1 } a && $1 == "default:" { print $2; exit }' Pulumi.yaml | tr -d "\"'")"
  fi
  left="$(docker ps -a --filter "label=project=$project" --filter "label=stack=$stack" \
    --format '{{.Names}}	{{.Label "foodtrucks.test"}}' 2>/dev/null |
    awk -F'\t' -v prefix="$app-$stack-" '$2 == "" && index($1, prefix) == 1 { print $1 }' || true)"
  if [[ -n "$left" ]]; then
    cat >&2 <<MSG
The backend has no stack "$stack", but Docker still runs containers of one (label stack=$stack):
its state was lost (e.g. \`git clean -fdx\` removed .pulumi/). Pulumi cannot adopt them by name.
Remove them, then run make up again; the data volume is kept unless you remove it too:
  docker rm -f \$(docker ps -aq --filter label=project=$project --filter label=stack=$stack --filter name=$app-$stack-)
  docker network rm \$(docker network ls -q --filter label=project=$project --filter label=stack=$stack --filter name=$app-$stack-)
  docker volume rm \$(docker volume ls -q --filter label=project=$project --filter label=stack=$stack --filter name=$app-$stack-)   # only to drop the data
MSG
    exit 3
  fi
fi
run stack init "$stack" --secrets-provider passphrase
