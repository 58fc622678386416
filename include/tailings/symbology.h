/*
 * tailings/symbology.h - the map's encoding of a pond's completeness, shared
 * by the style (style.json), the sprite and, through style.json's metadata,
 * the viewer and the printed sheet.
 *
 * Completeness (the score of tailings.completeness(), 0..1) is drawn in four
 * bands.  Each band has a colour from the Okabe-Ito palette (told apart by
 * readers with red-green colour blindness) AND a shape or pattern of its own,
 * so that no band is told from another by colour alone:
 *   - a pond drawn as a point: the icon "pond-{code}" of the sprite (a shape per band);
 *   - a pond drawn as a boundary: its outline in the band's colour, and inside
 *     the fill pattern "hatch-{code}" of the sprite (none for complete, wider
 *     hatching for the worse bands).
 * A band holds the scores from its floor (inclusive) up to the next band's.
 *
 * X(code, floor, colour, label_zh, label_en), best band first.
 */
#ifndef TAILINGS_SYMBOLOGY_H
#define TAILINGS_SYMBOLOGY_H

#define TL_BAND_LIST(X)                                               \
	X(complete, 1.0, "#0072b2", "完整", "Complete")                   \
	X(minor, 0.8, "#e69f00", "基本完整(≥80%)", "Mostly complete (≥80%)") \
	X(major, 0.5, "#d55e00", "缺项较多(50–80%)", "Gaps (50–80%)")     \
	X(severe, 0.0, "#6a3d9a", "严重缺失(<50%)", "Severe gaps (<50%)")

typedef struct TlBand
{
	const char *code;
	double		floor;
	const char *colour;
	const char *label_zh;
	const char *label_en;
} TlBand;

#define TL_BAND_ROW_(code, floor, colour, zh, en) {#code, floor, colour, zh, en},
#define TL_BAND_COUNT_(...) +1

enum
{
	TL_N_BANDS = 0 TL_BAND_LIST(TL_BAND_COUNT_)
};

static inline const TlBand *
tl_bands(void)
{
	static const TlBand all[] = {TL_BAND_LIST(TL_BAND_ROW_)};
	return all;
}

/* pond status colours (the fill of a pond), in tailings.pond_status order */
#define TL_STATUS_LIST(X)                                \
	X(in_use, "#f08c00", "在用", "In use")               \
	X(suspended, "#868e96", "停用", "Suspended")         \
	X(closed, "#5c940d", "闭库", "Closed")

/*
 * A groundwater well's state (the groundwater layer's gw_state, contract.h):
 * a ring outside the well's disc, told apart by its width as well as by its
 * colour; a well whose state is ok has none.  X(code, colour, width,
 * label_zh, label_en)
 */
#define TL_GW_RING_RADIUS 15
#define TL_GW_RING_LIST(X)                                                                          \
	X(exceeds, "#e03131", 3.5, "地下水超标（GB/T 14848 III类）", "Groundwater exceeds class III (GB/T 14848)") \
	X(no_data, "#868e96", 1.5, "无地下水监测数据", "No groundwater monitoring data")

#endif /* TAILINGS_SYMBOLOGY_H */
