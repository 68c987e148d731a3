# A minimal image of `bona`, run as a non-root user (deploy/README.md):
#   docker build -t bona:0.1.0 .
# The binary needs only glibc and libgcc at run time; no shell or package manager is used.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p bona --bin bona \
 && install -D -m 0755 target/release/bona /out/bona

FROM debian:bookworm-slim
COPY --from=build /out/bona /usr/local/bin/bona
# The uid deploy/base/deployment.yaml runs as; no home, no shell login.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/bona"]
CMD ["--help"]
