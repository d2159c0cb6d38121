// The spec files a plan did not read although they lie next to the ones it did, and declare
// the same stack: `plan jobs/training.yaml` when jobs/monitoring.yaml holds the rest of the
// stack. The plan takes their jobs for jobs removed from the spec and cancels them; what
// they define is looked up here so that the plan can refuse (docs/architecture.md,
// "Spec files left out").

import { dirname } from "node:path";
import { yamlDocuments } from "./any-yaml.js";
import { displayPath, readSpecData, repositoryOf } from "./load.js";
import { asRecord } from "./reader.js";
import { forEachJobTeam, type ResolveOptions } from "./resolve.js";
import { isYamlName, walkFiles } from "./walk.js";

/** A job an unread file defines: its key, and its team when the file says it plainly (else any team). */
export interface UnreadJob {
  /** The unread file, as shown to the user. */
  file: string;
  /** A file that was read, in the same directory. */
  nextTo: string;
  team: string | undefined;
}

export type SiblingOptions = Pick<ResolveOptions, "env" | "vars" | "defaultTeam">;

/**
 * Every job key defined by a YAML file that lies in the directory of a file that was read,
 * was not read itself, and declares `stack`. Hidden files are left out, as a directory's
 * walk leaves them, and so are links out of the repository, which the walk never reads, and
 * what is no file (a directory named like one, a FIFO); a file that cannot be read, or parsed
 * as YAML at all (an empty one parses), is in `unreadable`: whether it holds jobs of the
 * stack cannot be told (a half-edited file, say). Called only when a plan cancels jobs
 * removed from the spec, or `status` shows jobs whose keys the files given do not define, so a
 * plan that cancels none reads no more files.
 */
export async function jobsOfUnreadSiblings(
  read: readonly { path: string; display: string }[],
  stack: string,
  cwd: string,
  options: SiblingOptions,
): Promise<{ jobs: Map<string, UnreadJob[]>; unreadable: Omit<UnreadJob, "team">[] }> {
  const readPaths = new Set(read.map((file) => file.path));
  const firstIn = new Map<string, string>();
  for (const file of read) if (!firstIn.has(dirname(file.path))) firstIn.set(dirname(file.path), file.display);
  const found = new Map<string, UnreadJob[]>();
  const unreadable: Omit<UnreadJob, "team">[] = [];
  for (const [dir, nextTo] of firstIn) {
    // The directory's own files, as a walk of it finds them (depth 0): hidden ones, what is no
    // file and links out of the repository (`outside`) left out.
    const { files } = await walkFiles(dir, isYamlName, () => repositoryOf(dir), 0);
    for (const path of files) {
      if (readPaths.has(path)) continue;
      const display = displayPath(path, cwd);
      const documents = await documentsOf(path, display);
      if (documents === undefined) {
        unreadable.push({ file: display, nextTo });
        continue;
      }
      for (const document of documents) {
        if (asRecord(document)["stack"] !== stack) continue;
        forEachJobTeam(document, options, (key, team) => found.set(key, [...(found.get(key) ?? []), { file: display, nextTo, team }]));
      }
    }
  }
  return { jobs: found, unreadable };
}

/**
 * A file's documents: as a spec is read, else as any YAML is (the tags of mkdocs.yml or of
 * a CloudFormation template, several documents): a file of something else that no spec
 * reader takes is no broken spec. Undefined when it is not YAML text at all.
 */
async function documentsOf(path: string, display: string): Promise<unknown[] | undefined> {
  const read = await readSpecData(path, display);
  if (read === undefined) return undefined;
  return "data" in read ? [read.data] : yamlDocuments(read.text);
}
