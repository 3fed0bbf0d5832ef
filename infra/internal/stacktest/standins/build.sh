#!/usr/bin/env bash
# Test stand-ins for the two images a real dev deploy needs and a machine
# without a registry cannot pull. Test support only: no stack, image or
# binary that ships uses them.
#
#   build.sh ES_REF GO_REF
#
# ES_REF (e.g. foodtrucks-test/elasticsearch:8.19.21) is the real
# Elasticsearch node the tests assemble from Elastic's published jars
# (make esnode) on Debian's JRE, run the way the official image runs:
# uid 1000, data at /usr/share/elasticsearch/data, settings given as dotted
# environment variables, curl inside for the health check. Elasticsearch's
# x-pack is not in the published jars: xpack.* settings are dropped, with a
# line in the log, so security is off whatever esSecurity says.
#
# GO_REF (the Go builder image webapp/Dockerfile starts FROM) is this
# machine's own Go toolchain and CA bundle on Debian: the builder then
# fetches modules through the same proxy, with the same trust, as the host.
#
# Both start from one Debian bookworm root made with debootstrap (minutes,
# once per machine: kept in the engine's image store under a name that
# carries this script's recipe version). Images carry the label
# foodtrucks.test=1.
set -euo pipefail

es_ref="${1:?usage: build.sh ES_REF GO_REF}"
go_ref="${2:?usage: build.sh ES_REF GO_REF}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
base="foodtrucks-test/bookworm:r1"
label=(--label foodtrucks.test=1)

log() { printf 'standins: %s\n' "$*" >&2; }
has_image() { docker image inspect "$1" >/dev/null 2>&1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! has_image "$base"; then
  command -v debootstrap >/dev/null || { log "debootstrap not found (apt-get install debootstrap)"; exit 1; }
  log "making $base with debootstrap from $mirror (a few minutes, once)"
  started=$(date +%s)
  debootstrap --variant=minbase --include=ca-certificates,curl,openjdk-17-jre-headless \
    bookworm "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  rm -rf "$work/root/var/cache/apt/archives"/*.deb "$work/root/var/lib/apt/lists"/*
  tar -C "$work/root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'LABEL foodtrucks.test=1' - "$base" >/dev/null
  rm -rf "$work/root"
  log "$base ready in $(( $(date +%s) - started ))s"
fi

# Elasticsearch: the esnode launcher and its jars.
esnode="${ESNODE_HOME:-$repo/.cache/esnode}"
[[ -f "$esnode/esnode.jar" ]] || { log "no $esnode/esnode.jar: run make esnode"; exit 1; }
mkdir -p "$work/es"
cp -r "$esnode/esnode.jar" "$esnode/lib" "$work/es/"
cat >"$work/es/docker-entrypoint.sh" <<'SH'
#!/bin/bash
# bash, not sh: dash drops environment variables with dots in their names.
set -euo pipefail
settings=()
while IFS= read -r -d '' kv; do
  name="${kv%%=*}"
  case "$name" in
    xpack.*) echo "stand-in: no x-pack in this node; ignoring $name" >&2 ;;
    *.*) settings+=(-E "$kv") ;;
  esac
done < <(env -0)
# ES_JAVA_OPTS is split on spaces, as the official image does.
# shellcheck disable=SC2086
exec java ${ES_JAVA_OPTS:-} -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.io.tmpdir=/tmp \
  -jar /usr/share/elasticsearch/esnode.jar --home /usr/share/elasticsearch \
  --data /usr/share/elasticsearch/data --port 9200 --log-level warn \
  -E network.host=0.0.0.0 "${settings[@]}"
SH
chmod +x "$work/es/docker-entrypoint.sh"
cat >"$work/es/Dockerfile" <<DOCKERFILE
FROM $base
COPY esnode.jar /usr/share/elasticsearch/esnode.jar
COPY lib /usr/share/elasticsearch/lib
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN mkdir -p /usr/share/elasticsearch/data /usr/share/elasticsearch/logs /usr/share/elasticsearch/config \\
 && chown -R 1000:0 /usr/share/elasticsearch && chmod -R g=u /usr/share/elasticsearch
USER 1000:0
EXPOSE 9200
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
DOCKERFILE
log "building $es_ref"
docker build -q "${label[@]}" -t "$es_ref" "$work/es" >/dev/null

# The Go builder: the host's toolchain, same version as go.mod's go line.
goroot="$(go env GOROOT)"
goversion="$(go env GOVERSION)"
if [[ "$(docker image inspect -f '{{index .Config.Labels "foodtrucks.test.go"}}' "$go_ref" 2>/dev/null)" != "$goversion" ]]; then
  log "building $go_ref from $goroot ($goversion)"
  mkdir -p "$work/go"
  cp -a "$goroot" "$work/go/go"
  rm -rf "$work/go/go/pkg/obj" "$work/go/go/test" "$work/go/go/api"
  cp /etc/ssl/certs/ca-certificates.crt "$work/go/ca-certificates.crt"
  cat >"$work/go/Dockerfile" <<DOCKERFILE
FROM $base
COPY go /usr/local/go
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin GOPATH=/go \\
    GOPROXY=$(go env GOPROXY) GOSUMDB=$(go env GOSUMDB)
WORKDIR /go
DOCKERFILE
  docker build -q "${label[@]}" --label "foodtrucks.test.go=$goversion" -t "$go_ref" "$work/go" >/dev/null
fi
log "ready: $es_ref, $go_ref"
