#!/usr/bin/env bash
# Smoke test of a deployed SF Food Trucks: the app at URL is ready, a search for
# tacos finds trucks, and the page renders them in a real browser.
#   .github/scripts/smoke-test.sh http://127.0.0.1:5000
# SMOKE_TIMEOUT (seconds, default 300) bounds the wait for the first data load;
# CHROMIUM names the browser (default: chromium on PATH).
set -euo pipefail

url=${1:?usage: smoke-test.sh URL}
url=${url%/}
timeout=${SMOKE_TIMEOUT:-300}
chromium=${CHROMIUM:-chromium}
deadline=$((SECONDS + timeout))
body=$(mktemp)
trap 'rm -f "$body"' EXIT

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# get PATH: GET url+PATH into $body, print the status code ("000" when refused).
get() { curl -sS -o "$body" -w '%{http_code}' --max-time 10 "$url$1" 2>/dev/null || true; }

step "readiness: GET $url/readyz until 200 (the app answers 503 until Elasticsearch is up and the first load is done)"
until code=$(get /readyz) && [ "$code" = 200 ]; do
  ((SECONDS < deadline)) || fail "/readyz not 200 after ${timeout}s; last answer: HTTP $code $(cat "$body")"
  sleep 3
done
cat "$body"; echo

step "search: GET $url/search?q=tacos must list trucks"
[ "$(get '/search?q=tacos')" = 200 ] || fail "/search?q=tacos answered $(cat "$body")"
trucks=$(jq '.trucks | length' "$body") || fail "/search?q=tacos is not the expected JSON: $(head -c 500 "$body")"
[ "$trucks" -gt 0 ] || fail "/search?q=tacos found no trucks: $(head -c 500 "$body")"
echo "$trucks trucks, for example: $(jq -r '[.trucks[:3][].name] | join("; ")' "$body")"

step "page: GET $url/ and every asset it names"
[ "$(get /)" = 200 ] || fail "/ answered $(head -c 500 "$body")"
grep -q '<title>SF Food Trucks</title>' "$body" || fail "/ is not the app's page: $(head -c 500 "$body")"
assets=$(grep -oE '(href|src)="[^"#?:]+"' "$body" | sed -E 's/^[a-z]+="//; s/"$//' | grep -v '^/$' | sort -u)
[ -n "$assets" ] || fail "the page names no stylesheet or script"
for asset in $assets; do
  code=$(get "/${asset#/}")
  [ "$code" = 200 ] || fail "/${asset#/} (named by the page) answered $code"
  echo "200 /${asset#/}"
done

step "browser: $chromium renders $url/?q=tacos with its result list"
command -v "$chromium" >/dev/null || fail "no browser: install Chromium or set CHROMIUM"
# --virtual-time-budget lets the page's scripts and its search request finish
# before the DOM is dumped; map tiles from the internet are not needed.
timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
  --virtual-time-budget=20000 --dump-dom "$url/?q=tacos" >"$body" 2>/dev/null ||
  fail "$chromium could not load the page"
rendered=$(grep -o '<li class="truck"' "$body" | wc -l)
[ "$rendered" -gt 0 ] || fail "the page rendered no truck for q=tacos; its status line: $(grep -o '<p id="status"[^<]*' "$body" || true)"
echo "the page lists $rendered trucks for tacos"

step "smoke test passed"
