# syntax=docker/dockerfile:1
#
# wirewatch container image: a static binary on an empty (scratch) base,
# running as an unprivileged user.
#
#   docker build -t wirewatch --build-arg VERSION=$(git describe --always) \
#       --build-arg COMMIT=$(git rev-parse HEAD) .
#   docker run --rm -e WIREWATCH_DATABASE_URL=postgres://… wirewatch migrate
#
# BUILDER_IMAGE may name any image with a Go 1.26 toolchain on PATH, a POSIX
# shell and /etc/ssl/certs/ca-certificates.crt; CI (.ci/image.sh), which can
# pull no images, assembles one from the machine's own Go toolchain.

ARG BUILDER_IMAGE=golang:1.26-bookworm

FROM ${BUILDER_IMAGE} AS build
ARG VERSION=dev
ARG COMMIT=unknown
# GOPROXY=off builds from a module cache mounted at /go/pkg/mod (CI does so
# with buildah's --volume); the default fetches modules as usual.
ARG GOPROXY=https://proxy.golang.org,direct
ENV CGO_ENABLED=0 GOOS=linux GOPROXY=${GOPROXY} GOFLAGS=-buildvcs=false GOPATH=/go
WORKDIR /src
# Modules first, so source edits do not invalidate the download layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath \
        -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
        -o /out/usr/local/bin/wirewatch ./cmd/wirewatch \
 && /out/usr/local/bin/wirewatch version \
 && mkdir -p /out/etc/ssl/certs /out/usr/share /out/tmp \
 && chmod 1777 /out/tmp \
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \
 && cp "$(go env GOROOT)/lib/time/zoneinfo.zip" /out/usr/share/zoneinfo.zip \
 && echo 'nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin' > /out/etc/passwd \
 && echo 'nonroot:x:65532:' > /out/etc/group

FROM scratch
# CA certificates for HTTPS (outlets, SMTP over TLS, webhooks); Go's own
# time-zone database (400 kB, the same data as /usr/share/zoneinfo) for
# subscribers' digest times and Beijing time; a passwd entry for the user.
COPY --from=build /out/ /
ENV PATH=/usr/local/bin \
    ZONEINFO=/usr/share/zoneinfo.zip \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    WIREWATCH_DAEMON_LISTEN=0.0.0.0:9090 \
    WIREWATCH_WEB_ENABLED=false
USER 65532:65532
# /healthz, /readyz and /metrics. The web UI is off: on every address it
# needs a login (web.password_hash or web.proxy_header), and the process
# refuses to start without one. scratch has no shell, curl or wget, so
# the binary probes itself: `wirewatch healthcheck` asks this container's
# listener (WIREWATCH_DAEMON_LISTEN above) for /readyz and exits 0 or 1.
# Docker and podman use it; buildah keeps it only in the docker image format
# (--format docker), not in OCI images; Kubernetes ignores it and uses its
# own probes (docs/operations.md).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["wirewatch", "healthcheck", "--timeout", "4s"]
EXPOSE 9090
ENTRYPOINT ["wirewatch"]
CMD ["run"]
