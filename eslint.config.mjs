// ESLint (flat config): typescript-eslint's recommended rules, and the project's one formatting setting
// (4-space indent, 140 columns, double quotes, semicolons), which .editorconfig states for editors.
import js from "@eslint/js";
import stylistic from "@stylistic/eslint-plugin";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
    {
        ignores: ["bin/**", "node_modules/**", ".cache/**", "**/*.d.ts"],
    },
    js.configs.recommended,
    tseslint.configs.recommended,
    {
        plugins: { "@stylistic": stylistic },
        languageOptions: { globals: { ...globals.node } },
        rules: {
            // Lines holding a string or a docs/tdengine.md citation are exempt: test names, messages and citations stay whole.
            "@stylistic/max-len": ["error", {
                code: 140, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true,
                ignorePattern: "docs/tdengine\\.md#",
            }],
            "@stylistic/indent": ["error", 4, { SwitchCase: 1 }],
            "@stylistic/quotes": ["error", "double", { avoidEscape: true, allowTemplateLiterals: "always" }],
            "@stylistic/semi": ["error", "always"],
            "@stylistic/eol-last": ["error", "always"],
            "@stylistic/no-trailing-spaces": "error",
            // A closure that Pulumi serializes must see a variable declared before it, even when it is assigned later.
            "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
            // Errors cross the dynamic providers' serialization as their message alone (a cause would be lost), so a
            // rethrown error carries the cause's text in its message instead.
            "preserve-caught-error": "off",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
        },
    },
    {
        // CommonJS programs (the composed e2e program is loaded by Pulumi's Node.js host as is).
        files: ["**/*.js"],
        languageOptions: { sourceType: "commonjs" },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
