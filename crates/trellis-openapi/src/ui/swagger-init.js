// Trellis: starts Swagger UI from the JSON configuration embedded in the page
// (<script id="trellis-docs-config" type="application/json">), so the page needs no
// inline script. Served with the vendored swagger-ui-bundle.js; see src/ui/pages.rs.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("trellis-docs-config").textContent);
  window.ui = SwaggerUIBundle({
    url: config.url,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    // The OAuth2 redirect page of this app, as the absolute URL authorization servers need.
    oauth2RedirectUrl: new URL(config.oauth2RedirectUrl, window.location.href).href,
    // No online validator badge (it would call validator.swagger.io).
    validatorUrl: null,
  });
})();
