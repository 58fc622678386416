/*
 * files.h - what the server sends from files or memory as they are: the
 * viewer's files (--www), the glyph ranges (--fonts), the sprite, the sheet page.
 */
#ifndef TAILINGS_FILES_H
#define TAILINGS_FILES_H

#include "srv.h"

void		files_static(Req *r, const Route *rt);
void		files_glyphs(Req *r, const Route *rt);
void		files_sprite(Req *r, const Route *rt);
void		files_sheet(Req *r, const Route *rt);

#endif
