# syntax=docker/dockerfile:1
# The secretkit emulator as a container image: a static binary on an empty
# base, run by a non-root user who owns /var/lib/emulator (TLS material and
# the bbolt data file). Build from the repository root:
#
#   docker build -t secretkit-emulator .
#   docker run -p 127.0.0.1:8443:8443 -p 127.0.0.1:8080:8080 secretkit-emulator
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
HEALTHCHECK --interval=10s --timeout=6s --start-period=15s --retries=3 \
  CMD ["/usr/local/bin/healthprobe"]
ENTRYPOINT ["/usr/local/bin/emulator"]
