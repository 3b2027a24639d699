# Build: only a Rust toolchain, a C compiler, make and perl are needed (SQLite, libpq and
# OpenSSL are compiled in).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked && strip target/release/livedesk

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /data --create-home livedesk
COPY --from=build /src/target/release/livedesk /usr/local/bin/livedesk
USER livedesk
ENV LIVEDESK_BIND=0.0.0.0:8080 \
    LIVEDESK_DATA_DIR=/data \
    LIVEDESK_LOG_FORMAT=json
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["livedesk"]
CMD ["serve"]
