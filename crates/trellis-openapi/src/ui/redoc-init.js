// Trellis: starts ReDoc from the JSON configuration embedded in the page
// (<script id="trellis-docs-config" type="application/json">), so the page needs no
// inline script. Served with the vendored redoc.standalone.js; see src/ui/pages.rs.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("trellis-docs-config").textContent);
  // System fonts: ReDoc's default theme names Roboto and Montserrat, which usually come
  // from Google Fonts; the page loads nothing from other hosts.
  var sans = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
  var mono = 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace';
  Redoc.init(
    config.url,
    {
      theme: {
        typography: {
          fontFamily: sans,
          headings: { fontFamily: sans },
          code: { fontFamily: mono },
        },
      },
    },
    document.getElementById("redoc")
  );
})();
