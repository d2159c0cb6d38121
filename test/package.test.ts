// The package as another project gets it: `npm pack`, installed from the tarball into a
// fresh project without the network, type-checked by a consumer's tsc, and run.

import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const npm = (args: string[], cwd: string) => run("npm", args, { cwd, env: { ...process.env, npm_config_update_notifier: "false" } });

interface Lock {
  packages: Record<string, { dev?: boolean }>;
}

/**
 * npm installs a tarball's dependencies offline only from a lockfile: their registry
 * metadata is not in the cache that `npm ci` filled, their contents are. The consumer's
 * lockfile lists the package's own dependencies exactly as this repository's does.
 */
function writeConsumer(dir: string, tarball: string): void {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    version: string;
    dependencies: Record<string, string>;
    bin: unknown;
  };
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as Lock;
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    "": { name: "consumer", dependencies: { "studio-jobs": spec } },
    "node_modules/studio-jobs": { version: pkg.version, resolved: spec, dependencies: pkg.dependencies, bin: pkg.bin },
  };
  for (const [path, entry] of Object.entries(lock.packages))
    if (path.startsWith("node_modules/") && entry.dev !== true) packages[path] = entry;
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module", dependencies: { "studio-jobs": spec } }),
  );
  writeFileSync(join(dir, "package-lock.json"), JSON.stringify({ name: "consumer", lockfileVersion: 3, requires: true, packages }));
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        skipLibCheck: true,
        outDir: "out",
        types: ["node"],
        typeRoots: [join(ROOT, "node_modules/@types")],
      },
      files: ["consumer.ts"],
    }),
  );
  // The README's library example, and a misuse that only real declarations catch.
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const example = /\n## Library\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toContain('from "studio-jobs"');
  writeFileSync(
    join(dir, "consumer.ts"),
    `${example ?? ""}
// The types the exported functions take and give are named too: a caller can declare them.
import type { ApplyEvent, EmulatorConfig, ListAllJobsQuery, ListJobsQuery, ResolveOptions, RetryEvent, TextOptions } from "studio-jobs";
export type Named = [ApplyEvent, EmulatorConfig, ListAllJobsQuery, ListJobsQuery, ResolveOptions, RetryEvent, TextOptions];
// And those of what they hold: a SpecError's issues, run()'s io, a plan's summary, a step's status.
import type { CliIo, PlanSummary, SourceLocation, SpecIssue, StepStatus } from "studio-jobs";
export type Held = [CliIo, PlanSummary, SourceLocation, SpecIssue, StepStatus];
// @ts-expect-error -- the port is a number: without the package's declarations this line is no error, and tsc fails.
export const misuse = () => startEmulator({ port: "0" });
`,
  );
  cpSync(join(ROOT, "examples/analytics"), dir, { recursive: true });
  mkdirSync(join(dir, ".git"));
}

// Wall time: some 15 s on an idle machine, 54 s in a full `npm test` on 2 loaded cores.
it("packs what a user needs, installs offline, type-checks and runs in a consumer project", { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "studio-jobs-pack-"));
  // The build is fresh (npm test builds first); packing again must not rebuild it.
  const packed = await npm(["pack", "--ignore-scripts", "--json", "--pack-destination", dir], ROOT);
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  const files = (info?.files ?? []).map((f) => f.path).sort();
  for (const needed of [
    "LICENSE",
    "README.md",
    "CHANGELOG.md",
    "package.json",
    "dist/src/index.js",
    "dist/src/index.d.ts",
    "dist/bin/studio-jobs.cjs",
    "dist/bin/schema-validator.cjs",
    "dist/bin/plan-validator.cjs",
    "dist/src/desired/schema-validator.cjs",
    "schema/studio-jobs.schema.json",
    "schema/plan.schema.json",
  ]) {
    expect(files).toContain(needed);
  }
  expect(files.filter((f) => /test|bench|\.map$|^src\/|\.ts$/.test(f) && !f.endsWith(".d.ts"))).toEqual([]);
  expect(
    files.filter(
      (f) =>
        !/^(dist\/src\/.+\.(js|cjs|d\.ts)|dist\/bin\/[^/]+\.cjs|schema\/.+\.json|LICENSE|README\.md|CHANGELOG\.md|package\.json)$/.test(f),
    ),
  ).toEqual([]);

  // The consumer's tsc skips checking libraries (as most do, and checking @types/node costs
  // seconds): so check here that the declarations import only what an install brings.
  const dependencies = Object.keys((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: object }).dependencies);
  const imported = new Set<string>();
  for (const file of files.filter((f) => f.endsWith(".d.ts"))) {
    for (const match of readFileSync(join(ROOT, file), "utf8").matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
      const name = match[1] ?? "";
      if (!name.startsWith(".") && !name.startsWith("node:") && !builtinModules.includes(name))
        imported.add(name.startsWith("@") ? name.split("/").slice(0, 2).join("/") : (name.split("/")[0] ?? name));
    }
  }
  expect([...imported].filter((name) => !dependencies.includes(name))).toEqual([]);
  expect(imported.has("undici")).toBe(true);

  const consumer = join(dir, "consumer");
  mkdirSync(consumer);
  writeConsumer(consumer, join(dir, info?.filename ?? ""));
  // A tarball is not from a registry, so npm counts its `prepare` as an install script: the
  // package shipped one (to build in this repository), and npm warned on every install and
  // refused it under --strict-allow-scripts. The tarball holds the build; it runs nothing.
  const shipped = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  expect(Object.keys(shipped.scripts).filter((name) => ["preinstall", "install", "postinstall", "prepare"].includes(name))).toEqual([]);
  const installing = await npm(["ci", "--offline", "--no-audit", "--no-fund", "--strict-allow-scripts"], consumer);
  expect(installing.stderr).not.toContain("install-scripts");
  const installed = JSON.parse(readFileSync(join(consumer, "node_modules/studio-jobs/package.json"), "utf8")) as { types: string };
  expect(installed.types).toBe("./dist/src/index.d.ts");

  // The JSON schemas are the package's too (README: `$schema` comments point into it): an
  // editor integration finds them by the package's name, from CommonJS and from ES modules.
  // `exports` listed none, and both lookups failed with ERR_PACKAGE_PATH_NOT_EXPORTED.
  for (const schema of ["studio-jobs.schema.json", "plan.schema.json"]) {
    const specifier = `studio-jobs/schema/${schema}`;
    const path = join(consumer, "node_modules/studio-jobs/schema", schema);
    const required = await run(process.execPath, ["-p", `require.resolve(${JSON.stringify(specifier)})`], { cwd: consumer });
    expect(required.stdout).toBe(`${path}\n`);
    const imported = await run(
      process.execPath,
      ["--input-type=module", "-e", `console.log(import.meta.resolve(${JSON.stringify(specifier)}))`],
      {
        cwd: consumer,
      },
    );
    expect(imported.stdout).toBe(`${pathToFileURL(path).href}\n`);
  }

  const tsc = await run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], { cwd: consumer }).catch(
    (error: Error & { stdout?: string }) => ({ stdout: `tsc failed:\n${error.stdout ?? error.message}` }),
  );
  expect(tsc.stdout).toBe("");
  const ran = await run(process.execPath, ["out/consumer.js"], { cwd: consumer });
  expect(ran.stdout).toContain("Plan: 4 to create, 0 to replace, 0 to cancel, 0 unchanged.");

  // The bundled command as installed: it finds its version, the schema and the precompiled
  // validator from where the install put it.
  const bin = join(consumer, "node_modules/.bin/studio-jobs");
  expect((await run(bin, ["--version"], { cwd: consumer })).stdout).toBe(
    `${(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version}\n`,
  );
  expect((await run(bin, ["validate"], { cwd: consumer })).stdout).toBe("Valid: 4 jobs in 1 file, stack analytics, team demo.\n");
});

it("builds the command executable, so a `studio-jobs` that `npm link` put on PATH still runs after a rebuild (from a README walkthrough)", async () => {
  // npm link points at dist/bin/studio-jobs.cjs and makes it executable once; every build
  // recreates dist/bin/, and the new file was 0644: "Permission denied" after `npm test`.
  const cli = join(ROOT, "dist/bin/studio-jobs.cjs");
  expect(statSync(cli).mode & 0o755).toBe(0o755);
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  expect((await run(cli, ["--version"])).stdout).toBe(`${pkg.version}\n`);
});
