// ESLint for the web interface: plain ES modules that the browser runs as they are
// (no build step), so this is the only check they get before the browser tests.
// `make lint` runs it from the repository root; with --config, the patterns below
// are relative to the current directory, not to this file.
import js from "@eslint/js";
import globals from "globals";

export default [
  // Libraries copied unchanged from npm (static/vendor/README.md) are not ours to lint.
  { ignores: ["services/gateway/src/helpdesk_gateway/web/static/vendor/**"] },
  {
    files: ["services/gateway/src/helpdesk_gateway/web/static/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.browser },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      ...js.configs.recommended.rules,
      // A name declared and never read is often a call that was meant and lost.
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
      // Only the browser's globals: a mistyped name must not pass as a global.
      "no-undef": "error",
      // `x != null` (null or undefined) is the one loose comparison kept, on purpose.
      eqeqeq: ["error", "always", { null: "ignore" }],
      // Modules have no implicit globals; this keeps it so should a file ever be loaded as a script.
      "no-implicit-globals": "error",
      "prefer-const": "error",
      // Bugs the recommended set lets through.
      "array-callback-return": "error",
      "no-promise-executor-return": "error",
      "no-self-compare": "error",
      "no-shadow": "error",
      "no-template-curly-in-string": "error",
      "no-unmodified-loop-condition": "error",
    },
  },
];
