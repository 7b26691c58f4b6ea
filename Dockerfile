# Glimpse: one image with the server and its web UI.
#   docker build -t glimpse .
#   docker run -p 8080:8080 -v $PWD/clouds.yaml:/etc/openstack/clouds.yaml:ro glimpse --cloud mycloud
# The UI is shipped beside the binary (/usr/share/glimpse/web), not embedded: the server
# builds without the wasm toolchain, and the same binary serves any UI build.

FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/* \
 && rustup target add wasm32-unknown-unknown \
 && cargo install wasm-bindgen-cli --version 0.2.129 --locked
WORKDIR /src
COPY . .
RUN cargo xtask build-ui \
 && cargo build --release --locked -p glimpse \
 && mkdir -p /out/web \
 && cp target/release/glimpse /out/ \
 && cp -r target/web/. /out/web/

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/glimpse /usr/local/bin/glimpse
COPY --from=build /out/web /usr/share/glimpse/web
# The activity log's SQLite file; mount a volume here, or set GLIMPSE_DATABASE=postgres://…
RUN mkdir -p /var/lib/glimpse && chown nobody:nogroup /var/lib/glimpse
VOLUME /var/lib/glimpse
ENV GLIMPSE_ASSETS_DIR=/usr/share/glimpse/web \
    GLIMPSE_LISTEN=0.0.0.0:8080 \
    GLIMPSE_DATABASE=sqlite:///var/lib/glimpse/activity.db
USER nobody
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/glimpse", "serve"]
