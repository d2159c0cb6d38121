// `npm run bench`: the benchmarks of DESIGN section 11. Filled in as the planner and
// the executor land; until then it says so instead of printing made-up figures.

process.stdout.write("No benchmarks yet: plan and apply benchmarks arrive with the planner and the executor.\n");
