# The secretkit emulator as a container image: a static binary on an empty
# base, run by a non-root user who owns /var/lib/emulator (TLS material and
# the bbolt data file). No "# syntax=" line: it would make BuildKit fetch a
# frontend image first, which fails on a machine without registry access.
# Build from the repository root:
#
#   docker build -t secretkit-emulator .
#
# Run it with named volumes, so the CA (and the data) survive the container
# and a client trusts the CA once; without -v, every run gets fresh
# anonymous volumes and so a new CA:
#
#   docker run -d --name secretkit-emulator \
#     -p 127.0.0.1:8443:8443 -p 127.0.0.1:8080:8080 \
#     -v secretkit-emulator-tls:/var/lib/emulator/tls \
#     -v secretkit-emulator-data:/var/lib/emulator/data \
#     secretkit-emulator
#
# The SSL_CERT_FILE and NODE_EXTRA_CA_CERTS it prints (docker logs) are
# paths inside the container. On the host, fetch the CA from the emulator
# and point the variables at the copy (docs/emulator.md, "Trusting the CA",
# has the macOS and Windows trust-store commands):
#
#   curl -fsS http://127.0.0.1:8080/_emulator/ca.pem -o emulator-ca.pem
#   # or: docker cp secretkit-emulator:/var/lib/emulator/tls/ca.pem emulator-ca.pem
#   export SSL_CERT_FILE=$PWD/emulator-ca.pem NODE_EXTRA_CA_CERTS=$PWD/emulator-ca.pem
#
# The rest of the environment (IDENTITY_HEADER is random per start) comes
# from GET http://127.0.0.1:8080/_emulator/env, or from `emulator env` on
# the host. `docker stop secretkit-emulator` shuts it down gracefully
# (SIGTERM); `docker volume rm secretkit-emulator-tls` forgets the CA.
#
# Listening on a port below 1024 (443, as examples/docker-compose.yml does)
# needs the compose/run sysctl net.ipv4.ip_unprivileged_port_start=0 rather
# than a file capability: a sysctl is scoped to the container's network
# namespace, while a capability on the binary would let it bind low ports
# wherever the image runs.

ARG GO_VERSION=1.26
FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# healthprobe answers HEALTHCHECK: the final image has no shell or curl.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/bin/emulator ./cmd/emulator \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/bin/healthprobe ./cmd/healthprobe \
 && mkdir -p /out/state/tls /out/state/data /out/arc-tokens

FROM scratch
COPY --from=build /out/bin/ /usr/local/bin/
# Created here with their owner because an empty base has no mkdir or chown;
# a named volume mounted on them starts with this ownership. The TLS
# directory stays world-readable (the CA certificate is 0644, the keys 0600)
# so an app container sharing the volume can trust the CA.
COPY --from=build --chown=10001:10001 /out/state/ /var/lib/emulator/
COPY --from=build --chown=10001:10001 /out/arc-tokens/ /var/opt/azcmagent/tokens/
USER 10001:10001
ENV EMULATOR_VAULT_ADDR=0.0.0.0:8443 \
    EMULATOR_IDENTITY_ADDR=0.0.0.0:8080 \
    EMULATOR_TLS_DIR=/var/lib/emulator/tls \
    EMULATOR_DATA=/var/lib/emulator/data/emulator.db
EXPOSE 8443 8080
VOLUME ["/var/lib/emulator/tls", "/var/lib/emulator/data"]
# Without a URL the probe asks 127.0.0.1 at EMULATOR_IDENTITY_ADDR's port.
# The first probe runs one interval after start, and the emulator is ready
# in well under a second, so a short interval is what makes
# "depends_on: service_healthy" (and docker compose up) quick. Not
# --start-interval: it needs Docker Engine 25 (API 1.44), and older
# builders reject the unknown flag; a 2 s probe of a static binary costs
# next to nothing. A probe is killed after --timeout, below its own 5 s.
HEALTHCHECK --interval=2s --timeout=3s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/healthprobe"]
ENTRYPOINT ["/usr/local/bin/emulator"]
