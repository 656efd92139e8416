// The API reference page (/docs): Swagger UI, served from this origin, on the gateway's
// own OpenAPI document. Kept out of the page itself: the CSP allows no inline script.
const SwaggerUIBundle = window.SwaggerUIBundle;

SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#api-docs",
  deepLinking: true,
  // "Try it out" sends real requests with the token entered under "Authorize".
  persistAuthorization: false,
});
