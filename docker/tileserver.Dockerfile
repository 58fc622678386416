# tailings-tileserver and its web viewer, built in one stage and run from a slim image.
#   docker build -f docker/tileserver.Dockerfile -t tailings-tileserver .   (from the repository root)
#   docker run -e DATABASE_URL=postgres://... -p 7800:7800 tailings-tileserver
FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc make libc6-dev libevent-dev libpq-dev zlib1g-dev libssl-dev \
      libprotobuf-c-dev protobuf-c-compiler libfreetype-dev pkg-config fonts-noto-cjk nodejs npm ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY include /src/include
COPY tileserver /src/tileserver
# the viewer's MapLibre GL JS comes from the npm registry, at the version package-lock.json pins;
# the labels' glyph ranges are made from fonts-noto-cjk (tailings-glyphs)
RUN rm -rf /src/tileserver/node_modules /src/tileserver/www/vendor /src/tileserver/build \
 && make -C /src/tileserver build/tailings-tileserver build/tailings-mvtcheck www fonts

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libevent-2.1-7 libpq5 zlib1g libssl3 libprotobuf-c1 curl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/tileserver/build/tailings-tileserver /src/tileserver/build/tailings-mvtcheck /usr/local/bin/
COPY --from=build /src/tileserver/www /usr/local/share/tailings/www
COPY --from=build /src/tileserver/build/fonts /usr/local/share/tailings/fonts
USER nobody
EXPOSE 7800
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:7800/health || exit 1
# DATABASE_URL and TAILINGS_* configure it (see README.md)
ENTRYPOINT ["tailings-tileserver", "--listen", "0.0.0.0:7800", "--www", "/usr/local/share/tailings/www", \
            "--fonts", "/usr/local/share/tailings/fonts"]
