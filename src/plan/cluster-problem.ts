// Whether Studio can take a job on its cluster: the planner refuses a plan whose job could
// not run, and applying a saved plan refuses one whose clusters changed since it was made.

import type { DesiredJob, LocatedSetting } from "../desired/types.js";
import type { Cluster } from "../studio/types.js";
import { formatCluster } from "./diff.js";

/** What keeps Studio from taking the job on its cluster, and the setting at fault. */
export interface ClusterProblem {
  /** Said after the job's name. */
  message: string;
  setting: LocatedSetting;
}

/** What keeps Studio from taking the job on its cluster; undefined when nothing. */
export function clusterProblem(job: DesiredJob, clusters: readonly Cluster[]): ClusterProblem | undefined {
  const ref = job.cluster;
  const cluster =
    ref === undefined ? clusters.find((c) => c.default) : clusters.find((c) => ("id" in ref ? c.id === ref.id : c.name === ref.name));
  if (ref !== undefined && cluster === undefined) {
    const names = clusters.map((c) => c.name).join(", ");
    return {
      message: `names cluster ${formatCluster(ref)}, which does not exist in Studio. Known clusters: ${names || "(none)"}.`,
      setting: "cluster",
    };
  }
  if (cluster === undefined) return undefined;
  if (!cluster.is_active)
    return { message: `would run on cluster ${cluster.name}, which is not active. Choose another cluster.`, setting: "cluster" };
  const workers = job.values.workers ?? 1;
  if (workers > cluster.max_workers) {
    return { message: `asks for ${workers} workers; cluster ${cluster.name} allows at most ${cluster.max_workers}.`, setting: "workers" };
  }
  return undefined;
}
