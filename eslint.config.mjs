// `npm run lint`: ESLint's and typescript-eslint's recommended rules over everything we write; `npm run typecheck`
// (strict tsc) is the other half of the static checks.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'cdktf.out/', '.tmp/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // `import x = require('x')` is how TypeScript imports the CommonJS emulators, which ship no ES exports.
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
      // A leading underscore marks a binding kept on purpose (a callback's position, a property left out of a rest).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // Assertions walk the synthesized Terraform JSON loosely: a wrong path fails the assertion, which is the check.
    files: ['__tests__/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Build scripts, the jest config and test fixtures are plain Node CommonJS / ESM.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', exports: 'writable', __dirname: 'readonly', Buffer: 'readonly' },
    },
  },
);
