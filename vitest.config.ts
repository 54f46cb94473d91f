import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Hang guards, not speed checks: CI shares 2 cores with model inference and native builds.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
  },
});
