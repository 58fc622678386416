/*
 * submissions.h - the write API: drawings and their review (design section 9).
 */
#ifndef TAILINGS_SUBMISSIONS_H
#define TAILINGS_SUBMISSIONS_H

#include "srv.h"

/* GET /api/submissions[?status=][&pond=] */
void		submissions_list(Req *r, const Route *rt);
/* GET /api/submissions/{id}: the submission, its drawing, its diff and its check */
void		submissions_show(Req *r, const Route *rt);
/* POST /api/ponds/{id}/submissions: a GeoJSON body; 201 and Location */
void		submissions_create(Req *r, const Route *rt);
/* POST /api/submissions/{id}/submit|withdraw|approve|reject ({"note": ...}) */
void		submissions_step(Req *r, const Route *rt);

#endif
