/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Integration test of --html (src/report_html.c): diagnoses workloads with
 * the real leakwatch, then checks the page three ways: the raw file
 * (offline, readable without a script), the DOM headless Chromium dumps
 * after the script ran, and a Chromium screenshot (a real, non-blank PNG
 * with the leak's red in it).  Figures are compared with the JSON report
 * of the same run.
 *
 *	test_html demo		the leaky C demo: the allocations section
 *	test_html families	thread_workload, sock_workload and the Go
 *				fixture: the goroutine, Go heap, thread,
 *				socket and descriptor sections
 *
 * Exits 77 when not root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <zlib.h>

#define LW_TIMEOUT_S 60 /* slack for leakwatch beyond its own window */
#define CHROME_TIMEOUT_S 60 /* Chromium is slow on 2 CPUs */
#define TOP_SITES 8 /* report_html.c: sites with a chart of their own */
#define SHOT_W 1280
#define SHOT_H 2000

static char tmpdir[64];
static int failures;

static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	fprintf(stderr, "FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *env_path(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		fail("%s is not set (run the test through ctest; Chromium "
		     "comes from scripts/setup.sh)",
		     name);
		return NULL;
	}
	if (access(v, X_OK)) {
		fail("%s: \"%s\": %s", name, v, strerror(errno));
		return NULL;
	}
	return v;
}

static char *read_file(const char *path, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	for (;;) {
		size_t n;

		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = (cap + 4096) * 2);

			if (!nb)
				break;
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		if (!n)
			break;
		len += n;
	}
	fclose(f);
	if (buf)
		buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	return buf;
}

/*
 * Start argv in its own process group, stdout to out_path (or /dev/null),
 * stderr to TAG.err.  Returns the PID or -1.
 */
static pid_t start(char *const argv[], const char *out_path, const char *tag)
{
	char err_path[PATH_MAX];
	pid_t pid;
	int i;

	snprintf(err_path, sizeof(err_path), "%s/%s.err", tmpdir, tag);
	fprintf(stderr, "run [%s]:", tag);
	for (i = 0; argv[i]; i++)
		fprintf(stderr, " %s", argv[i]);
	fprintf(stderr, "\n");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int o = open(out_path ?: "/dev/null",
			     O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (in < 0 || o < 0 || e < 0)
			_exit(126);
		setpgid(0, 0);
		dup2(in, 0);
		dup2(o, 1);
		dup2(e, 2);
		execv(argv[0], argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid); /* either side may win the race */
	return pid;
}

/*
 * Wait for pid (from start()); its whole group is killed after timeout_s
 * and once the leader is done (Chromium leaves helpers behind).  Returns
 * the exit code, 128 + signal, or -1.
 */
static int finish(pid_t pid, const char *tag, int timeout_s)
{
	char err_path[PATH_MAX];
	int status, i, code = -1;

	if (pid < 0)
		return -1;
	snprintf(err_path, sizeof(err_path), "%s/%s.err", tmpdir, tag);
	for (i = 0; i < timeout_s * 20; i++) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			code = WIFEXITED(status) ? WEXITSTATUS(status) :
						   128 + WTERMSIG(status);
			break;
		}
		usleep(50000);
	}
	if (code < 0) {
		fail("%s: no exit after %d s, killed (see %s)", tag, timeout_s,
		     err_path);
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	kill(-pid, SIGKILL); /* leftovers of this group only */
	return code;
}

static int run(char *const argv[], const char *out_path, const char *tag,
	       int timeout_s)
{
	return finish(start(argv, out_path, tag), tag, timeout_s);
}

/* ------------------------------------------------------------------ */
/* The JSON report: ground truth for the page's figures                */
/* ------------------------------------------------------------------ */

#define MAX_SITES 64

struct jsite {
	char name[256]; /* first frame with a function */
	char verdict[16];
	uint64_t live; /* in the section's unit: bytes, goroutines... */
	size_t nr_series;
};

struct jreport {
	struct jsite sites[MAX_SITES];
	size_t nr_sites;
	size_t nr_instants; /* distinct t_s over all series */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Where each page section's sites are in the JSON report, and which
 * member holds their live amount.  data-index on the page is the index
 * in this array.
 */
struct jsection {
	const char *id; /* the page's data-section */
	const char *object, *array, *live;
	bool charts; /* sites have series, so charts */
};

static const struct jsection jsections[] = {
	{ "alloc", "allocations", "sites", "live_bytes", true },
	{ "goroutine", "goroutines", "sites", "live", true },
	{ "goheap", "go_heap", "sites", "inuse_bytes", false },
	{ "thread", "threads", "sites", "live", true },
	{ "socket", "sockets", "sites", "open", true },
	{ "fd", "sockets", "fd_kinds", "open", false },
};

/* The section's sites of the report at root; false if it has none. */
static bool load_section(struct json_object *root, const struct jsection *sec,
			 struct jreport *jr)
{
	struct json_object *obj, *sites;
	double *ts = NULL;
	size_t i, k, nr_ts = 0;

	memset(jr, 0, sizeof(*jr));
	if (!json_object_object_get_ex(root, sec->object, &obj) ||
	    !json_object_object_get_ex(obj, sec->array, &sites) ||
	    !json_object_is_type(sites, json_type_array))
		return false;
	for (i = 0; i < json_object_array_length(sites) && i < MAX_SITES;
	     i++) {
		struct json_object *s = json_object_array_get_idx(sites, i);
		struct json_object *v, *stack, *series;
		struct jsite *js = &jr->sites[jr->nr_sites++];

		if (json_object_object_get_ex(s, "verdict", &v))
			snprintf(js->verdict, sizeof(js->verdict), "%s",
				 json_object_get_string(v));
		if (json_object_object_get_ex(s, sec->live, &v))
			js->live = json_object_get_uint64(v);
		if (json_object_object_get_ex(s, "stack", &stack))
			for (k = 0; k < json_object_array_length(stack); k++) {
				struct json_object *fr, *fn;

				fr = json_object_array_get_idx(stack, k);
				if (!json_object_object_get_ex(fr, "function",
							       &fn) ||
				    !json_object_get_string(fn))
					continue;
				snprintf(js->name, sizeof(js->name), "%s",
					 json_object_get_string(fn));
				break;
			}
		if (!json_object_object_get_ex(s, "series", &series))
			continue;
		js->nr_series = json_object_array_length(series);
		ts = realloc(ts, (nr_ts + js->nr_series) * sizeof(*ts) + 1);
		if (!ts)
			break;
		for (k = 0; k < js->nr_series; k++) {
			struct json_object *p =
				json_object_array_get_idx(series, k);

			ts[nr_ts++] = json_object_get_double(
				json_object_array_get_idx(p, 0));
		}
	}
	if (ts) {
		qsort(ts, nr_ts, sizeof(*ts), cmp_double);
		for (i = 0; i < nr_ts; i++)
			if (!i || ts[i] != ts[i - 1])
				jr->nr_instants++;
	}
	free(ts);
	return true;
}

static bool load_json(const char *path, struct jreport *jr)
{
	struct json_object *root = json_object_from_file(path);
	bool ok = root && load_section(root, &jsections[0], jr);

	if (!ok)
		fail("%s: not a leakwatch JSON report", path);
	json_object_put(root);
	return ok;
}

static const struct jsite *jsite(const struct jreport *jr, const char *name)
{
	size_t i;

	for (i = 0; i < jr->nr_sites; i++)
		if (!strcmp(jr->sites[i].name, name))
			return &jr->sites[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Reading the page (raw file or dumped DOM)                           */
/* ------------------------------------------------------------------ */

/* The element of tag starting before needle, up to its closing tag. */
static char *element_around(const char *doc, const char *needle,
			    const char *tag)
{
	char open[32], close[32];
	const char *at = strstr(doc, needle), *start = NULL, *p, *end;

	if (!at)
		return NULL;
	snprintf(open, sizeof(open), "<%s ", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	for (p = doc; (p = strstr(p, open)) && p < at; p++)
		start = p;
	end = start ? strstr(at, close) : NULL;
	if (!end)
		return NULL;
	return strndup(start, end + strlen(close) - start);
}

/* Value of attribute name in the first tag at s (s points at '<'). */
static bool attr(const char *s, const char *name, char *buf, size_t len)
{
	const char *end = strchr(s, '>'), *p;
	char key[64];
	size_t n;

	snprintf(key, sizeof(key), " %s=\"", name);
	p = strstr(s, key);
	if (!p || !end || p > end)
		return false;
	p += strlen(key);
	n = strcspn(p, "\"");
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return true;
}

static size_t count_str(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* The verdict table row of site name says LEAK exactly when want_leak. */
static void check_row(const char *doc, const char *what, const char *name,
		      const char *json_verdict, bool want_leak)
{
	char needle[300], v[16];
	char *tr;

	snprintf(needle, sizeof(needle), " data-site=\"%s\"", name);
	tr = element_around(doc, needle, "tr");
	if (!tr) {
		fail("%s: no verdict table row for %s", what, name);
		return;
	}
	if (!attr(tr, "data-verdict", v, sizeof(v)))
		fail("%s: row of %s has no data-verdict", what, name);
	else if (strcmp(v, json_verdict))
		fail("%s: %s is \"%s\" on the page, \"%s\" in the JSON", what,
		     name, v, json_verdict);
	if (want_leak != !!strstr(tr, ">LEAK</span>"))
		fail("%s: %s %s shown as LEAK", what, name,
		     want_leak ? "is not" : "is");
	if (want_leak != !strcmp(v, "leak"))
		fail("%s: %s: verdict \"%s\", wanted %s", what, name, v,
		     want_leak ? "leak" : "not leak");
	free(tr);
}

/* The flame graph has a visible frame named name. */
static void check_flame(const char *doc, const char *what,
			const char *section, const char *name)
{
	char needle[300], width[32];
	char *svg, *g, *rect;

	snprintf(needle, sizeof(needle), " id=\"flame-%s\"", section);
	svg = element_around(doc, needle, "svg");
	if (!svg) {
		fail("%s: no %s flame graph", what, section);
		return;
	}
	snprintf(needle, sizeof(needle), " data-n=\"%s\"", name);
	g = element_around(svg, needle, "g");
	rect = g ? strstr(g, "<rect ") : NULL;
	if (!rect)
		fail("%s: %s flame graph has no frame for %s", what, section,
		     name);
	else if (!attr(rect, "width", width, sizeof(width)) ||
		 strtod(width, NULL) < 1)
		fail("%s: frame %s is not visible (width \"%s\")", what, name,
		     width);
	if (count_str(svg, "<g class=\"fr ") < 4)
		fail("%s: flame graph has %zu frames", what,
		     count_str(svg, "<g class=\"fr "));
	free(g);
	free(svg);
}

/*
 * One chart for the total and for each top site, each polyline with one
 * vertex per point of the JSON series (the total: per distinct instant).
 */
static void check_charts(const char *doc, const char *what,
			 const char *section, const struct jreport *jr)
{
	size_t want = 1 + (jr->nr_sites < TOP_SITES ? jr->nr_sites : TOP_SITES);
	size_t seen = 0, seen_total = 0;
	const char *p = doc;
	char needle[96];

	snprintf(needle, sizeof(needle),
		 "<svg class=\"chart\" data-section=\"%s\"", section);
	while ((p = strstr(p, needle))) {
		char site[16], pts[65536];
		const char *pl = strstr(p, "<polyline ");
		const char *end = strstr(p, "</svg>");
		size_t n, expect;

		seen++;
		if (!attr(p, "data-site", site, sizeof(site)) || !pl || !end ||
		    pl > end || !attr(pl, "points", pts, sizeof(pts))) {
			fail("%s: %s chart %zu without data-site or polyline",
			     what, section, seen);
			p++;
			continue;
		}
		n = count_str(pts, ","); /* one per "x,y" vertex */
		if (!strcmp(site, "total")) {
			seen_total++;
			expect = jr->nr_instants;
		} else if ((size_t)atoi(site) < jr->nr_sites) {
			expect = jr->sites[atoi(site)].nr_series;
		} else {
			fail("%s: %s chart of site %s not in the JSON", what,
			     section, site);
			p++;
			continue;
		}
		if (n != expect || expect < 2)
			fail("%s: %s chart %s has %zu points, the JSON %zu",
			     what, section, site, n, expect);
		p++;
	}
	if (seen != want || seen_total != 1)
		fail("%s: %zu %s charts (%zu totals), want %zu (1)", what,
		     seen, section, seen_total, want);
}

/* No network: no URL, no external resource of any kind. */
static void check_offline(const char *raw)
{
	static const char *const bad[] = { "http://", "https://", "//cdn",
					   "<link", " src=", "url(",
					   "@import" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strcasestr(raw, bad[i]))
			fail("raw: \"%s\" in the page: not self-contained",
			     bad[i]);
}

/*
 * Appended to a copy of the page: what a person's clicks and pointer do.
 * Zoom into main, hover the leak's frame, move over the first chart.
 */
static const char interact_js[] =
	"<script>\n(function(){\n"
	"var g=document.querySelector('g.fr[data-n=\"main\"]');\n"
	"g.dispatchEvent(new MouseEvent('click',{bubbles:true}));\n"
	"document.querySelector('g.fr[data-n=\"record_audit_entry\"] rect')"
	".dispatchEvent(new MouseEvent('mouseover',{bubbles:true}));\n"
	"var "
	"c=document.querySelector('svg.chart'),r=c.getBoundingClientRect();\n"
	"c.dispatchEvent(new MouseEvent('mousemove',{bubbles:true,"
	"clientX:r.left+r.width*0.9,clientY:r.top+10}));\n"
	"})();\n</script>\n";

static bool write_interact_page(const char *raw, const char *path)
{
	const char *body = strstr(raw, "</body>");
	FILE *f = fopen(path, "w");
	bool ok;

	if (!f || !body) {
		fail("%s: cannot write the interaction page", path);
		if (f)
			fclose(f);
		return false;
	}
	ok = fwrite(raw, 1, body - raw, f) == (size_t)(body - raw) &&
	     fputs(interact_js, f) >= 0 && fputs(body, f) >= 0;
	return !fclose(f) && ok;
}

/*
 * After the click on main: main and its ancestors span the full width,
 * its descendants are rescaled and shown, every other frame is hidden.
 * The hover read-outs show the frame's and the chart's figures.
 */
static void check_interaction(const char *dom)
{
	char *svg = element_around(dom, " id=\"flame-alloc\"", "svg");
	const char *p;
	char buf[64], *g;
	double x0, w0, d0;
	size_t shown = 0, hidden = 0;

	g = svg ? element_around(svg, " data-n=\"main\"", "g") : NULL;
	if (!g || !attr(g, "data-x", buf, sizeof(buf))) {
		fail("zoom: no frame for main");
		goto out;
	}
	x0 = strtod(buf, NULL);
	attr(g, "data-w", buf, sizeof(buf));
	w0 = strtod(buf, NULL);
	attr(g, "data-d", buf, sizeof(buf));
	d0 = strtod(buf, NULL);
	if (!strstr(g, " width=\"1200.00\""))
		fail("zoom: main is not the full width");
	for (p = svg; (p = strstr(p, "<g class=\"fr ")); p++) {
		double x, w, d;
		bool want, is_hidden;
		char name[256];

		attr(p, "data-x", buf, sizeof(buf));
		x = strtod(buf, NULL);
		attr(p, "data-w", buf, sizeof(buf));
		w = strtod(buf, NULL);
		attr(p, "data-d", buf, sizeof(buf));
		d = strtod(buf, NULL);
		attr(p, "data-n", name, sizeof(name));
		/* Edges are written with 6 decimals. */
		want = d < d0 ? x <= x0 + 1e-5 && x + w >= x0 + w0 - 1e-5 :
				x >= x0 - 1e-5 && x + w <= x0 + w0 + 1e-5;
		is_hidden = attr(p, "style", buf, sizeof(buf)) &&
			    strstr(buf, "display: none");
		if (want == is_hidden)
			fail("zoom into main: %s is %s", name,
			     is_hidden ? "hidden" : "shown");
		if (is_hidden)
			hidden++;
		else
			shown++;
	}
	fprintf(stderr, "zoom into main: %zu frames shown, %zu hidden\n",
		shown, hidden);
	if (!strstr(dom, "id=\"details-alloc\">record_audit_entry: "))
		fail("hover: no details for the record_audit_entry frame");
	p = strstr(dom, "class=\"readout\">");
	if (!p || strncmp(p + strlen("class=\"readout\">"), "t=", 2))
		fail("hover: the chart read-out shows no point");
out:
	free(g);
	free(svg);
}

/* ------------------------------------------------------------------ */
/* The screenshot                                                      */
/* ------------------------------------------------------------------ */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/*
 * Decode an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes) and
 * count pixels that are not white and pixels in the red of a leak.
 */
static void check_png(const char *path)
{
	size_t len, pos = 8, idat_len = 0, raw_len, stride, x, y;
	unsigned char *png = (unsigned char *)read_file(path, &len);
	unsigned char *idat = NULL, *raw = NULL;
	uint32_t w = 0, h = 0;
	unsigned bpp = 0;
	uLongf out_len;
	size_t nonwhite = 0, red = 0;

	if (!png || len < 8 + 25 || memcmp(png, "\x89PNG\r\n\x1a\n", 8)) {
		fail("screenshot %s: not a PNG", path);
		goto out;
	}
	if (len < 20 * 1024)
		fail("screenshot: %zu bytes, a blank page is that small", len);
	idat = malloc(len);
	if (!idat)
		goto out;
	while (pos + 12 <= len) {
		uint32_t clen = be32(png + pos);
		const unsigned char *type = png + pos + 4,
				    *data = png + pos + 8;

		if (clen > len - pos - 12)
			break;
		if (!memcmp(type, "IHDR", 4) && clen >= 13) {
			w = be32(data);
			h = be32(data + 4);
			if (data[8] != 8 || (data[9] != 2 && data[9] != 6) ||
			    data[12] != 0) {
				fail("screenshot: depth %u colour type %u "
				     "interlace %u not handled",
				     data[8], data[9], data[12]);
				goto out;
			}
			bpp = data[9] == 6 ? 4 : 3;
		} else if (!memcmp(type, "IDAT", 4)) {
			memcpy(idat + idat_len, data, clen);
			idat_len += clen;
		}
		pos += 12 + clen;
	}
	if (w != SHOT_W || h != SHOT_H || !bpp) {
		fail("screenshot: %ux%u, want %dx%d", w, h, SHOT_W, SHOT_H);
		goto out;
	}
	stride = (size_t)w * bpp;
	raw_len = (stride + 1) * h;
	raw = malloc(raw_len);
	out_len = raw_len;
	if (!raw || uncompress(raw, &out_len, idat, idat_len) != Z_OK ||
	    out_len != raw_len) {
		fail("screenshot: image data does not inflate");
		goto out;
	}
	/* Undo the per-row filters in place (PNG spec, section 9). */
	for (y = 0; y < h; y++) {
		unsigned char *row = raw + y * (stride + 1) + 1;
		const unsigned char *up = y ? row - (stride + 1) : NULL;
		unsigned ft = row[-1];

		for (x = 0; x < stride; x++) {
			int a = x >= bpp ? row[x - bpp] : 0;
			int b = up ? up[x] : 0;
			int c = up && x >= bpp ? up[x - bpp] : 0;
			int add = ft == 1 ? a :
				  ft == 2 ? b :
				  ft == 3 ? (a + b) / 2 :
				  ft == 4 ? paeth(a, b, c) :
					    0;

			row[x] = (unsigned char)(row[x] + add);
		}
		for (x = 0; x < stride; x += bpp) {
			unsigned r = row[x], g = row[x + 1], b = row[x + 2];

			if (r < 240 || g < 240 || b < 240)
				nonwhite++;
			/* The LEAK tag, the leak's chart line, its frames. */
			if (r > 170 && g < 110 && b < 110)
				red++;
		}
	}
	fprintf(stderr, "screenshot: %ux%u, %zu bytes, %zu non-white pixels, "
			"%zu red\n",
		w, h, len, nonwhite, red);
	if (nonwhite < (size_t)w * h / 100)
		fail("screenshot: only %zu non-white pixels: blank", nonwhite);
	if (red < 1000)
		fail("screenshot: only %zu red pixels: no leak shown", red);
out:
	free(raw);
	free(idat);
	free(png);
}

/* ------------------------------------------------------------------ */

static void test_demo(void)
{
	const char *lw = env_path("LW_LEAKWATCH");
	const char *demo = env_path("LW_LEAKY_DEMO");
	const char *chrome = env_path("LW_CHROMIUM");
	char json[PATH_MAX], html[PATH_MAX], dom_path[PATH_MAX], png[PATH_MAX];
	char url[PATH_MAX + 8], profile_arg[PATH_MAX + 32];
	char shot_arg[PATH_MAX + 16], zoom[PATH_MAX], zoom_url[PATH_MAX + 8];
	char size_arg[64];
	static const char *const stable[] = { "fill_session_cache",
					      "remember_request" };
	struct jreport jr;
	char *raw = NULL, *dom = NULL;
	const struct jsite *js;
	size_t i;
	int rc;

	if (!lw || !demo || !chrome)
		return;
	snprintf(json, sizeof(json), "%s/report.json", tmpdir);
	snprintf(html, sizeof(html), "%s/report.html", tmpdir);
	snprintf(dom_path, sizeof(dom_path), "%s/dom.html", tmpdir);
	snprintf(png, sizeof(png), "%s/shot.png", tmpdir);
	snprintf(url, sizeof(url), "file://%s", html);
	{
		char *argv[] = { (char *)lw, "diagnose", "-d", "4", "--json",
				 json, "--html", html, "--", (char *)demo,
				 NULL };

		rc = run(argv, NULL, "leakwatch", 4 + LW_TIMEOUT_S);
		if (rc) {
			fail("leakwatch exited %d", rc);
			return;
		}
	}
	if (!load_json(json, &jr))
		return;
	raw = read_file(html, NULL);
	if (!raw) {
		fail("%s: %s", html, strerror(errno));
		return;
	}

	/* Ground truth first: the demo leaks in record_audit_entry only. */
	js = jsite(&jr, "record_audit_entry");
	if (!js || strcmp(js->verdict, "leak"))
		fail("json: record_audit_entry is not a leak");
	for (i = 0; i < 2; i++) {
		const struct jsite *s = jsite(&jr, stable[i]);

		if (!s || !strcmp(s->verdict, "leak"))
			fail("json: %s missing or a leak", stable[i]);
	}

	/* The raw file: offline, and everything static is there. */
	check_offline(raw);
	if (!strstr(raw, "<table class=\"verdicts\">"))
		fail("raw: no verdict table");
	if (!strstr(raw, "<table") || !strstr(raw, "<svg") ||
	    strstr(raw, "<table") > strstr(raw, "<svg"))
		fail("raw: the verdict table does not come first");
	for (i = 0; i < jr.nr_sites; i++)
		if (*jr.sites[i].name)
			check_row(raw, "raw", jr.sites[i].name,
				  jr.sites[i].verdict,
				  !strcmp(jr.sites[i].verdict, "leak"));
	check_flame(raw, "raw", "alloc", "record_audit_entry");
	check_charts(raw, "raw", "alloc", &jr);

	/* The DOM after the page's script ran in Chromium. */
	snprintf(profile_arg, sizeof(profile_arg),
		 "--user-data-dir=%s/chrome-dom", tmpdir);
	{
		char *argv[] = { (char *)chrome, "--headless", "--no-sandbox",
				 "--disable-gpu", "--disable-quic",
				 "--no-first-run",
				 "--disable-background-networking",
				 "--disable-component-update",
				 "--disable-sync", profile_arg,
				 "--dump-dom", url, NULL };

		rc = run(argv, dom_path, "chromium-dom", CHROME_TIMEOUT_S);
	}
	dom = read_file(dom_path, NULL);
	if (rc || !dom || !*dom) {
		fail("chromium --dump-dom exited %d, no DOM", rc);
	} else {
		if (!strstr(dom, "<html lang=\"en\" data-js=\"ready\">"))
			fail("dom: the page's script did not run to its end");
		check_row(dom, "dom", "record_audit_entry", "leak", true);
		for (i = 0; i < 2; i++)
			if ((js = jsite(&jr, stable[i])))
				check_row(dom, "dom", stable[i], js->verdict,
					  false);
		check_flame(dom, "dom", "alloc", "record_audit_entry");
		check_charts(dom, "dom", "alloc", &jr);
		/* The script added its hover marker to every chart. */
		if (count_str(dom, "class=\"mark\"") !=
		    count_str(dom, "<svg class=\"chart\""))
			fail("dom: charts without the hover marker");
	}

	/* What a click and the pointer do. */
	snprintf(profile_arg, sizeof(profile_arg),
		 "--user-data-dir=%s/chrome-zoom", tmpdir);
	snprintf(zoom, sizeof(zoom), "%s/zoom.html", tmpdir);
	snprintf(zoom_url, sizeof(zoom_url), "file://%s", zoom);
	snprintf(dom_path, sizeof(dom_path), "%s/zoom-dom.html", tmpdir);
	if (write_interact_page(raw, zoom)) {
		char *argv[] = { (char *)chrome, "--headless", "--no-sandbox",
				 "--disable-gpu", "--disable-quic",
				 "--no-first-run",
				 "--disable-background-networking",
				 "--disable-component-update",
				 "--disable-sync", profile_arg,
				 "--dump-dom", zoom_url, NULL };

		free(dom);
		rc = run(argv, dom_path, "chromium-zoom", CHROME_TIMEOUT_S);
		dom = read_file(dom_path, NULL);
		if (rc || !dom || !*dom)
			fail("chromium --dump-dom (zoom) exited %d, no DOM",
			     rc);
		else
			check_interaction(dom);
	}

	/* What a person sees. */
	snprintf(profile_arg, sizeof(profile_arg),
		 "--user-data-dir=%s/chrome-shot", tmpdir);
	snprintf(shot_arg, sizeof(shot_arg), "--screenshot=%s", png);
	snprintf(size_arg, sizeof(size_arg), "--window-size=%d,%d", SHOT_W,
		 SHOT_H);
	{
		char *argv[] = { (char *)chrome, "--headless", "--no-sandbox",
				 "--disable-gpu", "--disable-quic",
				 "--no-first-run",
				 "--disable-background-networking",
				 "--disable-component-update",
				 "--disable-sync",
				 "--force-device-scale-factor=1",
				 "--hide-scrollbars", profile_arg,
				 shot_arg, size_arg, url, NULL };

		rc = run(argv, NULL, "chromium-shot", CHROME_TIMEOUT_S);
	}
	if (rc)
		fail("chromium --screenshot exited %d", rc);
	else
		check_png(png);
	free(dom);
	free(raw);
}

/* ------------------------------------------------------------------ */
/* The other families: goroutines, Go heap, threads, sockets, fds     */
/* ------------------------------------------------------------------ */

#define FAMILY_WINDOW_S "10"
#define GO_DRIVE_S "8" /* the Go fixture's driver, inside the window */
#define GO_DRIVE_RATE "5"

/* What the workload's ground truth says of one site. */
struct expect {
	const char *section;
	const char *name; /* data-site */
	uint64_t live; /* UINT64_MAX: only "as in the JSON" */
	bool leak;
};

/* The verdict table row of the site of section named name (the first of
 * that name, in JSON order), or NULL. */
static char *find_row(const char *doc, const char *section, const char *name,
		      size_t nr_sites)
{
	char needle[128], site[256];
	size_t i;

	for (i = 0; i < nr_sites; i++) {
		char *tr;

		snprintf(needle, sizeof(needle),
			 " data-section=\"%s\" data-index=\"%zu\" ", section,
			 i);
		tr = element_around(doc, needle, "tr");
		if (tr && attr(tr, "data-site", site, sizeof(site)) &&
		    !strcmp(site, name))
			return tr;
		free(tr);
	}
	return NULL;
}

/* A boolean member of the JSON's obj; dflt when missing. */
static bool jbool(struct json_object *root, const char *obj, const char *key,
		  bool dflt)
{
	struct json_object *o, *v;

	if (!json_object_object_get_ex(root, obj, &o) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return dflt;
	return json_object_get_boolean(v);
}

/*
 * Whether the page has a section for sec: the family is in the JSON (not
 * null), was traced (allocations.probed, go_heap.available), and the
 * descriptor kinds only when some are open.
 */
static bool page_has(struct json_object *root, const struct jsection *sec,
		     struct jreport *jr)
{
	if (!load_section(root, sec, jr))
		return false;
	if (!strcmp(sec->id, "alloc"))
		return jbool(root, "allocations", "probed", true);
	if (!strcmp(sec->id, "goheap"))
		return jbool(root, "go_heap", "available", false);
	if (!strcmp(sec->id, "fd"))
		return jr->nr_sites > 0;
	return true;
}

/*
 * Every site of every section the JSON has, on the page: its row says the
 * JSON's verdict and live amount, LEAK exactly for leaks; the section has
 * one chart per top site plus the total when its sites have series, and
 * none when they do not.
 */
static void check_sections(const char *doc, const char *what,
			   struct json_object *root, const char *want_sections)
{
	struct jreport jr;
	size_t s, i;

	for (s = 0; s < sizeof(jsections) / sizeof(jsections[0]); s++) {
		const struct jsection *sec = &jsections[s];
		char needle[128], live[32], v[16];
		bool present = page_has(root, sec, &jr);

		snprintf(needle, sizeof(needle), "<section class=\"family\" "
			 "id=\"sec-%s\">", sec->id);
		if (present != !!strstr(doc, needle))
			fail("%s: section %s: %zu sites in the JSON, %s on "
			     "the page",
			     what, sec->id, jr.nr_sites,
			     strstr(doc, needle) ? "shown" : "not shown");
		if (!present && strstr(want_sections, sec->id))
			fail("%s: no %s section, want %s", what, sec->id,
			     want_sections);
		if (!present || !jr.nr_sites)
			continue;
		for (i = 0; i < jr.nr_sites; i++) {
			const struct jsite *js = &jr.sites[i];
			char *tr;

			snprintf(needle, sizeof(needle),
				 " data-section=\"%s\" data-index=\"%zu\" ",
				 sec->id, i);
			tr = element_around(doc, needle, "tr");
			if (!tr) {
				fail("%s: no row for %s site %zu", what,
				     sec->id, i);
				continue;
			}
			if (!attr(tr, "data-verdict", v, sizeof(v)) ||
			    strcmp(v, js->verdict))
				fail("%s: %s site %zu is \"%s\", the JSON "
				     "\"%s\"",
				     what, sec->id, i, v, js->verdict);
			if (!attr(tr, "data-live", live, sizeof(live)) ||
			    strtoull(live, NULL, 10) != js->live)
				fail("%s: %s site %zu: live %s, the JSON %" PRIu64,
				     what, sec->id, i, live, js->live);
			if (!strcmp(js->verdict, "leak") !=
			    !!strstr(tr, ">LEAK</span>"))
				fail("%s: %s site %zu: LEAK tag is wrong", what,
				     sec->id, i);
			free(tr);
		}
		if (sec->charts) {
			check_charts(doc, what, sec->id, &jr);
		} else {
			snprintf(needle, sizeof(needle),
				 "<svg class=\"chart\" data-section=\"%s\"",
				 sec->id);
			if (strstr(doc, needle))
				fail("%s: charts for %s, which has no series",
				     what, sec->id);
		}
	}
}

/* The ground truth of the workload, on the page. */
static void check_expected(const char *doc, const char *what,
			   struct json_object *root,
			   const struct expect *ex, size_t nr)
{
	struct jreport jr;
	size_t i, s;

	for (i = 0; i < nr; i++) {
		char live[32], v[16];
		char *tr = NULL;

		for (s = 0; s < sizeof(jsections) / sizeof(jsections[0]); s++)
			if (!strcmp(jsections[s].id, ex[i].section) &&
			    load_section(root, &jsections[s], &jr))
				tr = find_row(doc, ex[i].section, ex[i].name,
					      jr.nr_sites);
		if (!tr) {
			fail("%s: no %s row for %s", what, ex[i].section,
			     ex[i].name);
			continue;
		}
		attr(tr, "data-live", live, sizeof(live));
		attr(tr, "data-verdict", v, sizeof(v));
		if (ex[i].live != UINT64_MAX &&
		    strtoull(live, NULL, 10) != ex[i].live)
			fail("%s: %s %s: live %s, want %" PRIu64, what,
			     ex[i].section, ex[i].name, live, ex[i].live);
		if (ex[i].leak != !strcmp(v, "leak") ||
		    ex[i].leak != !!strstr(tr, ">LEAK</span>"))
			fail("%s: %s %s: verdict \"%s\", want %s", what,
			     ex[i].section, ex[i].name, v,
			     ex[i].leak ? "leak" : "not leak");
		free(tr);
	}
}

/* No two elements share an id (flame-X, charts-X... per section). */
static void check_unique_ids(const char *doc, const char *what)
{
	const char *p = doc, *q;
	size_t n = 0, i, j, dups = 0;
	char **ids = NULL;

	while ((p = strstr(p, " id=\""))) {
		char **nids;

		p += 5;
		q = strchr(p, '"');
		if (!q)
			break;
		nids = realloc(ids, (n + 1) * sizeof(*ids));
		if (!nids)
			break;
		ids = nids;
		ids[n++] = strndup(p, q - p);
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (ids[i] && ids[j] && !strcmp(ids[i], ids[j]) &&
			    !dups++)
				fail("%s: id \"%s\" used twice", what, ids[i]);
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

static char *chrome_dom(const char *chrome, const char *html,
			const char *tag)
{
	char url[PATH_MAX + 8], profile[PATH_MAX + 32], out[PATH_MAX];
	char *dom;
	int rc;

	snprintf(url, sizeof(url), "file://%s", html);
	snprintf(profile, sizeof(profile), "--user-data-dir=%s/chrome-%s",
		 tmpdir, tag);
	snprintf(out, sizeof(out), "%s/%s.dom.html", tmpdir, tag);
	{
		char *argv[] = { (char *)chrome, "--headless", "--no-sandbox",
				 "--disable-gpu", "--disable-quic",
				 "--no-first-run",
				 "--disable-background-networking",
				 "--disable-component-update",
				 "--disable-sync", profile,
				 "--dump-dom", url, NULL };

		rc = run(argv, out, tag, CHROME_TIMEOUT_S);
	}
	dom = read_file(out, NULL);
	if (rc || !dom || !*dom) {
		fail("%s: chromium --dump-dom exited %d, no DOM", tag, rc);
		free(dom);
		return NULL;
	}
	return dom;
}

static void chrome_shot(const char *chrome, const char *html,
			const char *tag)
{
	char url[PATH_MAX + 8], profile[PATH_MAX + 32], png[PATH_MAX];
	char shot[PATH_MAX + 16], size[64], t[64];
	int rc;

	snprintf(url, sizeof(url), "file://%s", html);
	snprintf(t, sizeof(t), "%s-shot", tag);
	snprintf(profile, sizeof(profile), "--user-data-dir=%s/chrome-%s",
		 tmpdir, t);
	snprintf(png, sizeof(png), "%s/%s.png", tmpdir, tag);
	snprintf(shot, sizeof(shot), "--screenshot=%s", png);
	snprintf(size, sizeof(size), "--window-size=%d,%d", SHOT_W, SHOT_H);
	{
		char *argv[] = { (char *)chrome, "--headless", "--no-sandbox",
				 "--disable-gpu", "--disable-quic",
				 "--no-first-run",
				 "--disable-background-networking",
				 "--disable-component-update",
				 "--disable-sync",
				 "--force-device-scale-factor=1",
				 "--hide-scrollbars", profile, shot, size,
				 url, NULL };

		rc = run(argv, NULL, t, CHROME_TIMEOUT_S);
	}
	if (rc)
		fail("%s: chromium --screenshot exited %d", tag, rc);
	else
		check_png(png);
}

/*
 * The page of one run, raw and as Chromium's DOM and screenshot: every
 * section the JSON has, the ground truth ex[], and a flame graph with the
 * leak's frame flame_frame in section flame_sec.
 */
static void check_family_page(const char *chrome, const char *tag,
			      const char *json, const char *html,
			      const char *want_sections,
			      const struct expect *ex, size_t nr,
			      const char *flame_sec, const char *flame_frame)
{
	struct json_object *root = json_object_from_file(json);
	char *raw = read_file(html, NULL), *dom = NULL;
	char what[64];

	if (!root || !raw) {
		fail("%s: no JSON or HTML report", tag);
		goto out;
	}
	/* The ground truth holds in the JSON itself. */
	snprintf(what, sizeof(what), "%s raw", tag);
	check_offline(raw);
	if (!strstr(raw, "<table") || !strstr(raw, "<svg") ||
	    strstr(raw, "<table") > strstr(raw, "<svg"))
		fail("%s: the verdict table does not come first", what);
	check_sections(raw, what, root, want_sections);
	check_expected(raw, what, root, ex, nr);
	check_flame(raw, what, flame_sec, flame_frame);
	check_unique_ids(raw, what);

	dom = chrome_dom(chrome, html, tag);
	if (dom) {
		snprintf(what, sizeof(what), "%s dom", tag);
		if (!strstr(dom, "<html lang=\"en\" data-js=\"ready\">"))
			fail("%s: the page's script did not run to its end",
			     what);
		check_sections(dom, what, root, want_sections);
		check_expected(dom, what, root, ex, nr);
		check_flame(dom, what, flame_sec, flame_frame);
		if (count_str(dom, "class=\"mark\"") !=
		    count_str(dom, "<svg class=\"chart\""))
			fail("%s: charts without the hover marker", what);
		fprintf(stderr, "%s: %zu charts, %zu flame graphs, %zu rows\n",
			tag, count_str(dom, "<svg class=\"chart\""),
			count_str(dom, "<svg class=\"flame\""),
			count_str(dom, "<tr class=\"site "));
	}
	chrome_shot(chrome, html, tag);
out:
	free(dom);
	free(raw);
	json_object_put(root);
}

/* tests/workloads/thread_workload.c: 30 leaked threads, a pool of 4. */
static void test_threads(const char *lw, const char *chrome)
{
	static const struct expect ex[] = {
		{ "thread", "leak_spawn", 30, true },
		{ "thread", "pool_start", 4, false },
	};
	const char *wl = env_path("LW_THREAD_WORKLOAD");
	char json[PATH_MAX], html[PATH_MAX];

	if (!wl)
		return;
	snprintf(json, sizeof(json), "%s/threads.json", tmpdir);
	snprintf(html, sizeof(html), "%s/threads.html", tmpdir);
	{
		char *argv[] = { (char *)lw, "diagnose", "-d", FAMILY_WINDOW_S,
				 "--json", json, "--html", html, "--",
				 (char *)wl, "--leak", "30", "--pool", "4",
				 "--interval-ms", "200", NULL };

		if (run(argv, NULL, "lw-threads", 10 + LW_TIMEOUT_S)) {
			fail("leakwatch on thread_workload failed");
			return;
		}
	}
	check_family_page(chrome, "threads", json, html,
			  "alloc thread", ex, sizeof(ex) / sizeof(ex[0]),
			  "thread", "leak_spawn");
}

/* tests/workloads/sock_workload.c: ground truth in sock_workload.h. */
static void test_sockets(const char *lw, const char *chrome)
{
	static const struct expect ex[] = {
		{ "socket", "forgetful_connect", 20, true },
		{ "socket", "accept_and_keep", 20, true },
		{ "socket", "open_pool", 3, false },
		{ "socket", "make_udp", 1, false },
		{ "socket", "make_pair", 2, false },
		{ "socket", "make_listener", 1, false },
		{ "fd", "eventfd", 20, true },
		{ "fd", "pipe", UINT64_MAX, false },
	};
	const char *wl = env_path("LW_SOCK_WORKLOAD");
	char json[PATH_MAX], html[PATH_MAX];

	if (!wl)
		return;
	snprintf(json, sizeof(json), "%s/sockets.json", tmpdir);
	snprintf(html, sizeof(html), "%s/sockets.html", tmpdir);
	{
		char *argv[] = { (char *)lw, "diagnose", "-d", FAMILY_WINDOW_S,
				 "--json", json, "--html", html, "--",
				 (char *)wl, NULL };

		if (run(argv, NULL, "lw-sockets", 10 + LW_TIMEOUT_S)) {
			fail("leakwatch on sock_workload failed");
			return;
		}
	}
	check_family_page(chrome, "sockets", json, html,
			  "alloc thread socket fd", ex,
			  sizeof(ex) / sizeof(ex[0]), "socket",
			  "forgetful_connect");
}

static bool wait_path(const char *path, pid_t pid, const char *tag)
{
	int i;

	for (i = 0; i < 30 * 20; i++) {
		if (!access(path, F_OK))
			return true;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			fail("%s: exited before writing %s", tag, path);
			return false;
		}
		usleep(50000);
	}
	fail("%s: no %s after 30 s", tag, path);
	return false;
}

/*
 * The live goroutines of the four leak workers of tests/go/leaky: one per
 * driver round each, so all equal and not zero (docs/testing.md).
 */
static void check_go_rounds(const char *json)
{
	static const char *const workers[] = {
		"main.chanLeakWorker", "main.ctxLeakWorker",
		"main.tickerLeakWorker", "main.sseStream"
	};
	struct json_object *root = json_object_from_file(json);
	uint64_t first = 0;
	struct jreport jr;
	size_t i, k;

	if (!root || !load_section(root, &jsections[1], &jr)) {
		fail("go: no goroutines in the JSON");
		json_object_put(root);
		return;
	}
	for (i = 0; i < sizeof(workers) / sizeof(workers[0]); i++) {
		struct json_object *sites, *s, *v;
		uint64_t live = 0;

		json_object_object_get_ex(root, "goroutines", &v);
		json_object_object_get_ex(v, "sites", &sites);
		for (k = 0; k < json_object_array_length(sites); k++) {
			s = json_object_array_get_idx(sites, k);
			if (json_object_object_get_ex(s, "start_function",
						      &v) &&
			    !strcmp(json_object_get_string(v) ?: "",
				    workers[i]) &&
			    json_object_object_get_ex(s, "live", &v))
				live += json_object_get_uint64(v);
		}
		if (!i)
			first = live;
		if (!live || live != first)
			fail("go: %s has %" PRIu64 " live goroutines, %s has "
			     "%" PRIu64 ": not one per round each",
			     workers[i], live, workers[0], first);
	}
	fprintf(stderr, "go: %" PRIu64 " rounds\n", first);
	json_object_put(root);
}

/* tests/go/leaky, newest toolchain: goroutine leaks, a pool of 8. */
static void test_go(const char *lw, const char *chrome)
{
	static const struct expect ex[] = {
		{ "goroutine", "main.chanLeakWorker", UINT64_MAX, true },
		{ "goroutine", "main.ctxLeakWorker", UINT64_MAX, true },
		{ "goroutine", "main.tickerLeakWorker", UINT64_MAX, true },
		{ "goroutine", "main.sseStream", UINT64_MAX, true },
		{ "goroutine", "main.poolWorker", 8, false },
	};
	const char *fx_exe = env_path("LW_GO_LEAKY");
	char json[PATH_MAX], html[PATH_MAX], port[PATH_MAX], ready[PATH_MAX];
	char pid_s[16];
	pid_t fx, lwp;
	char *raw;

	if (!fx_exe)
		return;
	snprintf(json, sizeof(json), "%s/go.json", tmpdir);
	snprintf(html, sizeof(html), "%s/go.html", tmpdir);
	snprintf(port, sizeof(port), "%s/go.port", tmpdir);
	snprintf(ready, sizeof(ready), "%s/go.ready", tmpdir);
	{
		/* -wait: the driver starts on SIGUSR1, once traced. */
		char *argv[] = { (char *)fx_exe, "-port-file", port,
				 "-drive", GO_DRIVE_S, "-rate", GO_DRIVE_RATE,
				 "-wait", NULL };

		fx = start(argv, NULL, "go-fixture");
	}
	if (fx < 0 || !wait_path(port, fx, "go-fixture"))
		goto out_fx;
	snprintf(pid_s, sizeof(pid_s), "%d", (int)fx);
	{
		char *argv[] = { (char *)lw, "diagnose", "-p", pid_s, "-d",
				 FAMILY_WINDOW_S, "--json", json, "--html",
				 html, "--ready-file", ready, NULL };

		lwp = start(argv, NULL, "lw-go");
	}
	if (lwp < 0 || !wait_path(ready, lwp, "lw-go")) {
		if (lwp > 0)
			finish(lwp, "lw-go", 1);
		goto out_fx;
	}
	kill(fx, SIGUSR1);
	if (finish(lwp, "lw-go", 10 + LW_TIMEOUT_S)) {
		fail("leakwatch on the Go fixture failed");
		goto out_fx;
	}
	check_go_rounds(json);
	check_family_page(chrome, "go", json, html,
			  "goroutine goheap thread socket fd", ex,
			  sizeof(ex) / sizeof(ex[0]), "goroutine",
			  "main.chanLeakWorker");
	/* A pure Go binary: the allocations say why they are empty, and the
	 * Go heap sits beside RSS. */
	raw = read_file(html, NULL);
	if (!raw || !strstr(raw, "id=\"absent-alloc\">Heap allocations: "
				 "not traced"))
		fail("go: no note on the untraced allocations");
	if (!raw || !strstr(raw, "<table class=\"facts\" id=\"goheap-vs-rss\">"))
		fail("go: no Go heap beside RSS table");
	free(raw);
out_fx:
	if (fx > 0) {
		kill(-fx, SIGKILL);
		waitpid(fx, NULL, 0);
	}
}

static void test_families(void)
{
	const char *lw = env_path("LW_LEAKWATCH");
	const char *chrome = env_path("LW_CHROMIUM");

	if (!lw || !chrome)
		return;
	test_threads(lw, chrome);
	test_sockets(lw, chrome);
	test_go(lw, chrome);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(int argc, char **argv)
{
	if (argc != 2 ||
	    (strcmp(argv[1], "demo") && strcmp(argv[1], "families"))) {
		fprintf(stderr, "usage: %s demo|families\n", argv[0]);
		return 2;
	}
	if (geteuid()) {
		fprintf(stderr, "SKIP: needs root\n");
		return 77;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/lw-html-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	if (!strcmp(argv[1], "demo"))
		test_demo();
	else
		test_families();
	if (failures) {
		fprintf(stderr, "%d failure%s; files kept in %s\n", failures,
			failures == 1 ? "" : "s", tmpdir);
		return 1;
	}
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	fprintf(stderr, "PASS\n");
	return 0;
}
