/*
 * tailings/contract.h - what the extension and the tile server must agree on,
 * beyond the catalog (catalog.h): the tiles' geometry, the change
 * notifications, and what a database error means to an HTTP client.
 *
 * Plain C11, no dependencies: safe to include from PostgreSQL backend code
 * and from the tile server alike.
 */
#ifndef TAILINGS_CONTRACT_H
#define TAILINGS_CONTRACT_H

/*
 * Vector tiles: the extent of a tile in tile units, and the buffer around it
 * that its features are clipped to.  tailings.tile() encodes with these, and
 * the server's cache drops a tile when a change touches its bounds grown by
 * the buffer: the two must agree, or a changed feature in the buffer stays
 * stale in the neighbouring tile.
 */
#define TL_TILE_EXTENT 4096
#define TL_TILE_BUFFER 64

/*
 * The properties of the tiles' features, by layer: X(name, type, meaning).
 * type is what TileJSON's vector_layers say and GDAL and QGIS type a field
 * by: "Number", "String" or "Boolean".  tailings.tile() writes exactly
 * these (SQL: tailings.tile_fields(); a test decodes tiles and compares),
 * and the server's TileJSON lists them.
 *
 * The ponds layer (TL_PONDS_LAYER).  Its feature id is the pond's id, except
 * on an anchor, which has none (ids stay unique in the layer).
 */
#define TL_PONDS_FIELDS(X)                                                                    \
	X(pond_id, "Number", "the pond (also the feature id, except on anchors)")                 \
	X(code, "String", "registry code")                                                        \
	X(name, "String", "the pond's name")                                                      \
	X(enterprise, "String", "the enterprise that runs it")                                    \
	X(county_code, "String", "county code (GB/T 2260)")                                       \
	X(level, "Number", "supervision level 1-3")                                               \
	X(status, "String", "in_use, suspended or closed")                                        \
	X(score, "Number", "completeness 0-1 (absent for past moments)")                          \
	X(failed, "Number", "error rules failed (absent for past moments)")                       \
	X(gw_flow_azimuth, "Number",                                                              \
	  "groundwater flow direction in degrees clockwise from north (absent when unknown)")      \
	X(anchor, "Boolean", "true on a pond's registry point drawn beside its boundary, for its " \
	  "label and groundwater flow arrow")

/* The element layers (one per category, named by its code).  Feature id: the element's id. */
#define TL_ELEMENT_FIELDS(X)                              \
	X(kind, "String", "the element's kind (its code)")    \
	X(name, "String", "the element's name")               \
	X(pond_id, "Number", "the pond's id")                 \
	X(source, "String", "satellite, drone or ground")     \
	X(verified, "Boolean", "ground-verified")

/*
 * The groundwater layer (the category of that code) has one property more:
 * each well's groundwater against tailings.gw_limit (GB/T 14848-2017 class
 * III), from its latest value of each parameter (tailings._well_state):
 * "exceeds" (one outside its limit), "ok" (values with a limit, none outside),
 * "no_data" (no value with a limit).  tailings/symbology.h says how the style
 * draws each.
 */
#define TL_GROUNDWATER_LAYER "groundwater"
#define TL_GROUNDWATER_FIELDS(X)                                                                \
	X(gw_state, "String", "the well's groundwater against GB/T 14848-2017 class III: exceeds (a " \
	  "latest value outside its limit), ok (none outside), no_data (no value with a limit)")

/*
 * A change of this table (the limits; no pond, no area) may change every
 * well's gw_state: the server drops the groundwater layer's tiles.
 */
#define TL_GW_LIMIT_TABLE "tailings.gw_limit"

/*
 * Change notifications: each committed change of a tracked table is
 * NOTIFYed on TL_CHANGES_CHANNEL with a JSON object payload of these keys
 * (the change_log row's id, the table, the operation I/U/D, the pond, the
 * row, the changed area).  The server reads only the id (and confirms the
 * rest from the change log); it pings itself on the same channel with
 * {"ping": nonce} to know that it still hears.
 */
#define TL_CHANGES_CHANNEL "tailings_changes"
#define TL_CHANGE_KEY_ID "id"
#define TL_CHANGE_KEY_TABLE "table"
#define TL_CHANGE_KEY_OP "op"
#define TL_CHANGE_KEY_POND_ID "pond_id"
#define TL_CHANGE_KEY_ROW_ID "row_id"
#define TL_CHANGE_KEY_BBOX "bbox"
#define TL_CHANGE_KEY_PING "ping"

/*
 * Database errors and HTTP statuses: X(sqlstate, status, write_status,
 * message).  status is the answer of a request that reads (tiles, the JSON
 * API), write_status of one that changes something (the write API: a drawing,
 * a step of its review); any other SQLSTATE is 500 (and logged).  A NULL
 * message means the database's own (primary) message is the client's: bad
 * input the client can fix.  The write API always gives the database's
 * message, with its DETAIL and HINT, and for a drawing the index of the
 * feature at fault.  The extension raises these codes for these meanings:
 *   22023 invalid_parameter_value   a bad argument (layer, zoom, time; a drawing's feature)
 *   23514 check_violation           a drawing or a step that breaks a rule
 *   23502 not_null_violation        a required value left out (a visit's element, a hazard's
 *                                   description, whether a check passed)
 *   22007 invalid_datetime_format, 22008 datetime_field_overflow,
 *   22009 invalid_time_zone_displacement_value   a bad ?at=
 *   22P02 invalid_text_representation, 22021 character_not_in_repertoire,
 *   22P05 untranslatable_character  a body that is not JSON, not UTF-8, or holds \u0000
 *   P0002 no_data_found             no such pond (or submission)
 *   57014 query_canceled            the statement timeout
 *   42501 insufficient_privilege    row-level security, a role's grants, a step
 *                                   not this role's (withdrawing another's drawing)
 *   40001 serialization_failure     a stale draft: the map changed since it was made
 *   23505 unique_violation          a row that is there already (a well's sample of that
 *                                   parameter and day)
 */
#define TL_SQLSTATE_HTTP(X) \
	X("22023", 400, 422, NULL) \
	X("23514", 400, 422, NULL) \
	X("23502", 400, 422, NULL) \
	X("22007", 400, 400, NULL) \
	X("22008", 400, 400, NULL) \
	X("22009", 400, 400, NULL) \
	X("22P02", 400, 400, NULL) \
	X("22021", 400, 400, NULL) \
	X("22P05", 400, 400, NULL) \
	X("P0002", 404, 404, "no such pond") \
	X("57014", 504, 504, "the query took longer than the statement timeout") \
	X("42501", 403, 403, "permission denied") \
	X("40001", 409, 409, NULL) \
	X("23505", 409, 409, NULL)

#endif
