import { describe, expect, it } from "vitest";
import { dependencyExtractor } from "../../../src/pipeline/sources/dependencies.js";
import { extractFixture, fixtureLines, get, utf8 } from "./helpers.js";

const AREA = "dependencies";

/** Every record's line must point at a source line that names the dependency. */
function expectLinesNameEntries(file: string) {
  const { records } = extractFixture(dependencyExtractor, AREA, file);
  const lines = fixtureLines(AREA, file);
  for (const record of records) {
    const name = String(record.payload.name).replace(/ \(package .*\)$/, "");
    expect(lines[record.payload.line - 1], `${record.key} at line ${record.payload.line}`).toContain(name);
  }
  return records;
}

describe("package.json", () => {
  it("reads all four sections with versions, dev flag, group and lines", () => {
    const { records, warnings } = extractFixture(dependencyExtractor, AREA, "web/package.json");
    expect(warnings).toEqual([]);
    expect(records).toHaveLength(11);
    const express = get(records, "web/package.json#dep:dependencies:express");
    expect(express.collection).toBe("dependencies");
    expect(express.payload).toMatchObject({
      name: "express",
      version: "^4.18.2",
      ecosystem: "npm",
      dev: false,
      group: "dependencies",
      section: ["dependencies"],
      kind: "dependency-manifest",
      title: "express ^4.18.2",
      project: "@acme/web",
      line: 10,
    });
    expect(express.text).toBe(
      "npm package express ^4.18.2 (runtime dependency) in web/package.json (project @acme/web)",
    );
    const vitest = get(records, "web/package.json#dep:devDependencies:vitest");
    expect(vitest.payload.dev).toBe(true);
    expect(vitest.text).toContain("development dependency");
    // react appears twice (runtime and peer): distinct keys, distinct lines.
    const peer = get(records, "web/package.json#dep:peerDependencies:react");
    expect(peer.text).toContain("peer dependency");
    expect(peer.payload.line).not.toBe(get(records, "web/package.json#dep:dependencies:react").payload.line);
    expect(get(records, "web/package.json#dep:optionalDependencies:fsevents").payload.optional).toBe(true);
    expect(get(records, "web/package.json#dep:dependencies:left-pad").payload.source).toBe(
      "github:stevemao/left-pad#v1.3.0",
    );
    expectLinesNameEntries("web/package.json");
  });

  it("warns with the line of a JSON syntax error instead of throwing", () => {
    const { records, warnings } = extractFixture(dependencyExtractor, AREA, "broken/package.json");
    expect(records).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ file: "broken/package.json", code: "invalid-json" });
    expect(warnings[0]?.line).toBeGreaterThanOrEqual(6);
  });

  it("skips non-string versions and non-object sections with a warning each", () => {
    const json = `{\n  "dependencies": {\n    "ok": "1.0.0",\n    "bad": 4\n  },\n  "devDependencies": ["x"]\n}`;
    const { records, warnings } = dependencyExtractor.extract("p/package.json", utf8(json));
    expect(records.map((r) => r.payload.name)).toEqual(["ok"]);
    expect(warnings.map((w) => [w.code, w.line])).toEqual([
      ["invalid-version", 4],
      ["invalid-section", 6],
    ]);
  });
});

describe("go.mod", () => {
  it("reads require blocks and single lines, indirect markers and replacements", () => {
    const { records, warnings } = extractFixture(dependencyExtractor, AREA, "svc/go.mod");
    expect(warnings).toEqual([]);
    expect(records.map((r) => r.payload.name)).toEqual([
      "github.com/gin-gonic/gin",
      "github.com/jackc/pgx/v5",
      "go.uber.org/zap",
      "github.com/bytedance/sonic",
      "golang.org/x/net",
      "github.com/redis/go-redis/v9",
    ]);
    const sonic = get(records, "svc/go.mod#dep:require:github.com/bytedance/sonic");
    expect(sonic.payload).toMatchObject({ version: "v1.10.2", ecosystem: "go", indirect: true, dev: false });
    expect(get(records, "svc/go.mod#dep:require:golang.org/x/net").payload.indirect).toBe(true);
    expect(get(records, "svc/go.mod#dep:require:github.com/gin-gonic/gin").payload.indirect).toBe(false);
    expect(get(records, "svc/go.mod#dep:require:github.com/jackc/pgx/v5").payload.replace).toBe(
      "../forks/pgx",
    );
    expect(sonic.payload.project).toBe("github.com/acme/orders-svc");
    expectLinesNameEntries("svc/go.mod");
  });

  it("reports a bad require line and an unclosed block by line", () => {
    const { records, warnings } = extractFixture(dependencyExtractor, AREA, "broken/go.mod");
    expect(records.map((r) => r.payload.name)).toEqual(["github.com/ok/mod"]);
    expect(warnings.map((w) => [w.code, w.line])).toEqual([
      ["invalid-require", 5],
      ["unclosed-block", 3],
    ]);
  });
});

describe("requirements files", () => {
  it("parses PEP 508 lines with extras, markers, hashes, URLs, editables and includes", () => {
    const { records, warnings } = extractFixture(dependencyExtractor, AREA, "api/requirements.txt");
    expect(warnings).toEqual([]);
    const requests = get(records, "api/requirements.txt#dep:requirements:requests");
    expect(requests.payload).toMatchObject({
      version: ">=2.31",
      extras: ["socks", "security"],
      marker: 'python_version >= "3.8"',
      ecosystem: "pypi",
      dev: false,
      line: 8,
    });
    expect(get(records, "api/requirements.txt#dep:requirements:uvicorn").payload.version).toBe("==0.27.1");
    expect(get(records, "api/requirements.txt#dep:requirements:numpy").payload.version).toBe("==1.26.3");
    expect(get(records, "api/requirements.txt#dep:requirements:my-lib").payload.source).toBe(
      "git+https://github.com/acme/my-lib.git@v1.2.0",
    );
    expect(get(records, "api/requirements.txt#dep:requirements:orjson").payload.version).toBe("3.9.10");
    expect(get(records, "api/requirements.txt#dep:requirements:acme-common").payload.source).toBe(
      "./packages/acme-common",
    );
    const include = get(records, "api/requirements.txt#dep:requirements:requirements/base.txt");
    expect(include.payload.relation).toBe("include");
    expect(include.text).toContain("includes the requirements of requirements/base.txt");
    expect(get(records, "api/requirements.txt#dep:requirements:constraints.txt").payload.relation).toBe(
      "constraint",
    );
    // --index-url is an option, not a package.
    expect(records.some((r) => String(r.payload.name).includes("pypi.org"))).toBe(false);
  });

  it("marks requirements-dev.txt entries as development dependencies of group dev", () => {
    const { records } = extractFixture(dependencyExtractor, AREA, "api/requirements-dev.txt");
    const pytest = get(records, "api/requirements-dev.txt#dep:requirements:pytest");
    expect(pytest.payload).toMatchObject({ dev: true, group: "dev", version: ">=8.0" });
    expect(pytest.text).toContain("development dependency, group dev");
    const base = extractFixture(dependencyExtractor, AREA, "api/requirements/base.txt").records;
    expect(base.map((r) => r.payload.name)).toEqual(["sqlalchemy", "alembic", "psycopg"]);
  });

  it("warns about each line that is not a requirement and keeps the good ones", () => {
    const { records, warnings } = extractFixture(dependencyExtractor, AREA, "broken/requirements.txt");
    expect(records.map((r) => r.payload.name)).toEqual(["good-package"]);
    expect(warnings.map((w) => [w.code, w.line])).toEqual([
      ["invalid-requirement", 2],
      ["invalid-requirement", 3],
      ["invalid-requirement", 4],
    ]);
  });
});

describe("pyproject.toml", () => {
  it("reads PEP 621 dependencies, extras, PEP 735 groups, uv/PDM dev lists and build requires, with lines", () => {
    const { records, warnings } = extractFixture(dependencyExtractor, AREA, "api/pyproject.toml");
    expect(warnings).toEqual([]);
    expect(records.map((r) => r.key)).toEqual([
      "api/pyproject.toml#dep:project.dependencies:fastapi",
      "api/pyproject.toml#dep:project.dependencies:httpx",
      "api/pyproject.toml#dep:project.dependencies:structlog",
      "api/pyproject.toml#dep:project.dependencies:importlib-metadata",
      "api/pyproject.toml#dep:project.optional-dependencies.redis:redis",
      "api/pyproject.toml#dep:project.optional-dependencies.test:pytest",
      "api/pyproject.toml#dep:project.optional-dependencies.test:coverage",
      "api/pyproject.toml#dep:dependency-groups.lint:ruff",
      "api/pyproject.toml#dep:dependency-groups.typing:mypy",
      "api/pyproject.toml#dep:tool.uv.dev-dependencies:pytest-cov",
      "api/pyproject.toml#dep:tool.pdm.dev-dependencies.docs:mkdocs",
      "api/pyproject.toml#dep:build-system.requires:hatchling",
    ]);
    expect(get(records, "api/pyproject.toml#dep:build-system.requires:hatchling").text).toContain(
      "build dependency",
    );
    expect(
      get(records, "api/pyproject.toml#dep:project.optional-dependencies.test:pytest").payload,
    ).toMatchObject({
      dev: true,
      optional: true,
      group: "test",
    });
    expect(get(records, "api/pyproject.toml#dep:project.optional-dependencies.redis:redis").payload.dev).toBe(
      false,
    );
    expectLinesNameEntries("api/pyproject.toml");
  });

  it("reads Poetry main and group tables, skipping the python constraint", () => {
    const { records, warnings } = extractFixture(dependencyExtractor, AREA, "worker/pyproject.toml");
    expect(warnings).toEqual([]);
    expect(records.some((r) => r.payload.name === "python")).toBe(false);
    expect(get(records, "worker/pyproject.toml#dep:tool.poetry.dependencies:celery").payload).toMatchObject({
      version: "^5.3",
      extras: ["redis"],
      dev: false,
      group: "main",
      project: "acme-worker",
    });
    expect(get(records, "worker/pyproject.toml#dep:tool.poetry.dependencies:pandas").payload.version).toBe(
      "<2.1 | ^2.1",
    );
    expect(
      get(records, "worker/pyproject.toml#dep:tool.poetry.group.docs.dependencies:mkdocs-material").payload,
    ).toMatchObject({ dev: true, group: "docs" });
    expectLinesNameEntries("worker/pyproject.toml");
  });

  it("warns when dependencies is not a list", () => {
    const { records, warnings } = extractFixture(dependencyExtractor, AREA, "broken/pyproject.toml");
    expect(records).toEqual([]);
    expect(warnings.map((w) => [w.code, w.line])).toEqual([["invalid-section", 3]]);
  });
});

describe("Cargo.toml", () => {
  it("reads dependency tables, inline tables, dotted tables, targets and workspace inheritance", () => {
    const { records, warnings } = extractFixture(dependencyExtractor, AREA, "rust-ws/crates/core/Cargo.toml");
    expect(warnings).toEqual([]);
    const reqwest = get(records, "rust-ws/crates/core/Cargo.toml#dep:dependencies:reqwest");
    expect(reqwest.payload).toMatchObject({
      version: "0.11",
      features: ["json", "rustls-tls"],
      optional: true,
      ecosystem: "cargo",
      dev: false,
    });
    expect(get(records, "rust-ws/crates/core/Cargo.toml#dep:dependencies:serde").payload.version).toBe(
      "workspace",
    );
    expect(get(records, "rust-ws/crates/core/Cargo.toml#dep:dependencies:tokio").payload.version).toBe(
      "workspace",
    );
    expect(get(records, "rust-ws/crates/core/Cargo.toml#dep:dependencies:tracing").payload).toMatchObject({
      version: "0.1",
      features: ["log"],
      line: 14,
    });
    expect(get(records, "rust-ws/crates/core/Cargo.toml#dep:dev-dependencies:proptest").payload.dev).toBe(
      true,
    );
    expect(get(records, "rust-ws/crates/core/Cargo.toml#dep:build-dependencies:cc").text).toContain(
      "build dependency",
    );
    expect(
      get(records, "rust-ws/crates/core/Cargo.toml#dep:target.cfg(windows).dependencies:winapi").payload
        .section,
    ).toEqual(["target", "cfg(windows)", "dependencies"]);
    expectLinesNameEntries("rust-ws/crates/core/Cargo.toml");
    const workspace = extractFixture(dependencyExtractor, AREA, "rust-ws/Cargo.toml").records;
    expect(workspace.map((r) => r.payload.name)).toEqual(["serde", "tokio", "anyhow"]);
    expect(workspace[0]?.text).toContain("shared by the workspace members");
  });

  it("reports TOML syntax errors with smol-toml's line", () => {
    const { records, warnings } = extractFixture(dependencyExtractor, AREA, "broken/Cargo.toml");
    expect(records).toEqual([]);
    expect(warnings[0]?.code).toBe("invalid-toml");
    expect(warnings[0]?.line).toBeGreaterThanOrEqual(5);
  });
});

describe("dependency texts", () => {
  it("stay well inside the embedding window", () => {
    for (const file of [
      "web/package.json",
      "api/requirements.txt",
      "rust-ws/crates/core/Cargo.toml",
      "worker/pyproject.toml",
    ]) {
      for (const record of extractFixture(dependencyExtractor, AREA, file).records) {
        expect(record.text.length).toBeLessThan(1000);
      }
    }
  });
});
