/**
 * Jest runs the TypeScript sources through ts-jest in transpile-only mode (tsconfig has
 * isolatedModules); type checking and the compiled `dist/` the CLI tests spawn come from
 * `npm run build`, which `npm test` runs first.
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  // Jest's default is one worker less than the cores: one worker on these 2-core machines. Most
  // suites wait on HTTPS round trips and child processes, so two workers use both cores.
  maxWorkers: 2,
  testTimeout: 60000,
};
