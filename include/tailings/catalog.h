/*
 * tailings/catalog.h - the element catalog of Tailings One-Map.
 *
 * The 9 categories of environmental supervision elements of GB 18599-2020 as
 * the bureau's unified template uses them, and the 40 kinds of element drawn
 * on the "one map".  This file is the single definition of the catalog: the
 * PostgreSQL extension (types, catalog functions, completeness check) and the
 * tile server (layer list, style) both read it.  Nothing else re-lists it.
 *
 * Identifiers are stable on-disk values (the extension stores them in its
 * 2-byte types): never renumber an entry, only append.  A kind's id is its
 * category id times 100 plus its position, so ids sort in catalog order.
 *
 * Plain C11, no dependencies: safe to include from PostgreSQL backend code
 * and from the tile server alike.
 */
#ifndef TAILINGS_CATALOG_H
#define TAILINGS_CATALOG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Vector tiles: zoom levels served, and the zoom from which the element
 * layers are drawn (below it a tile carries the ponds layer only, ponds as
 * points).  The name of the pond layer; the others are the category codes.
 */
#define TL_TILE_MAXZOOM 22
#define TL_ELEMENT_MINZOOM 12
#define TL_PONDS_LAYER "ponds"

/* Allowed geometry families (a multi-geometry of an allowed family is allowed) */
#define TL_GEOM_POINT 0x1
#define TL_GEOM_LINE 0x2
#define TL_GEOM_POLYGON 0x4

/* A kind whose lines run in the direction of flow (TL_KIND_LIST's flow field) */
#define TL_DIRECTED 1

/*
 * Placement roles (TL_KIND_LIST's role field): what a kind is to the
 * completeness check's built-in placement rules.  X(id, code, meaning)
 *   leachate_line: a directed leachate line; it must end (in its drawn
 *     direction) at a leachate sink (rule leachate_flow)
 *   leachate_sink: where leachate lines end
 *   upstream_well: lies upstream of the pond in the groundwater flow (rule
 *     gw_background_upstream, 本底井 in 办法 Art. 16)
 *   downstream_well: lies downstream (rule gw_monitoring_downstream)
 * 0 is no role.  SQL: kinds().placement_role, the role's code or null.
 */
#define TL_ROLE_LIST(X)                                                    \
	X(1, leachate_line, "a directed leachate line, ends at a leachate sink") \
	X(2, leachate_sink, "where leachate lines end")                       \
	X(3, upstream_well, "lies upstream of the pond in the groundwater flow") \
	X(4, downstream_well, "lies downstream of the pond in the groundwater flow")

#define TL_ROLE_ENUM_(id, code, meaning) TL_ROLE_##code = id,
enum
{
	TL_ROLE_NONE = 0,
	TL_ROLE_LIST(TL_ROLE_ENUM_)
};

/* a role's code, or NULL for TL_ROLE_NONE and unknown ids */
static inline const char *
tl_role_code(int role)
{
	switch (role)
	{
#define TL_ROLE_CASE_(id, code, meaning) case id: return #code;
		TL_ROLE_LIST(TL_ROLE_CASE_)
#undef TL_ROLE_CASE_
	}
	return NULL;
}

/*
 * X(id, code, label_zh, label_en, colour)
 * colour: the category's colour in the unified symbology (图示).
 */
#define TL_CATEGORY_LIST(X)                                                            \
	X(1, site, "库区与坝体", "Pond and dam", "#8c6239")                                \
	X(2, dust, "扬尘防护", "Dust control", "#d4a017")                                  \
	X(3, seepage, "防渗", "Seepage control", "#7b5ea7")                                \
	X(4, leachate, "渗滤液收集导排", "Leachate collection and drainage", "#e8590c")    \
	X(5, groundwater, "地下水监测", "Groundwater monitoring", "#1c7ed6")               \
	X(6, stormwater, "雨污分流与截排洪", "Storm water separation and flood drainage", \
	  "#0ca4a5")                                                                       \
	X(7, water_return, "尾矿水回用与排放", "Tailings water return and discharge",      \
	  "#2b8a3e")                                                                       \
	X(8, emergency, "事故应急", "Emergency response", "#e03131")                       \
	X(9, receptor, "周边环境敏感目标", "Sensitive receptors", "#c2255c")

/*
 * X(id, category, code, label_zh, label_en, geometry families, required attributes, flow, role)
 * required attributes: comma-separated keys of element.attrs, or "" for none.
 * flow: TL_DIRECTED for the flowing kinds (pipes, ditches, the flood tunnel,
 * rivers): their lines run in the direction of flow (流向) and the map draws
 * arrows pointing that way.  0 for the rest; dams and interception dams are
 * barriers, not flows, and carry no arrows.
 * role: the kind's placement role (TL_ROLE_*), or 0.
 */
#define TL_KIND_LIST(X)                                                                     \
	X(101, site, pond_boundary, "库区边界", "Pond boundary", TL_GEOM_POLYGON, "", 0, 0)          \
	X(102, site, dam, "坝体", "Dam", TL_GEOM_LINE, "", 0, 0)                                      \
	X(103, site, dry_beach, "干滩", "Dry beach", TL_GEOM_POLYGON, "", 0, 0)                       \
	X(104, site, closure_cover, "封场覆盖区", "Closure cover", TL_GEOM_POLYGON, "", 0, 0)         \
	X(105, site, sign, "环境保护标志", "Environmental protection sign", TL_GEOM_POINT, "", 0, 0)  \
	X(201, dust, dam_face_dust_cover, "坝面扬尘防护", "Dam face dust cover",                \
	  TL_GEOM_POLYGON, "", 0, 0)                                                                  \
	X(202, dust, sprinkler, "洒水抑尘设施", "Sprinkler", TL_GEOM_POINT, "", 0, 0)                 \
	X(203, dust, tsp_monitor, "颗粒物监测点", "TSP monitor", TL_GEOM_POINT, "", 0, 0)             \
	X(301, seepage, liner_area, "防渗区", "Lined area", TL_GEOM_POLYGON, "", 0, 0)                \
	X(302, seepage, leak_detection, "渗漏检测点", "Leak detection point", TL_GEOM_POINT,   \
	  "", 0, 0)                                                                                   \
	X(401, leachate, leachate_pool, "渗滤液收集池", "Leachate collection pool",             \
	  TL_GEOM_POINT | TL_GEOM_POLYGON, "volume_m3", 0, TL_ROLE_leachate_sink)                                         \
	X(402, leachate, leachate_pipe, "渗滤液收集管", "Leachate collection pipe",             \
	  TL_GEOM_LINE, "", TL_DIRECTED, TL_ROLE_leachate_line)                                                                     \
	X(403, leachate, leachate_ditch, "渗滤液导排沟", "Leachate drainage ditch",             \
	  TL_GEOM_LINE, "", TL_DIRECTED, TL_ROLE_leachate_line)                                                                     \
	X(404, leachate, seepage_well, "排渗井", "Seepage drainage well", TL_GEOM_POINT,        \
	  "depth_m", 0, 0)                                                                            \
	X(405, leachate, leachate_pump, "渗滤液回抽泵站", "Leachate return pump station",       \
	  TL_GEOM_POINT, "", 0, TL_ROLE_leachate_sink)                                                                    \
	X(501, groundwater, gw_background_well, "地下水本底井", "Groundwater background well",  \
	  TL_GEOM_POINT, "depth_m", 0, TL_ROLE_upstream_well)                                                             \
	X(502, groundwater, gw_monitoring_well, "地下水监视井", "Groundwater monitoring well",  \
	  TL_GEOM_POINT, "depth_m", 0, TL_ROLE_downstream_well)                                                             \
	X(503, groundwater, gw_diffusion_well, "地下水扩散井", "Groundwater diffusion well",    \
	  TL_GEOM_POINT, "depth_m", 0, 0)                                                             \
	X(504, groundwater, gw_outlet_well, "导排出口监测井", "Drainage outlet monitoring well", \
	  TL_GEOM_POINT, "depth_m", 0, 0)                                                             \
	X(601, stormwater, interception_ditch, "截洪沟", "Flood interception ditch",            \
	  TL_GEOM_LINE, "", TL_DIRECTED, 0)                                                                     \
	X(602, stormwater, spillway_tower, "溢洪塔", "Spillway tower", TL_GEOM_POINT, "", 0, 0)       \
	X(603, stormwater, flood_tunnel, "排洪洞", "Flood discharge tunnel", TL_GEOM_LINE, "", TL_DIRECTED, 0)  \
	X(604, stormwater, flood_tunnel_outlet, "排洪洞出口", "Flood tunnel outlet",            \
	  TL_GEOM_POINT, "", 0, 0)                                                                    \
	X(701, water_return, floating_intake, "浮船取水", "Floating pump barge", TL_GEOM_POINT, \
	  "", 0, 0)                                                                                   \
	X(702, water_return, high_level_tank, "高位水池", "High-level tank",                    \
	  TL_GEOM_POINT | TL_GEOM_POLYGON, "volume_m3", 0, 0)                                         \
	X(703, water_return, return_pool, "回水池", "Return water pool",                        \
	  TL_GEOM_POINT | TL_GEOM_POLYGON, "volume_m3", 0, 0)                                         \
	X(704, water_return, return_pipe, "回水管", "Return water pipe", TL_GEOM_LINE, "", TL_DIRECTED, 0)      \
	X(705, water_return, tailings_pipe, "输尾管", "Tailings delivery pipe", TL_GEOM_LINE,   \
	  "", TL_DIRECTED, 0)                                                                                   \
	X(706, water_return, discharge_outlet, "排放口", "Discharge outlet", TL_GEOM_POINT, "", 0, 0) \
	X(801, emergency, emergency_pool, "事故应急池", "Emergency pool",                       \
	  TL_GEOM_POINT | TL_GEOM_POLYGON, "volume_m3", 0, 0)                                         \
	X(802, emergency, interception_dam, "拦截坝", "Interception dam", TL_GEOM_LINE, "", 0, 0)     \
	X(803, emergency, emergency_gate, "应急闸阀", "Emergency gate valve", TL_GEOM_POINT, "", 0, 0) \
	X(804, emergency, emergency_store, "应急物资库", "Emergency supplies store",            \
	  TL_GEOM_POINT, "", 0, 0)                                                                    \
	X(805, emergency, video_monitor, "视频监控点", "Video surveillance point",              \
	  TL_GEOM_POINT, "", 0, 0)                                                                    \
	X(901, receptor, residential_area, "居民点", "Residential area",                        \
	  TL_GEOM_POINT | TL_GEOM_POLYGON, "", 0, 0)                                                  \
	X(902, receptor, drinking_water_source, "饮用水水源", "Drinking water source",          \
	  TL_GEOM_POINT | TL_GEOM_POLYGON, "", 0, 0)                                                  \
	X(903, receptor, surface_water, "地表水体", "Surface water body",                       \
	  TL_GEOM_LINE | TL_GEOM_POLYGON, "", TL_DIRECTED, 0)                                                   \
	X(904, receptor, farmland, "耕地", "Farmland", TL_GEOM_POLYGON, "", 0, 0)                     \
	X(905, receptor, surface_water_monitor, "地表水监测断面", "Surface water monitoring section", \
	  TL_GEOM_POINT, "", 0, 0)                                                                    \
	X(906, receptor, soil_monitor, "土壤监测点", "Soil monitoring point", TL_GEOM_POINT, "", 0, 0)

typedef struct TlCategory
{
	int16_t id;
	const char *code;
	const char *label_zh;
	const char *label_en;
	const char *colour;
} TlCategory;

typedef struct TlKind
{
	int16_t id;
	int16_t category; /* TlCategory.id */
	const char *code;
	const char *label_zh;
	const char *label_en;
	unsigned geom;              /* TL_GEOM_* bits */
	const char *required_attrs; /* comma-separated, "" for none */
	int			directed;		/* TL_DIRECTED: lines run in the direction of flow */
	int			role;			/* TL_ROLE_*: its part in the placement rules */
} TlKind;

#define TL_CATEGORY_ROW_(id, code, zh, en, colour) {id, #code, zh, en, colour},
#define TL_KIND_ROW_(id, cat, code, zh, en, geom, attrs, flow, role) \
	{id, TL_CATEGORY_ID_##cat, #code, zh, en, geom, attrs, flow, role},
#define TL_CATEGORY_ENUM_(id, code, zh, en, colour) TL_CATEGORY_ID_##code = id,
#define TL_KIND_ENUM_(id, cat, code, zh, en, geom, attrs, flow, role) TL_KIND_ID_##code = id,
#define TL_COUNT_(...) +1

enum
{
	TL_CATEGORY_LIST(TL_CATEGORY_ENUM_)
};
enum
{
	TL_KIND_LIST(TL_KIND_ENUM_)
};
enum
{
	TL_N_CATEGORIES = 0 TL_CATEGORY_LIST(TL_COUNT_),
	TL_N_KINDS = 0 TL_KIND_LIST(TL_COUNT_)
};

/* All categories, in catalog order (ids ascending). */
static inline const TlCategory *
tl_categories(void)
{
	static const TlCategory all[] = {TL_CATEGORY_LIST(TL_CATEGORY_ROW_)};
	return all;
}

/* All kinds, in catalog order (ids ascending). */
static inline const TlKind *
tl_kinds(void)
{
	static const TlKind all[] = {TL_KIND_LIST(TL_KIND_ROW_)};
	return all;
}

static inline const TlCategory *
tl_category_by_id(int id)
{
	const TlCategory *c = tl_categories();
	for (int i = 0; i < TL_N_CATEGORIES; i++)
		if (c[i].id == id)
			return &c[i];
	return NULL;
}

/*
 * Position of a kind in tl_kinds() (0 .. TL_N_KINDS-1), or -1.  Use the
 * position, not pointer arithmetic, across files: each file that includes
 * this header has its own copy of the tables.
 */
static inline int
tl_kind_index(int id)
{
	const TlKind *k = tl_kinds();
	int lo = 0, hi = TL_N_KINDS - 1;
	while (lo <= hi)
	{
		int mid = (lo + hi) / 2;
		if (k[mid].id == id)
			return mid;
		if (k[mid].id < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static inline const TlKind *
tl_kind_by_id(int id)
{
	int i = tl_kind_index(id);
	return i < 0 ? NULL : &tl_kinds()[i];
}

/* Exact match on the English code or the Chinese label. */
static inline const TlCategory *
tl_category_lookup(const char *s)
{
	const TlCategory *c = tl_categories();
	for (int i = 0; i < TL_N_CATEGORIES; i++)
		if (strcmp(c[i].code, s) == 0 || strcmp(c[i].label_zh, s) == 0)
			return &c[i];
	return NULL;
}

static inline const TlKind *
tl_kind_lookup(const char *s)
{
	const TlKind *k = tl_kinds();
	for (int i = 0; i < TL_N_KINDS; i++)
		if (strcmp(k[i].code, s) == 0 || strcmp(k[i].label_zh, s) == 0)
			return &k[i];
	return NULL;
}

/* Kind's label / category's label in "zh" or "en". */
static inline const char *
tl_kind_label(const TlKind *k, int english)
{
	return english ? k->label_en : k->label_zh;
}

static inline const char *
tl_category_label(const TlCategory *c, int english)
{
	return english ? c->label_en : c->label_zh;
}

#endif /* TAILINGS_CATALOG_H */
