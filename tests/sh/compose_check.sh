#!/usr/bin/env bash
# docker/compose.yaml and the files it names, checked without a container engine (none can run the
# images on the project's machines: docker/README.md): what `docker compose config` would refuse,
# and what would break the deployment once it runs.
#   - the YAML parses (PyYAML, duplicate keys refused as compose does); known top-level and
#     service keys; every service has an image or a build whose context and Dockerfile exist;
#   - the Dockerfiles: known instructions, every COPY source in the build context, JSON
#     ENTRYPOINT/CMD, a HEALTHCHECK where compose waits for service_healthy; the shell scripts
#     parse (bash -n);
#   - variables: ${...} well formed, every required one in docker/env.example;
#   - volumes: named ones declared, bind-mount sources there, no data volume written by two
#     services (two PostgreSQL on one data directory);
#   - depends_on: existing services, no cycle, never from a service that is always on to one of a
#     profile (compose refuses that), service_healthy only on services with a health check;
#   - profiles: without one, db and tileserver; with "scale", the standby, two tile servers and
#     nginx too; in each, no host port published twice;
#   - the scale deployment fits together: nginx.conf's upstreams are the scale tile servers on the
#     port their image listens on; nginx listens on the port compose publishes, which is the
#     servers' --public-url; the servers write to db and read from the standby, whose base backup
#     comes from db; what nginx.conf asks of the servers (no per-address caps, s-maxage) is set;
#     every TAILINGS_* variable a server gets is one its conf.c reads, every one the database
#     images get is read by their scripts.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/http.sh"
root=$(cd "$here/../.." && pwd)

"$PY" -c 'import yaml' 2>/dev/null || die "PyYAML is missing (apt-get install python3-yaml; scripts/deps.sh test)"

for f in "$root"/docker/*.sh; do
	check "docker/$(basename "$f") parses (bash -n)" bash -n "$f"
done

out=$("$PY" - "$root" <<'PY'
import os, re, sys, json, itertools
import yaml

root = sys.argv[1]
ddir = os.path.join(root, "docker")
compose_path = os.path.join(ddir, "compose.yaml")
results = []
def ok(desc, cond, detail=""):
    results.append((bool(cond), desc, detail))
    return bool(cond)

# ---- YAML, with duplicate keys refused (PyYAML keeps the last one silently; compose refuses)
class Strict(yaml.SafeLoader):
    pass
def mapping(loader, node, deep=False):
    seen = set()
    for k, _ in node.value:
        key = loader.construct_object(k, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", k.start_mark)
        seen.add(key)
    loader.flatten_mapping(node)
    return dict(loader.construct_pairs(node, deep=deep))
Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
try:
    doc = yaml.load(open(compose_path), Loader=Strict)
    ok("compose.yaml parses as YAML, no duplicate keys", True)
except yaml.YAMLError as e:
    ok("compose.yaml parses as YAML, no duplicate keys", False, str(e).replace("\n", " "))
    doc = None
if doc is None:
    for r in results:
        print(("ok - " if r[0] else "not ok - ") + r[1] + (f" ({r[2]})" if r[2] else ""))
    sys.exit(0)

TOP = {"name", "services", "volumes", "networks", "configs", "secrets"}
SERVICE_KEYS = {"build", "image", "environment", "env_file", "volumes", "ports", "depends_on",
                "healthcheck", "profiles", "command", "entrypoint", "restart", "networks", "user",
                "working_dir", "expose", "labels", "deploy", "ulimits", "stop_signal",
                "stop_grace_period", "container_name", "hostname", "tmpfs", "shm_size", "secrets",
                "configs", "extra_hosts", "logging", "init", "read_only", "cap_add", "cap_drop",
                "security_opt", "sysctls", "pid", "ipc", "network_mode", "platform", "pull_policy"}
bad = [k for k in doc if k not in TOP and not str(k).startswith("x-")]
ok("top-level keys are compose's (services, volumes, ...)", not bad, f"unknown: {bad}")
services = doc.get("services") or {}
declared_volumes = set((doc.get("volumes") or {}).keys())
ok("there are services", isinstance(services, dict) and services)

# ---- environment and variables
def env_of(svc):
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, None) for e in env)
    return {k: (None if v is None else str(v)) for k, v in env.items()}

VAR = re.compile(r"\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
def variables(text):
    """(name, kind) of every ${...} in a string; kind '?' required, '-' defaulted, '' plain;
    None when a '$' is neither escaped nor a well-formed reference"""
    found, i = [], 0
    while True:
        j = text.find("$", i)
        if j < 0:
            return found
        m = VAR.match(text, j)
        if not m:
            return None
        if m.group(1) != "$":
            name = m.group(2) or m.group(5)
            op = (m.group(3) or "").lstrip(":")
            found.append((name, op))
        i = m.end()

raw = open(compose_path).read()
strings = []
def walk(x):
    if isinstance(x, dict):
        for v in x.values(): walk(v)
    elif isinstance(x, list):
        for v in x: walk(v)
    elif isinstance(x, str):
        strings.append(x)
walk(doc)
malformed = [s for s in strings if variables(s) is None]
ok("every $ is escaped ($$) or a well-formed ${VAR[:-default|:?message]}", not malformed, f"{malformed[:3]}")
refs = [v for s in strings for v in (variables(s) or [])]
example = {l.split("=", 1)[0].strip() for l in open(os.path.join(ddir, "env.example"))
           if "=" in l and not l.lstrip().startswith("#")}
required = {n for n, op in refs if op == "?"}
plain = {n for n, op in refs if op == ""}
ok("every required variable is in docker/env.example", required and required <= example,
   f"missing: {sorted(required - example)}")
ok("no variable without a default or a message (an unset one would be empty without a word)",
   not plain, f"{sorted(plain)}")

# ---- services: keys, build, Dockerfiles
def dockerfile_info(context, dockerfile):
    """instructions of a Dockerfile: problems found, whether it has a HEALTHCHECK, its ENTRYPOINT"""
    KNOWN = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
             "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
    problems, health, entrypoint, copies = [], False, None, []
    text = open(dockerfile).read()
    logical = re.sub(r"\\\n", " ", text)
    lines = [l.strip() for l in logical.splitlines() if l.strip() and not l.strip().startswith("#")]
    if not lines or not lines[0].upper().startswith(("FROM", "ARG")):
        problems.append("does not start with FROM")
    for l in lines:
        ins, _, rest = l.partition(" ")
        ins = ins.upper()
        if ins not in KNOWN:
            problems.append(f"unknown instruction {ins}")
            continue
        if ins == "HEALTHCHECK" and "NONE" not in rest.upper():
            health = True
        if ins in ("ENTRYPOINT", "CMD") and rest.lstrip().startswith("["):
            try:
                v = json.loads(rest)
                if ins == "ENTRYPOINT":
                    entrypoint = v
            except ValueError:
                problems.append(f"{ins} is not a JSON array: {rest}")
        if ins in ("COPY", "ADD"):
            args = rest.split()
            if any(a.startswith("--from") for a in args):
                continue
            args = [a for a in args if not a.startswith("--")]
            for src in args[:-1]:
                copies.append(src)
                if not os.path.exists(os.path.join(context, src)):
                    problems.append(f"COPY source {src} is not in the build context")
    return problems, health, entrypoint

images = {}   # service -> (health in Dockerfile, entrypoint)
for name, svc in services.items():
    unknown = [k for k in svc if k not in SERVICE_KEYS and not k.startswith("x-")]
    ok(f"{name}: keys are compose's", not unknown, f"unknown: {unknown}")
    if "build" in svc:
        b = svc["build"]
        ctx = os.path.normpath(os.path.join(ddir, b["context"] if isinstance(b, dict) else b))
        df = os.path.join(ctx, b.get("dockerfile", "Dockerfile") if isinstance(b, dict) else "Dockerfile")
        if ok(f"{name}: build context and Dockerfile exist ({os.path.relpath(df, root)})",
              os.path.isdir(ctx) and os.path.isfile(df)):
            problems, health, ep = dockerfile_info(ctx, df)
            ok(f"{name}: {os.path.relpath(df, root)} is sound (instructions, COPY sources, JSON forms)",
               not problems, "; ".join(problems))
            images[name] = (health, ep, df)
    else:
        ok(f"{name}: an image or a build", "image" in svc)
    env = env_of(svc)
    for k, v in env.items():
        if "PASSWORD" in k:
            ok(f"{name}.{k}: from a required variable, no literal", v and re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", v), v)

# ---- volumes
writers = {}
for name, svc in services.items():
    for v in svc.get("volumes") or []:
        if isinstance(v, dict):
            src, ro = v.get("source"), v.get("read_only", False)
            kind = v.get("type", "volume")
        else:
            parts = v.split(":")
            src, ro = parts[0], len(parts) > 2 and "ro" in parts[2].split(",")
            kind = "bind" if src.startswith((".", "/", "~")) else "volume"
        if kind == "bind":
            ok(f"{name}: bind-mount source {src} exists", os.path.exists(os.path.join(ddir, src)))
        else:
            ok(f"{name}: volume {src} is declared under volumes:", src in declared_volumes)
            if not ro:
                writers.setdefault(src, []).append(name)
for vol, who in writers.items():
    ok(f"volume {vol} written by one service only ({', '.join(who)})", len(who) == 1)
unused = declared_volumes - set(writers) - {v.split(":")[0] for s in services.values() for v in (s.get("volumes") or []) if isinstance(v, str)}
ok("every declared volume is used", not unused, f"unused: {sorted(unused)}")

# ---- depends_on, profiles, health
def deps(svc):
    d = svc.get("depends_on") or {}
    return {k: "service_started" for k in d} if isinstance(d, list) else {k: (c or {}).get("condition", "service_started") for k, c in d.items()}
def profiles(svc):
    return set(svc.get("profiles") or [])
for name, svc in services.items():
    for dep, cond in deps(svc).items():
        if not ok(f"{name} depends on {dep}: a service", dep in services):
            continue
        ok(f"{name} -> {dep}: a condition compose knows ({cond})",
           cond in ("service_started", "service_healthy", "service_completed_successfully"))
        if not profiles(svc):
            ok(f"{name} (always on) depends on {dep}, always on too", not profiles(services[dep]))
        else:
            ok(f"{name} (profiles {sorted(profiles(svc))}) depends on {dep}, on in those profiles",
               not profiles(services[dep]) or profiles(svc) <= profiles(services[dep]))
        if cond == "service_healthy":
            health = "healthcheck" in services[dep] or images.get(dep, (False,))[0]
            ok(f"{name} waits for {dep} to be healthy: {dep} has a health check", health)
def cycle():
    state = {}
    def visit(n, path):
        if state.get(n) == 1:
            return path + [n]
        if state.get(n) == 2 or n not in services:
            return None
        state[n] = 1
        for d in deps(services[n]):
            c = visit(d, path + [n])
            if c:
                return c
        state[n] = 2
        return None
    for n in services:
        c = visit(n, [])
        if c:
            return c
    return None
c = cycle()
ok("depends_on has no cycle", not c, " -> ".join(c or []))

def active(profile):
    return {n for n, s in services.items() if not profiles(s) or profile in profiles(s)}
ok("without a profile: db and tileserver", active(None) == {"db", "tileserver"}, sorted(active(None)))
scale = active("scale")
ok("profile scale: db (the primary), standby, tileserver-1, tileserver-2, nginx (and tileserver)",
   {"db", "standby", "tileserver-1", "tileserver-2", "nginx"} <= scale, sorted(scale))

def host_ports(svc):
    out = []
    for p in svc.get("ports") or []:
        if isinstance(p, dict):
            out.append((p.get("host_ip", "0.0.0.0"), str(p.get("published")), str(p.get("target"))))
            continue
        parts = str(p).split(":")
        if len(parts) == 3:
            out.append((parts[0], parts[1], parts[2]))
        elif len(parts) == 2:
            out.append(("0.0.0.0", parts[0], parts[1]))
        else:
            out.append((None, None, parts[0]))
    return out
for prof in (None, "scale"):
    seen, clash = {}, []
    for n in sorted(active(prof)):
        for ip, hp, cp in host_ports(services[n]):
            if hp is None:
                continue
            for (ip2, hp2), n2 in seen.items():
                if hp2 == hp and (ip2 == ip or "0.0.0.0" in (ip, ip2)):
                    clash.append(f"{n} and {n2} on {hp}")
            seen[(ip, hp)] = n
    ok(f"{'profile ' + prof if prof else 'without a profile'}: no host port published twice", not clash, "; ".join(clash))

# ---- the scale deployment fits together
def url_host(u):
    m = re.match(r"postgres(?:ql)?://([^:@/]*)(?::[^@]*)?@([^:/]+)(?::(\d+))?/", u or "")
    return (m.group(1), m.group(2), m.group(3) or "5432") if m else (None, None, None)
nginx_conf = open(os.path.join(ddir, "nginx.conf")).read()
conf_c = open(os.path.join(root, "tileserver", "src", "conf.c")).read()
known_env = set(re.findall(r'"(TAILINGS_[A-Z_]+)"', conf_c)) | {"DATABASE_URL"}
scaled = [n for n in sorted(scale) if n.startswith("tileserver-")]
ok("two tile servers behind nginx", len(scaled) == 2, scaled)
upstream_servers = re.findall(r"^\s*server\s+([A-Za-z0-9_.-]+):(\d+)", nginx_conf, re.M)
ok("nginx.conf's upstreams name exactly the scale tile servers (in both upstream blocks)",
   sorted(set(h for h, _ in upstream_servers)) == scaled and len(upstream_servers) == 2 * len(scaled),
   upstream_servers)
for n in scaled:
    svc = services[n]
    env = env_of(svc)
    ep = (images.get(n) or (False, None, None))[1] or []
    listen = next((ep[i + 1] for i, a in enumerate(ep[:-1]) if a == "--listen"), env.get("TAILINGS_LISTEN"))
    port = listen.rsplit(":", 1)[1] if listen else None
    ok(f"{n}: nginx.conf sends to the port its image listens on ({listen})",
       port and all(p == port for h, p in upstream_servers if h == n))
    ok(f"{n}: writes and the change listener on db as tailings_tileserver",
       url_host(env.get("DATABASE_URL"))[:2] == ("tailings_tileserver", "db"), env.get("DATABASE_URL"))
    ok(f"{n}: tiles from the standby (TAILINGS_DB_REPLICA) as tailings_tileserver, no password in the URL",
       url_host(env.get("TAILINGS_DB_REPLICA"))[:2] == ("tailings_tileserver", "standby")
       and ":" not in (env.get("TAILINGS_DB_REPLICA") or "").split("@")[0].split("//")[-1],
       env.get("TAILINGS_DB_REPLICA"))
    ok(f"{n}: no per-address caps (every request comes from nginx's address)",
       env.get("TAILINGS_MAX_CONNS_PER_IP") == "0" and env.get("TAILINGS_MAX_STREAMS_PER_IP") == "0")
    ok(f"{n}: s-maxage set, so that nginx keeps current tiles and revalidates them",
       (env.get("TAILINGS_S_MAXAGE_S") or "0").isdigit() and int(env.get("TAILINGS_S_MAXAGE_S") or 0) > 0)
    ok(f"{n}: waits for db and the standby to be healthy",
       deps(svc).get("db") == "service_healthy" and deps(svc).get("standby") == "service_healthy")
    unknown = sorted(k for k in env if k.startswith("TAILINGS_") and k not in known_env)
    ok(f"{n}: every TAILINGS_* variable is one conf.c reads", not unknown, f"unknown: {unknown}")
ng = services.get("nginx", {})
listen_ports = re.findall(r"^\s*listen\s+(\d+)\s*;", nginx_conf, re.M)
published = host_ports(ng)
ok("nginx: compose publishes the port nginx.conf listens on", listen_ports and published
   and all(cp == listen_ports[0] for _, _, cp in published), f"listen {listen_ports}, ports {published}")
if published:
    ip, hp, _ = published[0]
    public = f"http://{'127.0.0.1' if ip in (None, '0.0.0.0') else ip}:{hp}"
    ok(f"the tile servers' --public-url is nginx's published address ({public})",
       all(env_of(services[n]).get("TAILINGS_PUBLIC_URL") == public for n in scaled),
       [env_of(services[n]).get("TAILINGS_PUBLIC_URL") for n in scaled])
ok("nginx: its configuration is docker/nginx.conf",
   any(str(v).startswith("./nginx.conf:/etc/nginx/nginx.conf") for v in ng.get("volumes") or []))
ok("nginx: its cache on a volume (/var/cache/nginx, nginx.conf's proxy_cache_path)",
   "/var/cache/nginx/" in nginx_conf and any(str(v).endswith(":/var/cache/nginx") for v in ng.get("volumes") or []))
sb = services.get("standby", {})
sb_env = env_of(sb)
ok("standby: the database image", sb.get("build") == services["db"].get("build"))
ok("standby: follows db (PRIMARY_HOST)", sb_env.get("PRIMARY_HOST") == "db")
ok("standby: starts from db's health", deps(sb).get("db") == "service_healthy")
db_df = open(images["db"][2]).read() if "db" in images else ""
ep = sb.get("entrypoint") or []
ok("standby: its entrypoint is docker/standby.sh, copied there by db.Dockerfile",
   ep and re.search(r"^COPY docker/standby\.sh " + re.escape(ep[0]) + r"$", db_df, re.M), ep)
scripts = "".join(open(os.path.join(ddir, f)).read() for f in os.listdir(ddir) if f.endswith(".sh"))
for n in ("db", "standby"):
    for k in env_of(services.get(n, {})):
        if k.startswith(("TAILINGS_", "PRIMARY_", "STANDBY_")):
            ok(f"{n}: {k} is read by a script of docker/", re.search(r"\$\{?" + k + r"\b", scripts))
ok("db.Dockerfile runs the replication role's script at init",
   re.search(r"^COPY docker/initdb-replication\.sh /docker-entrypoint-initdb\.d/", db_df, re.M))
ok("db keeps WAL for an absent standby's slot only up to a bound (max_slot_wal_keep_size)",
   "max_slot_wal_keep_size" in " ".join(map(str, services["db"].get("command") or [])))

for good, desc, detail in results:
    print(("ok - " if good else "not ok - ") + desc + ("" if good or not detail else f" ({detail})"))
PY
)
while IFS= read -r line; do
	case "$line" in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) not_ok "${line#not ok - }" ;;
	*) echo "$line" ;;
	esac
done <<<"$out"
[ -n "$out" ] || not_ok "the checks ran"
http_finish
