#ifndef FINMON_PAGE_H
#define FINMON_PAGE_H

#include <stddef.h>

/* The live page's and the report's files, compiled into the library (see page.c).
 * Named cfinmon_, not finmon_: the library exports only the C ABI's finmon_ functions.
 * Each is a byte array with its length; none ends in a NUL. Owned by the library,
 * read-only, valid for the process's life. */
typedef struct finmon_page_asset {
    const unsigned char *bytes;
    size_t length;
} finmon_page_asset;

/* dygraphs 2.2.1 (MIT), minified, from Debian's libjs-dygraphs. */
finmon_page_asset cfinmon_page_dygraph_js(void);
/* dygraphs' stylesheet. */
finmon_page_asset cfinmon_page_dygraph_css(void);
/* The page's HTML template, its scripts (history.js: the history and its queries;
 * page.js: drawing and polling) and stylesheet (assets/ in this target). */
finmon_page_asset cfinmon_page_html(void);
finmon_page_asset cfinmon_page_history_js(void);
finmon_page_asset cfinmon_page_js(void);
finmon_page_asset cfinmon_page_css(void);
/* The panels, generated from python/finmon/_panels.py (python -m finmon.livepage). */
finmon_page_asset cfinmon_page_panels_json(void);

#endif
