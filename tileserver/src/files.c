/*
 * files.c - files sent as they are: the viewer's (--www), only regular files
 * inside the directory; the glyph ranges (--fonts); the sprite, drawn once at
 * start; the sheet page of a pond that exists.
 */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "api.h"
#include "http.h"
#include "sprite.h"

static const char *
content_type(const char *path)
{
	static const struct
	{
		const char *ext,
				   *type;
	}			types[] = {
		{".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
		{".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
		{".json", "application/json"}, {".png", "image/png"}, {".svg", "image/svg+xml"},
		{".ico", "image/x-icon"}, {".map", "application/json"}, {".txt", "text/plain; charset=utf-8"},
		{".wasm", "application/wasm"}, {".pbf", "application/x-protobuf"},
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/*
 * Open the regular file rel (a path under dir, "/"-separated) without leaving
 * dir: every component is opened relative to the one before with O_NOFOLLOW,
 * so a symbolic link anywhere in the path is refused, and "." and ".." too;
 * O_NONBLOCK, so that a FIFO cannot block the event loop in open(); and the
 * file must be a regular file.  -1 when not.
 */
static int
static_open(const char *dir, const char *rel, struct stat *st)
{
	char		part[256];
	int			at = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int			fd = -1;
	const char *p = rel;

	if (at < 0)
		return -1;
	for (;;)
	{
		size_t		n;
		int			last;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		last = p[n] == '\0' || p[n + strspn(p + n, "/")] == '\0';
		if (n == 0 || n >= sizeof part)
			goto fail;
		memcpy(part, p, n);
		part[n] = '\0';
		if (strcmp(part, ".") == 0 || strcmp(part, "..") == 0)
			goto fail;
		fd = openat(at, part, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (last ? O_NONBLOCK : O_DIRECTORY));
		close(at);
		at = -1;
		if (fd < 0)
			goto fail;
		if (last)
			break;
		at = fd;
		fd = -1;
		p += n;
	}
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode))
		goto fail;
	return fd;
fail:
	if (at >= 0)
		close(at);
	if (fd >= 0)
		close(fd);
	return -1;
}

/*
 * Send the regular file rel under dir (static_open), with an ETag of its size
 * and time and Cache-Control cc.  When the client accepts gzip and rel.gz
 * exists beside it, at least as new (make compresses the viewer's vendored
 * files and the glyph ranges so), that is sent instead, with
 * Content-Encoding: gzip.  1 when the request was answered; 0 when there is
 * no such file (nothing sent).
 */
static int
static_send(Req *r, const char *dir, const char *rel, const char *cc)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	char		gzfile[4100];
	char		etag[64];
	struct stat st,
				gst;
	int			fd = -1;
	int			gfd;
	int			gz = 0;
	struct evbuffer *b;

	if ((fd = static_open(dir, rel, &st)) < 0)
	{
		if (errno != EMFILE && errno != ENFILE)
			return 0;
		http_error(r, 503, "too many open files");
		return 1;
	}
	snprintf(gzfile, sizeof gzfile, "%s.gz", rel);
	gfd = static_open(dir, gzfile, &gst);
	if (gfd >= 0)
		evhttp_add_header(h, "Vary", "Accept-Encoding");
	/* only a compressed copy at least as new as the file */
	if (gfd >= 0 && http_accepts_gzip(r->req) && gst.st_mtime >= st.st_mtime)
	{
		close(fd);
		fd = gfd;
		st = gst;
		gz = 1;
	}
	else if (gfd >= 0)
		close(gfd);
	snprintf(etag, sizeof etag, "\"%llx-%llx%s\"", (unsigned long long) st.st_size,
			 (unsigned long long) st.st_mtime, gz ? "-gz" : "");
	evhttp_add_header(h, "ETag", etag);
	evhttp_add_header(h, "Cache-Control", cc);
	if (http_etag_matches(r->req, etag))
	{
		close(fd);
		http_reply(r, 304, NULL, NULL, NULL);
		return 1;
	}
	if ((b = http_body(r)) == NULL)
	{
		close(fd);
		return 1;
	}
	if (st.st_size > 0 && evbuffer_add_file(b, fd, 0, st.st_size) != 0)
	{
		close(fd);
		evbuffer_free(b);
		http_error(r, 500, "cannot read the file");
		return 1;
	}
	if (st.st_size == 0)
		close(fd);
	if (gz)
		evhttp_add_header(h, "Content-Encoding", "gzip");
	http_reply(r, 200, content_type(rel), b, NULL);
	return 1;
}

/* A file of --www: only regular files inside the directory (static_send). */

static void
static_file(Req *r, const char *path)
{
	Server	   *s = r->s;
	char		file[4096];

	if (s->conf->www == NULL)
	{
		http_error(r, 404, "not found");
		return;
	}
	/* no way out of the directory: no "..", no hidden files */
	if (strstr(path, "/.") != NULL || strchr(path, '\\') != NULL)
	{
		http_error(r, 404, "not found");
		return;
	}
	snprintf(file, sizeof file, "%s%s", path, path[strlen(path) - 1] == '/' ? "index.html" : "");
	if (!static_send(r, s->conf->www, file, "no-cache"))
		http_error(r, 404, "not found");
}

void
files_static(Req *r, const Route *rt)
{
	static_file(r, rt->path);
}

/*
 * /fonts/{fontstack}/{start}-{end}.pbf: the range of the first font of the
 * comma-separated stack that --fonts holds (a directory of that name, made by
 * tailings-glyphs).  A range that font has no file for (no glyph of it in the
 * face) is an empty but valid glyph range, which MapLibre needs rather than
 * an error; a stack naming no font of --fonts is 404.
 */
#define GLYPH_CC "public, max-age=86400"

static void
pb_len_field(struct evbuffer *b, unsigned field, size_t len)
{
	uint8_t		tmp[11];
	size_t		n = 0;

	tmp[n++] = (uint8_t) (field << 3 | 2);
	do
	{
		tmp[n++] = (uint8_t) ((len & 0x7f) | (len > 0x7f ? 0x80 : 0));
		len >>= 7;
	} while (len);
	evbuffer_add(b, tmp, n);
}

/* 1 when name can be a font of --fonts: a directory entry's name, not hidden */
static int
font_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > 255 || name[0] == '.')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == '\\' || name[i] == '\0')
			return 0;
	return 1;
}

/* 1 when --fonts has the directory name (no symbolic link followed) */
static int
font_exists(const char *dir, const char *name)
{
	int			at = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int			fd;

	if (at < 0)
		return 0;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(at);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}


/* the first font of the stack that --fonts has, into name; 0 when none */
static int
glyph_font(const char *dir, const Route *rt, char *name)
{
	const char *p = rt->glyph_stack,
			   *end = rt->glyph_stack + rt->glyph_stack_len;

	while (p < end)
	{
		const char *comma = memchr(p, ',', (size_t) (end - p));
		const char *e = comma ? comma : end;

		/* MapLibre joins the names with ","; blanks around them are not part of them */
		while (p < e && *p == ' ')
			p++;
		while (e > p && e[-1] == ' ')
			e--;
		if (font_name_ok(p, (size_t) (e - p)))
		{
			memcpy(name, p, (size_t) (e - p));
			name[e - p] = '\0';
			if (font_exists(dir, name))
				return 1;
		}
		p = comma ? comma + 1 : end;
	}
	return 0;
}

static void
glyph_unknown(Req *r, const Route *rt)
{
	char		msg[160];
	int			plain = rt->glyph_stack_len <= 80;

	/* the stack in the message only when it is plain ASCII */
	for (size_t i = 0; plain && i < rt->glyph_stack_len; i++)
		plain = rt->glyph_stack[i] >= 0x20 && rt->glyph_stack[i] < 0x7f;
	if (plain)
		snprintf(msg, sizeof msg, "unknown fontstack \"%.*s\": no font of it here",
				 (int) rt->glyph_stack_len, rt->glyph_stack);
	else
		snprintf(msg, sizeof msg, "unknown fontstack: no font of it here");
	http_error(r, 404, msg);
}

/* glyphs { stacks { name, range } }: a range of no glyph of the font */
static void
glyph_empty(Req *r, const char *name, const char *range)
{
	struct evbuffer *b = http_body(r),
			   *stack;
	uint32_t	hash = 2166136261u;
	char		etag[48];
	const uint8_t *bytes;

	if (b == NULL)
		return;
	if ((stack = evbuffer_new()) == NULL)
	{
		evbuffer_free(b);
		http_error(r, 500, "out of memory");
		return;
	}
	pb_len_field(stack, 1, strlen(name));
	evbuffer_add(stack, name, strlen(name));
	pb_len_field(stack, 2, strlen(range));
	evbuffer_add(stack, range, strlen(range));
	pb_len_field(b, 1, evbuffer_get_length(stack));
	evbuffer_add_buffer(b, stack);
	evbuffer_free(stack);
	bytes = evbuffer_pullup(b, -1);
	for (size_t i = 0; i < evbuffer_get_length(b); i++)
		hash = (hash ^ bytes[i]) * 16777619u;
	snprintf(etag, sizeof etag, "\"empty-%08x\"", hash);
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "ETag", etag);
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Cache-Control", GLYPH_CC);
	if (http_etag_matches(r->req, etag))
	{
		evbuffer_free(b);
		http_reply(r, 304, NULL, NULL, NULL);
		return;
	}
	http_reply(r, 200, "application/x-protobuf", b, NULL);
}

void
files_glyphs(Req *r, const Route *rt)
{
	const char *dir = r->s->conf->fonts;
	char		name[256],
				file[320],
				range[16];

	snprintf(range, sizeof range, "%u-%u", rt->glyph_start, rt->glyph_start + 255);
	if (!glyph_font(dir, rt, name))
	{
		glyph_unknown(r, rt);
		return;
	}
	snprintf(file, sizeof file, "%s/%s.pbf", name, range);
	if (!static_send(r, dir, file, GLYPH_CC))
		glyph_empty(r, name, range);
}

/* /sprite.json, /sprite.png, @2x: drawn once at start, served from memory */
void
files_sprite(Req *r, const Route *rt)
{
	struct evbuffer *b = http_body(r);
	int			i = rt->sprite_2x ? 1 : 0;

	if (b == NULL)
		return;
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Cache-Control", "public, max-age=86400");
	if (rt->sprite_png)
	{
		evbuffer_add(b, r->s->sprite[i], r->s->sprite_len[i]);
		http_reply(r, 200, "image/png", b, NULL);
	}
	else
	{
		sprite_json(b, i + 1);
		http_reply(r, 200, "application/json", b, NULL);
	}
}

static const char SQL_POND_EXISTS[] = "SELECT 1 FROM tailings.pond WHERE id = $1::bigint";

/* the page (www/sheet.html) for a pond that exists; it reads the pond's id from its path */
static void
sheet_done(Req *r, PGresult *res)
{
	if (PQntuples(res) != 1)
		http_error(r, 404, "no such pond");
	else
		static_file(r, "/sheet.html");
}

void
files_sheet(Req *r, const Route *rt)
{
	char		pid[24];
	const char *params[1];

	snprintf(pid, sizeof pid, "%lld", rt->pond_id);
	params[0] = pid;
	api_query(r, SQL_POND_EXISTS, 1, params, sheet_done);
}
