/*
 * pondfile.h - the pond's file (一库一档) over HTTP: the whole file, the
 * annual ledger and the papers (design section 8; README "The JSON API",
 * "The write API").
 */
#ifndef TAILINGS_PONDFILE_H
#define TAILINGS_PONDFILE_H

#include "srv.h"

/* GET /api/ponds/{id}/file[?lang=]: tailings.pond_file() */
void		pondfile_show(Req *r, const Route *rt);
/* GET /api/ponds/{id}/ledger: the ledger, year by year */
void		pondfile_ledger(Req *r, const Route *rt);
/* GET /api/ponds/{id}/ledger/{year} */
void		pondfile_ledger_year(Req *r, const Route *rt);
/* PUT /api/ponds/{id}/ledger/{year}: the year's amounts; 201 the first time, 200 after */
void		pondfile_ledger_put(Req *r, const Route *rt);
/* GET /api/ponds/{id}/documents: the papers */
void		pondfile_documents(Req *r, const Route *rt);
/* POST /api/ponds/{id}/documents: a paper filed; 201 and Location */
void		pondfile_document_create(Req *r, const Route *rt);
/* GET, PATCH, DELETE /api/documents/{id} */
void		pondfile_document(Req *r, const Route *rt);
void		pondfile_document_patch(Req *r, const Route *rt);
void		pondfile_document_delete(Req *r, const Route *rt);

#endif
