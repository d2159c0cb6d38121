// Reading a saved plan: telling one from a spec by its first bytes, and reading it whole,
// checked against its version and schema. Past readPlanFile the file can be relied on.

import { open, readFile } from "node:fs/promises";
import { UsageError } from "../errors.js";
import { PLAN_FORMAT_VERSION, type PlanDocument } from "./document.js";
import { checkPlanSchema } from "./schema.js";

/** How much of a file is read to tell a saved plan from a spec. */
const SNIFF_BYTES = 256;

/** Whether `path` holds a saved plan rather than a spec: a .json file whose object starts with format_version. */
export async function isPlanFile(path: string): Promise<boolean> {
  if (!path.endsWith(".json")) return false;
  try {
    // Only the start is needed to tell: the whole file is read once, by readPlanFile.
    const file = await open(path, "r");
    try {
      const { buffer, bytesRead } = await file.read(Buffer.alloc(SNIFF_BYTES), 0, SNIFF_BYTES, 0);
      const head = buffer.toString("utf8", 0, bytesRead);
      return head.trimStart().startsWith("{") && head.includes('"format_version"');
    } finally {
      await file.close();
    }
  } catch {
    return false;
  }
}

/** Read and check a saved plan; `shown` is the path as the user gave it, for messages. */
export async function readPlanFile(path: string, shown: string = path): Promise<PlanDocument> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new UsageError(`${shown} is not a readable plan file: ${(error as Error).message}`);
  }
  checkVersion(doc, shown);
  checkPlanSchema(doc, shown);
  if (doc.errors.length > 0) throw new UsageError(`${shown} is a plan with errors; it cannot be applied.`);
  return doc;
}

/** Why a plan of an older format_version is not applied: what was wrong with it. */
const OLDER_PLANS: Readonly<Record<number, string>> = {
  1: "held unkeyed digests of sensitive values",
  2: "were not sealed, so an edit made after the plan would have been applied",
};

/**
 * A reader takes only its own format_version, and says why not otherwise: a newer file may
 * hold what this version cannot check; an older one held unkeyed digests of sensitive values.
 * Saved plans live from a pull request to its merge, so an old one is made again, not converted.
 */
function checkVersion(doc: unknown, shown: string): void {
  const found = doc as Partial<PlanDocument> | null;
  if (found === null || typeof found !== "object" || typeof found.format_version !== "number")
    throw new UsageError(`${shown} is not a plan file: it has no format_version.`);
  if (found.format_version > PLAN_FORMAT_VERSION) {
    throw new UsageError(
      `${shown} has format_version ${found.format_version}, newer than this studio-jobs (${PLAN_FORMAT_VERSION}) reads.`,
      `It was made by studio-jobs ${String(found.tool_version)}; apply it with that version or newer.`,
    );
  }
  if (found.format_version < PLAN_FORMAT_VERSION) {
    throw new UsageError(
      `${shown} has format_version ${found.format_version}, made by an older studio-jobs (${String(found.tool_version)}) whose plans ${OLDER_PLANS[found.format_version] ?? OLDER_PLANS[2]}.`,
      `Make a new plan with \`studio-jobs plan --out ${shown}\`, and delete the old one wherever it was kept.`,
    );
  }
  if (
    found.format_version !== PLAN_FORMAT_VERSION ||
    typeof found.stack !== "string" ||
    !Array.isArray(found.teams) ||
    !Array.isArray(found.actions) ||
    found.jobs === undefined
  ) {
    throw new UsageError(
      `${shown} is not a saved plan of format_version ${PLAN_FORMAT_VERSION}; save one with \`studio-jobs plan --out ${shown}\`.`,
    );
  }
}
