/*
 * inspections.h - inspections on the ground, driven by the map (三级核查,
 * design section 8): the checklist, inspections and their visits.
 */
#ifndef TAILINGS_INSPECTIONS_H
#define TAILINGS_INSPECTIONS_H

#include "srv.h"

/* GET /api/ponds/{id}/checklist[?lang=]: every element to visit, in walking order */
void		inspections_checklist(Req *r, const Route *rt);
/* GET /api/ponds/{id}/inspections: the pond's inspections, newest first, with their counts */
void		inspections_list(Req *r, const Route *rt);
/* POST /api/ponds/{id}/inspections {campaign?, started_on?, inspector?}: 201 and Location */
void		inspections_create(Req *r, const Route *rt);
/* GET /api/inspections/{id}[?lang=]: the inspection, its coverage and its visits */
void		inspections_show(Req *r, const Route *rt);
/* PATCH /api/inspections/{id} {finished_on?, started_on?, campaign?, inspector?} */
void		inspections_edit(Req *r, const Route *rt);
/* PUT /api/inspections/{id}/visits/{element_id} {state, visited_at?, lon?, lat?, note?}: 201 first, 200 after */
void		inspections_visit(Req *r, const Route *rt);

#endif
