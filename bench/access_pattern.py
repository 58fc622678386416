#!/usr/bin/env python3
"""The tile requests of a national deployment, synthesised and replayed through caches
(bench/access_pattern.sh runs it; docs/scale.md reads its figures).

  access_pattern.py generate PONDS.csv OUT_DIR   the request log (and its distinct tiles)
  access_pattern.py simulate OUT_DIR SIZES.tsv    hit ratios per cache size, per scenario
  access_pattern.py replay-list OUT_DIR N         the first N tile requests that reach the
                                                  servers (scenario public), as URL paths
  access_pattern.py lru OUT_DIR SIZES.tsv N MB    the LRU's hit ratio over that list, at MB

The model (every number a parameter below, printed with the results):
  - viewers: a constant number of concurrent sessions (VIEWERS); one that ends is replaced.  Who
    they are, as in the supervision of tailings ponds: enterprise staff (their one pond), county,
    city and province officers (their region), the ministry (the whole country).  The generated
    ponds' county codes are not geographic, so the regions are geographic blocks of the generated
    grid (98-122 E, 22-42 N): 30 provinces of 4x4 degrees, 9 cities in each, 9 counties in each
    city; a region is picked by picking a pond (regions with more ponds have more officers).
  - a session: the opening view fits the region (the viewer fits its ponds), then a few ponds
    are looked at (a pond picked Zipf-like among the region's, the same order for everyone: big
    and level-1 ponds first), each zoomed in from 12-14 up to 17 with small pans, then back to the overview;
    a view every few seconds (think time).  A view is 1280x800 CSS pixels of 512-px tiles; the
    viewer's source stops at z16 (it overzooms beyond), so map zooms 8-17 ask tiles z8-16.  A
    viewer asks a tile only once per version (MapLibre keeps what it loaded).
  - edits (EDITS_PER_HOUR, at ponds picked uniformly): the servers drop the cached tiles within
    0.05 degree of the pond (their rule for the pond layer); every viewer told of it (public: all;
    members: those whose scope holds the pond) asks its view's tiles again under v=<change id>.
  - scenario "public" (--auth none, or no token): nginx in front, key (tile, v), a tile kept
    S_MAXAGE seconds then revalidated (nginx counts whole seconds); the servers' caches (one LRU
    of the servers' total size: consistent hashing gives each server a share of the tiles)
    behind it see nginx's misses and revalidations.
  - scenario "members" (--auth token): no shared cache (nginx passes them through); the servers
    cache per scope: key (scope, tile).
"""
import bisect
import collections
import csv
import hashlib
import heapq
import math
import os
import pickle
import random
import sys

VIEWERS = int(os.environ.get("VIEWERS", 1000))
MINUTES = float(os.environ.get("MINUTES", 40))        # simulated, of which WARMUP are not counted
WARMUP = float(os.environ.get("WARMUP_MIN", 10))
EDITS_PER_HOUR = float(os.environ.get("EDITS_PER_HOUR", 120))
THINK_S = float(os.environ.get("THINK_S", 6))          # mean seconds between two views
SEED = int(os.environ.get("SEED", 1))
ROLES = [("enterprise", 0.50), ("county", 0.25), ("city", 0.12), ("province", 0.08), ("national", 0.05)]
ZIPF_S = 1.0
VIEW_W, VIEW_H, TILE_PX = 1280, 800, 512
SOURCE_MAXZOOM = 16
MIN_ZOOM, MAX_ZOOM = 8, 17
EDIT_MARGIN = 0.05
AREA = (98.0, 22.0, 122.0, 42.0)
PROV_DEG = 4.0

# ---------------------------------------------------------------------------
def tile_xy(lon, lat, z):
    n = 2 ** z
    x = (lon + 180) / 360 * n
    la = math.radians(lat)
    y = (1 - math.log(math.tan(la) + 1 / math.cos(la)) / math.pi) / 2 * n
    return x, y

def view_tiles(lon, lat, mapzoom):
    """the tiles a 1280x800 view centred at lon/lat at integer map zoom asks"""
    tz = min(mapzoom, SOURCE_MAXZOOM)
    scale = 2 ** (mapzoom - tz)                     # overzoomed: a tile covers more pixels
    cx, cy = tile_xy(lon, lat, tz)
    hw = VIEW_W / 2 / (TILE_PX * scale)
    hh = VIEW_H / 2 / (TILE_PX * scale)
    n = 2 ** tz
    out = []
    for x in range(int(math.floor(cx - hw)), int(math.floor(cx + hw)) + 1):
        for y in range(max(0, int(math.floor(cy - hh))), min(n - 1, int(math.floor(cy + hh))) + 1):
            out.append((tz, x % n, y))
    return out

def fit_zoom(w_deg, h_deg, lat):
    """the largest map zoom at which a box fits the view"""
    for z in range(MAX_ZOOM, -1, -1):
        x0, y0 = tile_xy(0, lat + h_deg / 2, z)
        x1, y1 = tile_xy(w_deg, lat - h_deg / 2, z)
        if (x1 - x0) * TILE_PX <= VIEW_W * 0.9 and (y1 - y0) * TILE_PX <= VIEW_H * 0.9:
            return z
    return 0

def regions_of(lon, lat):
    px = int((lon - AREA[0]) // PROV_DEG)
    py = int((lat - AREA[1]) // PROV_DEG)
    cd = PROV_DEG / 3
    cx = int(((lon - AREA[0]) - px * PROV_DEG) // cd)
    cy = int(((lat - AREA[1]) - py * PROV_DEG) // cd)
    kd = cd / 3
    kx = int(((lon - AREA[0]) - px * PROV_DEG - cx * cd) // kd)
    ky = int(((lat - AREA[1]) - py * PROV_DEG - cy * cd) // kd)
    prov = f"p{px}.{py}"
    city = f"{prov}c{cx}.{cy}"
    county = f"{city}k{kx}.{ky}"
    return prov, city, county

class Zipf:
    def __init__(self, n, s, rng):
        w = [1 / (i + 1) ** s for i in range(n)]
        tot = sum(w)
        acc, self.cum = 0, []
        for v in w:
            acc += v / tot
            self.cum.append(acc)
        self.rng = rng
    def pick(self):
        return min(bisect.bisect_left(self.cum, self.rng.random()), len(self.cum) - 1)

# ---------------------------------------------------------------------------
def load_ponds(path):
    ponds = []
    for row in csv.DictReader(open(path)):
        lon, lat = float(row["lon"]), float(row["lat"])
        prov, city, county = regions_of(lon, lat)
        ponds.append({"id": int(row["id"]), "lon": lon, "lat": lat, "level": int(row["level"]),
                      "prov": prov, "city": city, "county": county})
    # everyone's order of interest: level-1 ponds first, then level 2, then 3, in a fixed shuffle
    ponds.sort(key=lambda p: (p["level"], hashlib.md5(str(p["id"]).encode()).hexdigest()))
    return ponds

def generate(ponds_csv, out):
    rng = random.Random(SEED)
    ponds = load_ponds(ponds_csv)
    by = collections.defaultdict(list)
    for i, p in enumerate(ponds):
        for k in ("prov", "city", "county"):
            by[(k, p[k])].append(i)
        by[("enterprise", p["id"])].append(i)
    by[("national", "*")] = list(range(len(ponds)))
    zipfs = {}
    def zipf_for(key):
        if key not in zipfs:
            zipfs[key] = Zipf(len(by[key]), ZIPF_S, rng)
        return zipfs[key]
    role_cum = []
    acc = 0
    for r, w in ROLES:
        acc += w
        role_cum.append((acc, r))

    ids = iter(range(1 << 62))

    def new_session(t):
        u = rng.random()
        role = next(r for c, r in role_cum if u <= c)
        p = ponds[rng.randrange(len(ponds))]
        key = {"enterprise": ("enterprise", p["id"]), "county": ("county", p["county"]), "city": ("city", p["city"]),
               "province": ("prov", p["prov"]), "national": ("national", "*")}[role]
        members = by[key]
        lons = [ponds[i]["lon"] for i in members]
        lats = [ponds[i]["lat"] for i in members]
        clon, clat = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2
        if role == "enterprise":
            z0 = 15
        else:
            z0 = fit_zoom(max(lons) - min(lons) + 0.05, max(lats) - min(lats) + 0.05, clat)
        z0 = max(MIN_ZOOM, min(MAX_ZOOM, z0))
        plan = [(clon, clat, z0)]
        visits = 1
        while rng.random() < 0.7 and visits < 8:
            visits += 1
        for _ in range(visits if role != "enterprise" else 1):
            q = ponds[members[zipf_for(key).pick()]]
            z = rng.choice((12, 13, 14)) if role != "enterprise" else 15
            lon, lat = q["lon"], q["lat"]
            for _ in range(rng.randint(2, 5)):
                span = 360 / 2 ** z * VIEW_W / TILE_PX
                plan.append((lon + rng.gauss(0, 0.25) * span, lat + rng.gauss(0, 0.25) * span * 0.6, z))
                if z < MAX_ZOOM and rng.random() < 0.6:
                    z += 1
            plan.append((clon, clat, z0))
        scope = {"enterprise": f"e{p['id']}", "county": f"k{p['county']}", "city": f"c{p['city']}",
                 "province": f"p{p['prov']}", "national": "*"}[role]
        return {"plan": plan, "step": 0, "scope": scope, "role": role, "key": key, "no": next(ids)}

    end = MINUTES * 60
    events = []   # (t, kind, data)
    heap = []
    for v in range(VIEWERS):
        heapq.heappush(heap, (rng.random() * THINK_S, v, new_session(0)))
    t_edit = rng.expovariate(EDITS_PER_HOUR / 3600) if EDITS_PER_HOUR > 0 else end + 1
    log = []      # (t, viewer, session_no, scope, tiles) per view; ("edit", t, pond) for edits
    while heap:
        t, v, s = heapq.heappop(heap)
        while t_edit <= t and t_edit < end:
            q = ponds[rng.randrange(len(ponds))]
            log.append(("edit", t_edit, q["lon"], q["lat"], q["prov"], q["city"], q["county"], q["id"]))
            t_edit += rng.expovariate(EDITS_PER_HOUR / 3600)
        if t >= end:
            continue
        lon, lat, z = s["plan"][s["step"]]
        log.append(("view", t, v, s["no"], s["scope"], view_tiles(lon, lat, z)))
        s["step"] += 1
        if s["step"] >= len(s["plan"]):
            s = new_session(t)
        heapq.heappush(heap, (t + max(1.0, rng.expovariate(1 / THINK_S)), v, s))
    tiles = set()
    for e in log:
        if e[0] == "view":
            tiles.update(e[5])
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "log.pickle"), "wb") as f:
        pickle.dump({"log": log, "ponds": len(ponds)}, f)
    with open(os.path.join(out, "tiles.tsv"), "w") as f:
        for z, x, y in sorted(tiles):
            f.write(f"{z}\t{x}\t{y}\n")
    views = sum(1 for e in log if e[0] == "view")
    edits = sum(1 for e in log if e[0] == "edit")
    zooms = collections.Counter(z for e in log if e[0] == "view" for z, _, _ in e[5])
    print(f"generated: {VIEWERS} concurrent viewers, {MINUTES:g} simulated minutes, {views} views,"
          f" {edits} edits, {len(tiles)} distinct tiles; tiles asked per zoom (before the viewers' own"
          f" caches): " + " ".join(f"z{z}:{zooms[z]}" for z in sorted(zooms)))

# ---------------------------------------------------------------------------
class LRU:
    """an LRU bounded in bytes; cost(key) -> bytes"""
    def __init__(self, capacity, cost):
        self.cap, self.cost, self.bytes = capacity, cost, 0
        self.d = collections.OrderedDict()
    def get(self, key):
        if key in self.d:
            self.d.move_to_end(key)
            return self.d[key]
        return None
    def put(self, key, value):
        c = self.cost(key)
        if key in self.d:
            self.d.move_to_end(key)
            self.d[key] = value
            return
        if c > self.cap:
            return
        self.d[key] = value
        self.bytes += c
        while self.bytes > self.cap:
            k, _ = self.d.popitem(last=False)
            self.bytes -= self.cost(k)
    def drop(self, key):
        if key in self.d:
            del self.d[key]
            self.bytes -= self.cost(key)

class Sizes(dict):
    """tile -> raw bytes, as tailings.tile() made it; a tile not measured (SIZE_SAMPLE) gets the
    size of a measured tile of its zoom, picked by its hash (so always the same)"""
    def __init__(self):
        super().__init__()
        self.by_zoom = collections.defaultdict(list)
    def __missing__(self, t):
        pool = self.by_zoom.get(t[0])
        if not pool:
            return 0
        h = int(hashlib.md5(f"{t[0]}/{t[1]}/{t[2]}".encode()).hexdigest()[:8], 16)
        v = pool[h % len(pool)]
        self[t] = v
        return v
    def get(self, t, default=0):
        return self[t]

def load_sizes(path):
    raw, gz_ratio = Sizes(), {}
    for line in open(path):
        parts = line.split()
        if parts[0] == "gz":
            gz_ratio[int(parts[1])] = float(parts[2])
        else:
            z, x, y, n = map(int, parts)
            raw[(z, x, y)] = n
            raw.by_zoom[z].append(n)
    for z in raw.by_zoom:
        raw.by_zoom[z].sort()
    return raw, gz_ratio

SERVER_ENTRY_OVERHEAD = int(os.environ.get("SERVER_ENTRY_OVERHEAD", 400))   # the entry, its key, its etags
NGINX_BLOCK = 4096                                                        # a cache file, in blocks
NGINX_HEADER = 600                                                        # nginx's header and the response's

def edit_tiles(lon, lat):
    out = []
    for z in range(MIN_ZOOM, SOURCE_MAXZOOM + 1):
        x0, y0 = tile_xy(lon - EDIT_MARGIN, lat + EDIT_MARGIN, z)
        x1, y1 = tile_xy(lon + EDIT_MARGIN, lat - EDIT_MARGIN, z)
        for x in range(int(x0), int(x1) + 1):
            for y in range(int(y0), int(y1) + 1):
                out.append((z, x, y))
    return out

def in_scope(scope, edit):
    _, _, lon, lat, prov, city, county, pid = edit
    return scope == "*" or scope == f"p{prov}" or scope == f"c{city}" or scope == f"k{county}" or scope == f"e{pid}"

def simulate(out, sizes_path):
    data = pickle.load(open(os.path.join(out, "log.pickle"), "rb"))
    log = data["log"]
    raw, gz_ratio = load_sizes(sizes_path)
    def gz(t):
        return int(raw.get(t, 0) * gz_ratio.get(t[0], 0.5))
    def server_cost(key):
        t = key[1] if isinstance(key[1], tuple) else key
        return SERVER_ENTRY_OVERHEAD + raw.get(t, 0) + gz(t)
    def nginx_cost(key):
        t = key[0]
        return -(-(NGINX_HEADER + gz(t)) // NGINX_BLOCK) * NGINX_BLOCK
    server_mb = [int(v) for v in os.environ.get("SERVER_MB", "64 256 1024 4096").split()]
    scenarios = os.environ.get("SCENARIOS", "public members").split()
    maxages = [int(v) for v in os.environ.get("S_MAXAGES", "1 10 60").split()]
    nginx_mb = int(os.environ.get("NGINX_MB", 10240))
    t0 = WARMUP * 60
    span = (MINUTES - WARMUP) * 60
    results = []

    def run(scenario, maxage):
        servers = [LRU(mb << 20, server_cost) for mb in server_mb]
        index = [collections.defaultdict(set) for _ in server_mb]   # tile -> scopes cached (members)
        nginx = LRU(nginx_mb << 20, nginx_cost) if scenario == "public" else None
        version = {}          # viewer -> its v=
        loaded = {}           # viewer -> set of (tile, v) its map holds; reset per session
        current = {}          # viewer -> (session no, scope, tiles in view)
        c = collections.Counter()
        change = 0
        def server_request(key, t, counting):
            tile = key if scenario == "public" else key[1]
            for i, s in enumerate(servers):
                hit = s.get(key) is not None
                if counting:
                    c[f"server_hit_{i}"] += hit
                    c[f"server_req_{i}"] += 1
                if not hit:
                    s.put(key, 1)
                    if scenario == "members":
                        index[i][tile].add(key[0])
        def request(v, scope, tile, t, counting, reload):
            ver = version.get(v, 0)
            if (tile, ver) in loaded[v]:
                return
            loaded[v].add((tile, ver))
            if counting:
                c["requests"] += 1
                c["reload_requests"] += reload
            if scenario == "public":
                key = (tile, ver)
                stored = nginx.get(key)
                if stored is not None and math.floor(t) <= math.floor(stored) + maxage:
                    if counting:
                        c["nginx_hit"] += 1
                    return
                if counting:
                    c["nginx_revalidated" if stored is not None else "nginx_miss"] += 1
                nginx.put(key, t)
                server_request(tile, t, counting)
            else:
                server_request((scope, tile), t, counting)
        for e in log:
            t = e[1]
            counting = t >= t0
            if e[0] == "edit":
                change += 1
                if counting:
                    c["edits"] += 1
                for i, s in enumerate(servers):
                    for tile in edit_tiles(e[2], e[3]):
                        if scenario == "public":
                            s.drop(tile)
                        else:
                            for sc in index[i].pop(tile, ()):
                                s.drop((sc, tile))
                for v, (no, scope, tiles) in current.items():
                    if scenario == "public" or in_scope(scope, e):
                        version[v] = change
                        for tile in tiles:
                            request(v, scope, tile, t + 0.2, counting, 1)
                continue
            _, t, v, no, scope, tiles = e
            if current.get(v, (None,))[0] != no:
                loaded[v] = set()          # a new session: a new page, v=0
                version[v] = 0
            current[v] = (no, scope, tiles)
            for tile in tiles:
                request(v, scope, tile, t, counting, 0)
        return c

    print(f"model: {VIEWERS} concurrent viewers; a view every {THINK_S:g} s on average; {EDITS_PER_HOUR:g} edits"
          f" an hour; {MINUTES - WARMUP:g} simulated minutes counted after {WARMUP:g} of warm-up; roles "
          + ", ".join(f"{r} {int(w * 100)}%" for r, w in ROLES))
    print(f"sizes: a server's cache entry = {SERVER_ENTRY_OVERHEAD} B + the tile + its gzip copy; an nginx"
          f" cache file = header and gzip body in {NGINX_BLOCK}-byte blocks; nginx max_size {nginx_mb} MiB")
    for scenario, ages in [(sc, maxages if sc == "public" else [None]) for sc in scenarios]:
        for maxage in ages:
            c = run(scenario, maxage)
            n = c["requests"]
            rate = n / span
            line = f"{scenario:8s}"
            if scenario == "public":
                line += (f" s-maxage {maxage:>2} s: {rate / VIEWERS:.2f} tiles/s a viewer ({c['reload_requests'] * 100 / n:.0f}% after edits);"
                         f" nginx HIT {c['nginx_hit'] * 100 / n:.1f}%, revalidated {c['nginx_revalidated'] * 100 / n:.1f}%,"
                         f" miss {c['nginx_miss'] * 100 / n:.1f}% -> to the servers {(n - c['nginx_hit']) / span:.0f}/s")
            else:
                line += (f" (per scope, no shared cache): {rate / VIEWERS:.2f} tiles/s a viewer"
                         f" ({c['reload_requests'] * 100 / n:.0f}% after edits) -> to the servers {rate:.0f}/s")
            print(line)
            for i, mb in enumerate(server_mb):
                req, hit = c[f"server_req_{i}"], c[f"server_hit_{i}"]
                print(f"           servers' caches {mb:>5} MiB in all: hit {hit * 100 / max(req, 1):5.1f}%"
                      f" -> tile() on the database {(req - hit) / span:7.1f}/s"
                      f" ({(req - hit) / span / VIEWERS * 1000:.1f} per 1000 viewers)")
                results.append((scenario, maxage, mb, n / span, (n - c["nginx_hit"]) / span if scenario == "public" else n / span,
                                hit / max(req, 1), (req - hit) / span))
    with open(os.path.join(out, "results.tsv"), "w") as f:
        f.write("scenario\ts_maxage\tserver_mb\trequests_per_s\tto_servers_per_s\tserver_hit\tdb_tiles_per_s\n")
        for r in results:
            f.write("\t".join(str(v) for v in r) + "\n")

# ---------------------------------------------------------------------------
def server_stream(out, limit):
    """the first LIMIT tile requests that reach the servers in scenario public, s-maxage 1 s,
    without the edits (the replay runs on an unchanging database)"""
    data = pickle.load(open(os.path.join(out, "log.pickle"), "rb"))
    loaded, stored, seen = {}, {}, []
    for e in data["log"]:
        if e[0] != "view":
            continue
        _, t, v, no, scope, tiles = e
        if loaded.get(v, (None,))[0] != no:
            loaded[v] = (no, set())
        for tile in tiles:
            if tile in loaded[v][1]:
                continue
            loaded[v][1].add(tile)
            s = stored.get(tile)
            if s is not None and math.floor(t) <= math.floor(s) + 1:
                continue
            stored[tile] = t
            seen.append(tile)
            if len(seen) >= limit:
                return seen
    return seen

def replay_list(out, limit):
    for z, x, y in server_stream(out, limit):
        print(f"/tiles/all/{z}/{x}/{y}.mvt")

def lru_on_list(out, sizes_path, limit, mb):
    raw, gz_ratio = load_sizes(sizes_path)
    cost = lambda t: SERVER_ENTRY_OVERHEAD + raw.get(t, 0) + int(raw.get(t, 0) * gz_ratio.get(t[0], 0.5))
    s = LRU(mb << 20, cost)
    hits = n = 0
    for tile in server_stream(out, limit):
        n += 1
        if s.get(tile) is not None:
            hits += 1
        else:
            s.put(tile, 1)
    print(f"{hits} {n}")

if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "generate":
        generate(sys.argv[2], sys.argv[3])
    elif cmd == "simulate":
        simulate(sys.argv[2], sys.argv[3])
    elif cmd == "replay-list":
        replay_list(sys.argv[2], int(sys.argv[3]))
    elif cmd == "lru":
        lru_on_list(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        print(__doc__)
        sys.exit(2)
