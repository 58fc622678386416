/*
 * hazards.h - hazards (隐患) and their checks over HTTP, and the city's hazard
 * board (design section 8; README "The JSON API", "The write API").
 */
#ifndef TAILINGS_HAZARDS_H
#define TAILINGS_HAZARDS_H

#include "srv.h"

/* GET /api/ponds/{id}/hazards: the pond's hazards, newest found first */
void		hazards_of_pond(Req *r, const Route *rt);
/* POST /api/ponds/{id}/hazards: a hazard found; 201 and Location */
void		hazards_create(Req *r, const Route *rt);
/* GET /api/hazards/{id}: a hazard with its checks */
void		hazards_show(Req *r, const Route *rt);
/* PATCH /api/hazards/{id}: a move (status), the rectification, what it says */
void		hazards_patch(Req *r, const Route *rt);
/* GET /api/hazards/{id}/checks: its checks, oldest first */
void		hazards_checks(Req *r, const Route *rt);
/* POST /api/hazards/{id}/checks: a check; 201, Location, the hazard's status after it */
void		hazards_check_create(Req *r, const Route *rt);
/* GET /api/hazards/{id}/checks/{cid} */
void		hazards_check_show(Req *r, const Route *rt);
/* GET /api/hazards[?filters][&format=csv|geojson]: the board */
void		hazards_board(Req *r, const Route *rt);

#endif
