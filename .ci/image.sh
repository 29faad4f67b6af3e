#!/usr/bin/env bash
# Build the wirewatch container image from the Dockerfile with buildah, run
# it (`wirewatch version`, `wirewatch migrate` against the test PostgreSQL,
# the HEALTHCHECK's command against a dead address and against the image's
# own daemon) and print its size.
#
# No Docker engine runs on CI machines and no image registry is reachable,
# so the Dockerfile's builder base (golang:1.26-bookworm for users) is
# replaced by a local image assembled from this machine's own Go toolchain,
# Debian's static busybox (for RUN's /bin/sh) and the host's CA bundle, and
# passed with --build-arg BUILDER_IMAGE. Modules come from the host's module
# cache, mounted read-only into the build (GOPROXY=off inside).
#
# Environment:
#   WIREWATCH_TEST_DATABASE_URL  maintenance database of the test server
#                                (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
#   IMAGE                        tag to build (default localhost/wirewatch:ci)
#   KEEP_IMAGE=1                 keep the images and containers afterwards
#
# Exit status: 0 when the image builds, runs and migrates; non-zero otherwise.
set -euo pipefail

cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-localhost/wirewatch:ci}
ADMIN_URL=${WIREWATCH_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
GOROOT_HOST=$("$GO" env GOROOT)
GOVERSION=$("$GO" env GOVERSION)
BASE=localhost/wirewatch-go-builder:${GOVERSION}
DB=wirewatch_image_ci_$$
export STORAGE_DRIVER=vfs # no overlayfs inside CI sandboxes; vfs always works
bh() { buildah --storage-driver vfs "$@"; }
log() { printf '==> %s\n' "$*" >&2; }

# 1. Tools.
need=()
command -v buildah >/dev/null || need+=(buildah)
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
	log "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${need[@]}" >/dev/null
fi
BUSYBOX=/bin/busybox
command -v psql >/dev/null || { echo "image.sh: psql is needed to create the test database" >&2; exit 1; }

containers=()
cleanup() {
	local c
	for c in "${containers[@]}"; do bh rm "$c" >/dev/null 2>&1 || true; done
	psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
	if [ "${KEEP_IMAGE:-}" != 1 ]; then bh rmi -f "$IMAGE" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

# 2. The builder base: Go toolchain (without tests, docs and sources of the
#    toolchain's own commands, which `go build` does not read), busybox as
#    /bin/sh, CA certificates. Reused when this Go version's base exists.
if bh inspect --type image "$BASE" >/dev/null 2>&1; then
	log "builder base $BASE exists"
else
	log "assembling builder base $BASE from $GOROOT_HOST"
	ctr=$(bh from scratch)
	containers+=("$ctr")
	mnt=$(bh mount "$ctr")
	mkdir -p "$mnt/usr/local" "$mnt/bin" "$mnt/tmp" "$mnt/etc/ssl/certs" "$mnt/go" "$mnt/root"
	chmod 1777 "$mnt/tmp"
	tar -C "$(dirname "$GOROOT_HOST")" \
		--exclude="$(basename "$GOROOT_HOST")/test" --exclude="$(basename "$GOROOT_HOST")/api" \
		--exclude="$(basename "$GOROOT_HOST")/doc" --exclude="$(basename "$GOROOT_HOST")/misc" \
		--exclude="$(basename "$GOROOT_HOST")/src/cmd" --exclude=testdata \
		-cf - "$(basename "$GOROOT_HOST")" | tar -C "$mnt/usr/local" -xf -
	[ "$(basename "$GOROOT_HOST")" = go ] || mv "$mnt/usr/local/$(basename "$GOROOT_HOST")" "$mnt/usr/local/go"
	cp "$BUSYBOX" "$mnt/bin/busybox"
	for applet in $("$BUSYBOX" --list); do
		[ -e "$mnt/bin/$applet" ] || ln -s busybox "$mnt/bin/$applet"
	done
	cp -L /etc/ssl/certs/ca-certificates.crt "$mnt/etc/ssl/certs/ca-certificates.crt"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$mnt/etc/passwd"
	echo 'root:x:0:' >"$mnt/etc/group"
	bh umount "$ctr" >/dev/null
	bh config --env PATH=/usr/local/go/bin:/go/bin:/bin --env GOPATH=/go --env GOTOOLCHAIN=local \
		--workingdir /go --label org.opencontainers.image.description="Go $GOVERSION from the CI host, busybox-static" "$ctr"
	bh commit --quiet --rm "$ctr" "$BASE" >/dev/null
	containers=()
fi

# 3. The image, from the Dockerfile users build, with modules and the build
#    cache of the host mounted in.
"$GO" mod download
GOMODCACHE_HOST=$("$GO" env GOMODCACHE)
GOCACHE_HOST=$("$GO" env GOCACHE)
mkdir -p "$GOCACHE_HOST"
VERSION=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown)
log "building $IMAGE (version $VERSION)"
start=$(date +%s)
# --format docker: OCI images have no HEALTHCHECK; the docker format keeps it.
bh bud --isolation chroot --layers=false --quiet --format docker \
	--build-arg BUILDER_IMAGE="$BASE" --build-arg GOPROXY=off \
	--build-arg VERSION="$VERSION" --build-arg COMMIT="$COMMIT" \
	--volume "$GOMODCACHE_HOST:/go/pkg/mod:ro" \
	--volume "$GOCACHE_HOST:/root/.cache/go-build" \
	-f Dockerfile -t "$IMAGE" . >/dev/null
log "built in $(($(date +%s) - start)) s"

# 4. Run it. `buildah run` does not apply ENTRYPOINT, so the command is named;
#    the image's USER (65532) and PATH apply. The host network makes the
#    test PostgreSQL on 127.0.0.1 reachable.
ctr=$(bh from --quiet "$IMAGE")
containers+=("$ctr")
user=$(bh inspect --type container --format '{{.OCIv1.Config.User}}' "$ctr")
[ "$user" = 65532:65532 ] || { echo "image.sh: image user is '$user', want 65532:65532" >&2; exit 1; }
out=$(bh run --isolation chroot --network host "$ctr" -- wirewatch version)
echo "$out"
case $out in "wirewatch $VERSION (commit $COMMIT, "*) ;; *)
	echo "image.sh: unexpected version output" >&2; exit 1 ;;
esac
# Same server, database $DB: replace the path of the URL, keep its query.
db_url=$(printf '%s' "$ADMIN_URL" | sed -E "s#^([a-z]+://[^/?]*)(/[^?]*)?#\1/$DB#")
psql -X -q "$ADMIN_URL" -c "CREATE DATABASE \"$DB\"" >/dev/null
out=$(bh run --isolation chroot --network host --env WIREWATCH_DATABASE_URL="$db_url" "$ctr" -- wirewatch migrate)
echo "$out"
case $out in "applied "[1-9]*) ;; *) echo "image.sh: migrate applied nothing" >&2; exit 1 ;; esac
out=$(bh run --isolation chroot --network host --env WIREWATCH_DATABASE_URL="$db_url" "$ctr" -- wirewatch migrate)
case $out in "applied 0 migration(s)"*) ;; *) echo "image.sh: second migrate: $out" >&2; exit 1 ;; esac
applied=$(psql -X -At "$db_url" -c 'SELECT count(*) FROM schema_migrations')
log "migrations recorded in the database: $applied"

# 5. The health check: the image declares `wirewatch healthcheck`, which
#    fails against a dead address and passes against the image's own daemon.
hc=$(bh inspect --type container --format '{{.Docker.Config.Healthcheck.Test}}' "$ctr")
case $hc in *"wirewatch healthcheck"*) echo "HEALTHCHECK: $hc" ;; *)
	echo "image.sh: image has no wirewatch HEALTHCHECK: '$hc'" >&2; exit 1 ;; esac
if bh run --isolation chroot --network host "$ctr" -- wirewatch healthcheck --timeout 2s http://127.0.0.1:1/readyz; then
	echo "image.sh: healthcheck passed against a dead address" >&2; exit 1
fi
port=$(( 20000 + $$ % 20000 ))
cat_ctr=$(bh from --quiet "$IMAGE")
containers+=("$cat_ctr")
# An empty catalogue, so the daemon polls nothing while it is probed.
mnt=$(bh mount "$cat_ctr")
printf 'version: 1\nsources: []\n' >"$mnt/tmp/sources.yaml"
bh umount "$cat_ctr" >/dev/null
# Its own process group: buildah does not pass SIGTERM on to the daemon,
# so the whole group gets it.
setsid buildah --storage-driver vfs run --isolation chroot --network host \
	--env WIREWATCH_DATABASE_URL="$db_url" --env WIREWATCH_DAEMON_LISTEN="127.0.0.1:$port" \
	--env WIREWATCH_SOURCES_FILE=/tmp/sources.yaml "$cat_ctr" -- wirewatch run >/dev/null 2>&1 &
daemon=$!
healthy=
for _ in $(seq 60); do
	if bh run --isolation chroot --network host --env WIREWATCH_DAEMON_LISTEN="0.0.0.0:$port" "$ctr" -- wirewatch healthcheck --timeout 2s 2>/dev/null; then
		healthy=1
		break
	fi
	sleep 1
done
kill -TERM -- "-$daemon" 2>/dev/null || true
wait "$daemon" 2>/dev/null || true
[ -n "$healthy" ] || { echo "image.sh: the image's daemon never became healthy" >&2; exit 1; }

# 6. Size.
size=$(bh images --format '{{.Size}}' "$IMAGE" | head -1)
echo "image size: $size (uncompressed; $IMAGE)"
