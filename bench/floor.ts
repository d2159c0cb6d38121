// A floor process: the least any tool must do for a row, written plainly, run as its
// own node process like the command it is compared with.
//
//   node floor.js --validator FILE.cjs --yaml a.yaml [--yaml b.yaml ...]
//       read and parse each YAML file with js-yaml, check each document with the
//       precompiled spec validator (what `validate` cannot avoid doing)
//   node floor.js --list URL TEAM
//       one GET of the team's whole job listing with undici, then JSON.parse
//       (what `plan` cannot avoid doing against Studio)
//
// Both may be given: the converged-plan floor is the two together. Each library is
// loaded only when its part is asked for, so the floor pays for nothing it does not use.
// Prints one JSON line, {"jobs": validated job count, "listed": records listed}, which
// the harness checks so that a floor that did nothing cannot pass.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { setFlagsFromString } from "node:v8";

interface Args {
  validator?: string;
  yaml: string[];
  list?: { url: string; team: string };
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { yaml: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const next = (): string => {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${flag} needs a value`);
      return value;
    };
    if (flag === "--validator") args.validator = next();
    else if (flag === "--yaml") args.yaml.push(next());
    else if (flag === "--list") args.list = { url: next(), team: next() };
    else throw new Error(`unknown argument ${flag}`);
  }
  return args;
}

type Validate = ((data: unknown) => boolean) & { errors?: unknown };

async function validateFiles(validatorPath: string, files: readonly string[]): Promise<number> {
  const { load } = await import("js-yaml");
  const validate = createRequire(import.meta.url)(validatorPath) as Validate;
  let jobs = 0;
  for (const file of files) {
    const doc = load(readFileSync(file, "utf8"));
    if (!validate(doc)) throw new Error(`${file} does not pass the schema: ${JSON.stringify(validate.errors).slice(0, 300)}`);
    jobs += Object.keys((doc as { jobs?: object }).jobs ?? {}).length;
  }
  return jobs;
}

async function listJobs(url: string, team: string): Promise<number> {
  // As the tool does (src/cli/connect.ts): no optimizing compile of undici's HTTP parser to
  // wait out at exit, so that this floor pays no cost the tool does not.
  setFlagsFromString("--wasm-tiering-budget=2000000000");
  const { request } = await import("undici");
  const reply = await request(`${url}/api/datachain/jobs/?team_name=${encodeURIComponent(team)}&limit=10000000`, {
    headers: { authorization: "Bearer dev-token" },
  });
  const text = await reply.body.text();
  if (reply.statusCode !== 200) throw new Error(`listing: ${reply.statusCode} ${text.slice(0, 200)}`);
  const parsed = JSON.parse(text) as unknown;
  // Studio answers a bare array; older emulators wrapped it in {"jobs": [...]}.
  const jobs = Array.isArray(parsed) ? parsed : (parsed as { jobs?: unknown }).jobs;
  if (!Array.isArray(jobs)) throw new Error("listing: the reply is not a list of jobs");
  return jobs.length;
}

const args = parseArgs(process.argv.slice(2));
let jobs = 0;
let listed = 0;
if (args.yaml.length > 0) {
  if (args.validator === undefined) throw new Error("--yaml needs --validator");
  jobs = await validateFiles(args.validator, args.yaml);
}
if (args.list !== undefined) listed = await listJobs(args.list.url, args.list.team);
process.stdout.write(`${JSON.stringify({ jobs, listed })}\n`);
