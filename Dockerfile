# casework: build on Debian 12, run on Debian 12 slim with only the runtime libraries.
FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      gcc libc6-dev meson ninja-build pkg-config python3 python3-yaml \
      libulfius-dev libjansson-dev libjwt-dev libpq-dev libmicrohttpd-dev libssl-dev libcurl4-gnutls-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY meson.build meson_options.txt openapi.yaml ./
COPY api api
COPY lib lib
COPY sql sql
COPY scripts/embed-sql.py scripts/embed-openapi.py scripts/
COPY tests tests
RUN meson setup /build -Dbuildtype=release -Dwerror=true && meson compile -C /build caseworkd

FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libulfius2.7 libjansson4 libjwt0 libpq5 libmicrohttpd12 libssl3 libcurl3-gnutls ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 casework \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin casework
COPY --from=build /build/caseworkd /usr/local/bin/caseworkd
# A numeric user, so that a platform that refuses root (runAsNonRoot) can tell
# without looking inside the image.
USER 10001:10001
ENV CASEWORK_BIND=0.0.0.0 CASEWORK_PORT=8080
EXPOSE 8080
# No curl in the image: caseworkd asks its own /readyz over loopback.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/local/bin/caseworkd", "probe"]
ENTRYPOINT ["/usr/local/bin/caseworkd"]
CMD ["serve"]
