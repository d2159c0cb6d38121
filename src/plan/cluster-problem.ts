// Whether Studio can take a job on its cluster: the planner refuses a plan whose job could
// not run, and applying a saved plan refuses one whose clusters changed since it was made.

import type { DesiredJob } from "../desired/types.js";
import type { Cluster } from "../studio/types.js";
import { formatCluster } from "./diff.js";

/** What keeps Studio from taking the job on its cluster, said after the job's name; undefined when nothing. */
export function clusterProblem(job: DesiredJob, clusters: readonly Cluster[]): string | undefined {
  const ref = job.cluster;
  const cluster =
    ref === undefined ? clusters.find((c) => c.default) : clusters.find((c) => ("id" in ref ? c.id === ref.id : c.name === ref.name));
  if (ref !== undefined && cluster === undefined) {
    const names = clusters.map((c) => c.name).join(", ");
    return `names cluster ${formatCluster(ref)}, which does not exist in Studio. Known clusters: ${names || "(none)"}.`;
  }
  if (cluster === undefined) return undefined;
  if (!cluster.is_active) return `would run on cluster ${cluster.name}, which is not active. Choose another cluster.`;
  const workers = job.values.workers ?? 1;
  if (workers > cluster.max_workers) return `asks for ${workers} workers; cluster ${cluster.name} allows at most ${cluster.max_workers}.`;
  return undefined;
}
