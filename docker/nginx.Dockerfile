# nginx for profile "scale" of docker/compose.yaml: Debian 12's nginx (1.22, the version
# tests/sh/nginx_cache.sh runs docker/nginx.conf with), its configuration mounted by compose.
#   docker build -f docker/nginx.Dockerfile -t tailings-nginx .      (from the repository root)
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx curl \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/cache/nginx \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log
COPY docker/nginx.conf /etc/nginx/nginx.conf
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/health || exit 1
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
