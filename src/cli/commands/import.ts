// `studio-jobs import --team T`: a spec for the team's live jobs that studio-jobs does not
// manage yet, to adopt them with `plan --adopt`. What Studio does not return (schedules,
// clusters, files) is marked for the user to fill in; environment values, which may be
// secrets, are never written out.

import { Document, isMap, type YAMLMap } from "yaml";
import { UsageError } from "../../errors.js";
import { MARKERS, userEnvironment } from "../../spec/markers.js";
import { isLive, isRun, isSchedule } from "../../studio/status.js";
import type { JobOutput } from "../../studio/types.js";
import { connect, type GlobalOptions } from "../connect.js";
import type { CliIo } from "../io.js";

export interface ImportFlags {
  stack: string;
}

/** Written where Studio cannot tell us the value: validate refuses it until it is replaced. */
export const FILL_IN = "FILL-IN";

function jobEntry(job: JobOutput): Record<string, unknown> {
  const env = userEnvironment(job.environment);
  const entry: Record<string, unknown> = { query: job.query, query_type: job.query_type };
  if (isSchedule(job.status)) entry["schedule"] = { cron: FILL_IN };
  if (job.workers !== 1) entry["workers"] = job.workers;
  if (job.python_version !== null && job.python_version !== "") entry["python_version"] = job.python_version;
  if (job.requirements !== "") entry["requirements"] = job.requirements.split("\n").filter((l) => l.trim() !== "");
  if (job.repository !== null && job.repository !== "") entry["repository"] = job.repository;
  if (Object.keys(env).length > 0) {
    entry["environment"] = Object.fromEntries(Object.keys(env).map((key) => [key, `\${env:${key}}`]));
  }
  return entry;
}

export async function runImport(flags: ImportFlags, globals: GlobalOptions, io: CliIo): Promise<number> {
  if (globals.team === undefined) throw new UsageError("import needs --team: the team whose jobs to import.");
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(flags.stack)) {
    throw new UsageError(`--stack "${flags.stack}" must be 1 to 63 letters, digits, '.', '_' or '-'.`);
  }
  const team = globals.team;
  const { client } = await connect(globals, io);
  let jobs: JobOutput[];
  try {
    jobs = await client.listAllJobs(team, { keep: (job) => !isRun(job) && isLive(job.status) });
  } finally {
    await client.close();
  }

  const byName = new Map<string, JobOutput[]>();
  let managed = 0;
  for (const job of jobs) {
    if (job.environment?.[MARKERS.stack] !== undefined) {
      managed += 1;
      continue;
    }
    if (job.name === "") {
      io.stderr.write(`Skipped job ${job.id}: it has no name, and a spec names every job.\n`);
      continue;
    }
    byName.set(job.name, [...(byName.get(job.name) ?? []), job]);
  }

  const doc = new Document({ version: 1, stack: flags.stack, defaults: { team }, jobs: {} as Record<string, unknown> });
  doc.commentBefore = [
    ` yaml-language-server: $schema=schema/studio-jobs.schema.json`,
    ` Imported from team ${team}: ${byName.size} live job${byName.size === 1 ? "" : "s"} not yet managed by studio-jobs.`,
    ` Studio does not return schedules, clusters, priorities, credentials or files: check each job,`,
    ` replace every ${FILL_IN}, then run \`studio-jobs plan --adopt\` to take the jobs over.`,
    ` Environment values are not written out, as they may be secrets: each is read from your`,
    ` environment (\${env:NAME}) when you plan; set them, or write the values in.`,
  ].join("\n");
  const jobsNode = doc.get("jobs", true) as YAMLMap;
  for (const [name, records] of [...byName].sort(([a], [b]) => a.localeCompare(b))) {
    const newest = [...records].sort((a, b) => (a.created_at < b.created_at ? 1 : -1))[0] as JobOutput;
    jobsNode.set(name, doc.createNode(jobEntry(newest)));
    const node = jobsNode.get(name, true);
    const notes = [` from job ${newest.id} (${newest.status})`];
    if (records.length > 1) notes.push(` ${records.length - 1} more live job(s) share this name; --adopt cancels them`);
    if (isSchedule(newest.status)) notes.push(` schedule.cron: Studio does not return it; write the job's cron expression`);
    if (isMap(node)) node.commentBefore = notes.join("\n");
  }
  io.stdout.write(doc.toString({ lineWidth: 0 }));
  io.stderr.write(
    `Imported ${byName.size} job${byName.size === 1 ? "" : "s"} from team ${team}${managed > 0 ? ` (${managed} already managed by studio-jobs left out)` : ""}. Fill in every ${FILL_IN} before planning.\n`,
  );
  return 0;
}
