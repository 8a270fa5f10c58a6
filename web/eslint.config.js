// ESLint for the web UI: the recommended JavaScript and TypeScript rules and
// React's two rules of hooks (call order, effect dependency lists). The
// plugin's React Compiler rules are left out: the UI is not compiled by it,
// and its refs-during-render and impure-render checks flag the deliberate
// patterns of the smoothing hooks.
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/", "**/node_modules/", "dist-pkg/", "e2e/artifacts/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { "react-hooks": reactHooks },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", ignoreRestSiblings: true }],
    },
  },
);
