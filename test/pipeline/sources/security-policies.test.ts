import { describe, expect, it } from "vitest";
import { flatten, securityPolicyExtractor } from "../../../src/pipeline/sources/security-policies.js";
import { extractFixture, fixtureLines, get, utf8 } from "./helpers.js";

const AREA = "policies";

describe("Markdown policies", () => {
  it("gives one record per section with its heading path, line and plain text", () => {
    const { records, warnings } = extractFixture(securityPolicyExtractor, AREA, ".github/SECURITY.md");
    expect(warnings).toEqual([]);
    expect(records.map((r) => r.key)).toEqual([
      ".github/SECURITY.md#policy:Security Policy",
      ".github/SECURITY.md#policy:Security Policy > Supported Versions",
      ".github/SECURITY.md#policy:Security Policy > Reporting a Vulnerability",
      ".github/SECURITY.md#policy:Security Policy > Reporting a Vulnerability > PGP key",
      ".github/SECURITY.md#policy:Security Policy > Disclosure Policy",
    ]);
    const lines = fixtureLines(AREA, ".github/SECURITY.md");
    for (const record of records) {
      expect(record.collection).toBe("security_policies");
      expect(lines[record.payload.line - 1]).toContain(record.payload.title);
    }
    const reporting = get(records, ".github/SECURITY.md#policy:Security Policy > Reporting a Vulnerability");
    expect(reporting.payload.section).toEqual(["Security Policy", "Reporting a Vulnerability"]);
    // Emphasis and link markup removed, list items kept as items.
    expect(reporting.text).toContain("Please do not open a public GitHub issue. Email security@acme.example");
    expect(reporting.text).toContain("- We acknowledge reports within 2 business days.");
    expect(get(records, ".github/SECURITY.md#policy:Security Policy > Supported Versions").text).toContain(
      "1.4.x | security fixes only",
    );
  });

  it("splits long sections into parts under the window, numbers duplicate headings, skips empty ones", () => {
    const file = "docs/policies/data-retention-policy.md";
    const { records } = extractFixture(securityPolicyExtractor, AREA, file);
    const base = `${file}#policy:Politique de conservation des données > Durées de conservation`;
    const parts = records.filter((r) => r.key.startsWith(base));
    expect(parts.length).toBeGreaterThan(2);
    expect(parts[0]?.key).toBe(base);
    expect(parts[1]?.key).toBe(`${base}#part2`);
    const lines = fixtureLines(AREA, file);
    for (const [index, part] of parts.entries()) {
      expect(part.text.length).toBeLessThanOrEqual(1000);
      expect(part.payload.part).toBe(index + 1);
      // Each later part points at its first list item.
      if (index > 0) expect(lines[part.payload.line - 1]).toMatch(/^- Catégorie \d+/);
    }
    const joined = parts.map((p) => p.text).join("\n");
    for (let i = 1; i <= 30; i++) expect(joined).toContain(`Catégorie ${i} :`);
    expect(records.map((r) => r.key)).toContain(
      `${file}#policy:Politique de conservation des données > Suppression~2`,
    );
    // "## Vide" has only a sub-heading: no record of its own.
    expect(records.some((r) => r.key.endsWith("> Vide"))).toBe(false);
    expect(records.some((r) => r.key.endsWith("> Vide > Sous-section"))).toBe(true);
  });

  it("keeps text before the first heading as a preamble and decodes UTF-16", () => {
    const { records } = securityPolicyExtractor.extract(
      "p/policy.md",
      utf8("Intro rule.\n\n# Title\n\nBody.\n"),
    );
    expect(records.map((r) => r.key)).toEqual(["p/policy.md#policy:(preamble)", "p/policy.md#policy:Title"]);
    const utf16 = extractFixture(securityPolicyExtractor, AREA, "broken/utf16-policy.md");
    expect(utf16.records[0]?.text).toContain("SEC");
  });

  it("warns on binary content", () => {
    const { records, warnings } = extractFixture(securityPolicyExtractor, AREA, "broken/binary-policy.md");
    expect(records).toEqual([]);
    expect(warnings.map((w) => w.code)).toEqual(["binary-file"]);
  });
});

describe("YAML policies", () => {
  it("gives one record per rule of top-level lists, one per mapping key, and one for scalar metadata", () => {
    const file = "config/access-policy.yaml";
    const { records, warnings } = extractFixture(securityPolicyExtractor, AREA, file);
    expect(warnings).toEqual([]);
    expect(records.map((r) => r.key)).toEqual([
      `${file}#policy:(metadata)`,
      `${file}#policy:rules/deny-public-buckets`,
      `${file}#policy:rules/mfa-for-admins`,
      `${file}#policy:rules[2]`,
      `${file}#policy:exceptions`,
    ]);
    const deny = get(records, `${file}#policy:rules/deny-public-buckets`);
    expect(deny.payload).toMatchObject({
      title: "deny-public-buckets",
      section: ["rules", "deny-public-buckets"],
      line: 4,
    });
    expect(deny.text).toContain("match.acl: allUsers, allAuthenticatedUsers");
    expect(deny.text).toContain("description: Storage buckets must never allow anonymous read access");
    expect(get(records, `${file}#policy:(metadata)`).text).toContain("owner: platform-security");
    expect(get(records, `${file}#policy:rules[2]`).payload.title).toBe(
      "Service accounts keys rotate every 90 days",
    );
  });

  it("reads a top-level list of rules keyed by name", () => {
    const { records } = extractFixture(securityPolicyExtractor, AREA, "config/password_policy.yml");
    expect(records.map((r) => r.payload.title)).toEqual(["minimum length", "rotation", "breached passwords"]);
    expect(records[0]?.key).toBe("config/password_policy.yml#policy:minimum length");
    expect(records.map((r) => r.payload.line)).toEqual([1, 4, 6]);
  });

  it("reads a multi-document stream (Kubernetes policies) keyed by kind and metadata.name", () => {
    const file = "config/network-policies.yaml";
    const { records, warnings } = extractFixture(securityPolicyExtractor, AREA, file);
    expect(warnings).toEqual([]);
    expect(records.map((r) => [r.key, r.payload.line])).toEqual([
      [`${file}#policy:NetworkPolicy deny-all-ingress`, 2],
      [`${file}#policy:NetworkPolicy allow-frontend-to-api`, 11],
    ]);
    expect(records[1]?.text).toContain("spec.ingress[0].ports[0].port: 8080");
  });

  it("warns on broken YAML and on a scalar document", () => {
    const bad = extractFixture(securityPolicyExtractor, AREA, "broken/bad-policy.yaml");
    expect(bad.records).toEqual([]);
    expect(bad.warnings[0]?.code).toBe("invalid-yaml");
    const scalar = extractFixture(securityPolicyExtractor, AREA, "broken/scalar-policy.yml");
    expect(scalar.warnings.map((w) => w.code)).toEqual(["not-a-policy"]);
  });

  it("bounds alias expansion (billion laughs) with a warning", () => {
    const lol = [
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      ...Array.from({ length: 8 }, (_, i) => {
        const prev = String.fromCharCode(97 + i);
        const name = String.fromCharCode(98 + i);
        return `${name}: &${name} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`;
      }),
    ].join("\n");
    const { records, warnings } = securityPolicyExtractor.extract("lol-policy.yaml", utf8(lol));
    expect(records).toEqual([]);
    expect(warnings).toHaveLength(1);
  });
});

describe("flatten", () => {
  it("renders nested values as path: value lines", () => {
    expect(flatten({ a: { b: 1, c: [1, 2] }, d: [{ e: "x" }] }, "")).toEqual([
      "a.b: 1",
      "a.c: 1, 2",
      "d[0].e: x",
    ]);
    expect(flatten({}, "k")).toEqual(["k: (empty)"]);
  });
});
