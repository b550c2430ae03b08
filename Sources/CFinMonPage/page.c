/* The page's files as bytes, embedded at build time with C23's #embed, so the library
 * serves its page with no file beside it and no network. dygraphs comes from Debian's
 * libjs-dygraphs (scripts/setup.sh installs it before the build). */
#include "finmon_page.h"

static const unsigned char dygraph_js[] = {
#embed "/usr/share/javascript/dygraphs/dygraph.min.js"
};
static const unsigned char dygraph_css[] = {
#embed "/usr/share/javascript/dygraphs/dygraph.min.css"
};
static const unsigned char page_html[] = {
#embed "assets/page.html"
};
static const unsigned char history_js[] = {
#embed "assets/history.js"
};
static const unsigned char page_js[] = {
#embed "assets/page.js"
};
static const unsigned char page_css[] = {
#embed "assets/page.css"
};
static const unsigned char panels_json[] = {
#embed "assets/panels.json"
};

#define ASSET(array) ((finmon_page_asset){ (array), sizeof(array) })

finmon_page_asset cfinmon_page_dygraph_js(void) { return ASSET(dygraph_js); }
finmon_page_asset cfinmon_page_dygraph_css(void) { return ASSET(dygraph_css); }
finmon_page_asset cfinmon_page_html(void) { return ASSET(page_html); }
finmon_page_asset cfinmon_page_history_js(void) { return ASSET(history_js); }
finmon_page_asset cfinmon_page_js(void) { return ASSET(page_js); }
finmon_page_asset cfinmon_page_css(void) { return ASSET(page_css); }
finmon_page_asset cfinmon_page_panels_json(void) { return ASSET(panels_json); }
