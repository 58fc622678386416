/*
 * tiles.h - the vector tiles: from the cache, or made by the database once
 * for every request waiting for them; maps of past moments (?at=) a few at a time.
 */
#ifndef TAILINGS_TILES_H
#define TAILINGS_TILES_H

#include "srv.h"
#include "tilemath.h"

/* GET /tiles/{layers}/{z}/{x}/{y}.mvt */
void		tiles_handle(Req *r, const Route *rt);
/* the tile statement, prepared once per database connection (db_prepare_always): 0, or -1 */
int			tiles_prepare(void);
/*
 * A change in box (NULL: anywhere in extra_layers) touches the tiles on their
 * way by the cache's rule: they are sent but not cached.
 */
void		tiles_touched(Server *s, const Box *box, unsigned extra_layers, double margin);
/* forget the tiles on their way (server_free, after the database answered them all) */
void		tiles_free_all(Server *s);

#endif
