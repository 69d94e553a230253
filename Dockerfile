# The mock as an image, for Docker Compose and testcontainers. `make image` builds the binary on
# the host (static, CGO off) into bin/image/ with the CA bundle, so the image is FROM scratch and
# building it needs no registry. It listens on all interfaces, so the mock refuses to start
# without IDFLOWS_CONTROL_TOKEN (or IDFLOWS_NO_CONTROL=true): the control plane is guarded (D13).
# Readiness: GET /_mock/ready (public). Set IDFLOWS_BASE_URL to the URL clients use.
FROM scratch
COPY idflows /idflows
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
USER 65532:65532
ENV IDFLOWS_LISTEN=0.0.0.0:4433
EXPOSE 4433
ENTRYPOINT ["/idflows", "mock"]
