# Glimpse: one image, one binary (the web UI embedded in it, cargo feature `embed-ui`).
#   docker build -t glimpse .
#   docker run -p 8080:8080 -v $PWD/clouds.yaml:/etc/openstack/clouds.yaml:ro glimpse --cloud mycloud
# .dockerignore keeps clouds.yaml, secure.yaml, TOML settings (they may hold secrets) and
# databases out of the build context.

FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/* \
 && rustup target add wasm32-unknown-unknown \
 && cargo install wasm-bindgen-cli --version 0.2.129 --locked
WORKDIR /src

# The dependencies, in a layer of their own: rebuilt only when a manifest or Cargo.lock
# changes, not at every change of Glimpse's own code. The workspace's crates are stubs here.
COPY Cargo.toml Cargo.lock ./
COPY .cargo/config.toml .cargo/config.toml
COPY shared/Cargo.toml shared/
COPY backend/Cargo.toml backend/build.rs backend/
COPY frontend/Cargo.toml frontend/
COPY devcloud/Cargo.toml devcloud/
COPY tests/Cargo.toml tests/
COPY xtask/Cargo.toml xtask/
RUN for crate in shared backend frontend devcloud tests xtask; do \
      mkdir -p "$crate/src" && touch "$crate/src/lib.rs" && echo 'fn main() {}' > "$crate/src/main.rs"; \
    done \
 && mkdir -p backend/migrations/sqlite backend/migrations/postgres /tmp/web \
 && GLIMPSE_WEB_DIR=/tmp/web cargo build --release --locked -p glimpse --features embed-ui \
 && cargo build --locked --profile wasm-release --target wasm32-unknown-unknown -p glimpse-frontend \
 && rm -rf shared/src backend/src frontend/src devcloud/src tests/src xtask/src

# Glimpse itself: the UI first, then the server with the UI inside.
COPY . .
RUN find shared backend frontend xtask devcloud tests -name '*.rs' -exec touch {} + \
 && cargo xtask build-ui \
 && GLIMPSE_WEB_DIR=/src/target/web cargo build --release --locked -p glimpse --features embed-ui \
 && cp target/release/glimpse /glimpse

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/glimpse \
 && chown 65532:65532 /var/lib/glimpse
COPY --from=build /glimpse /usr/local/bin/glimpse
# The activity log's SQLite file; mount a volume here, or set GLIMPSE_DATABASE=postgres://…
VOLUME /var/lib/glimpse
ENV GLIMPSE_LISTEN=0.0.0.0:8080 \
    GLIMPSE_DATABASE=sqlite:///var/lib/glimpse/activity.db
# A numeric user and group (no name to resolve; Kubernetes' runAsNonRoot can check it).
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=6s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/glimpse", "healthcheck", "--url", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/glimpse", "serve"]
