#!/usr/bin/env bash
# Before a prod preview or deploy in CI: the prod stack must exist in the
# backend CI uses ($PULUMI_BACKEND_URL) and keep its secrets with AWS KMS, whose
# key the assumed role may use. A stack left on the passphrase provider that
# `make up-prod` sets up would need the passphrase in CI; say so plainly instead
# of letting pulumi ask for it.
set -euo pipefail
cd "$(dirname "$0")/../.."

stack_file=Pulumi.prod.yaml
fail() { printf '::error title=prod stack not ready for CI::%s\n' "$*"; exit 1; }

provider=$(sed -n 's/^secretsprovider: *//p' "$stack_file")
case "$provider" in
  awskms://*) echo "secrets provider: $provider" ;;
  "") fail "$stack_file names no secrets provider (the passphrase one, which CI cannot unlock). Move the stack to AWS KMS: pulumi stack change-secrets-provider --stack prod 'awskms://alias/<key alias>?region=<region>', then commit $stack_file (infra/README.md, Continuous integration)." ;;
  *) fail "$stack_file uses the secrets provider $provider; CI expects awskms://… (infra/README.md, Continuous integration)." ;;
esac
grep -q '^encryptedkey:' "$stack_file" || fail "$stack_file has a secrets provider but no encryptedkey; run pulumi stack change-secrets-provider again and commit the file."

[ -n "${PULUMI_BACKEND_URL:-}" ] || fail "PULUMI_BACKEND_URL is not set."
if ! pulumi stack ls --json | jq -e '.[] | select(.name == "prod" or (.name | endswith("/prod")))' >/dev/null; then
  fail "no stack prod in the backend $PULUMI_BACKEND_URL. Create it once from your machine: pulumi login \"$PULUMI_BACKEND_URL\" && pulumi stack init prod --secrets-provider 'awskms://alias/<key alias>?region=<region>' (infra/README.md, Continuous integration)."
fi
echo "stack prod found in $PULUMI_BACKEND_URL"
