#!/usr/bin/env bash
# A 100,000-seed sweep in 50 Slurm array tasks: sbatch tools/swarm/slurm-array.sh
#SBATCH --job-name=kvsim-swarm
#SBATCH --array=0-49
#SBATCH --cpus-per-task=2
#SBATCH --output=kvsim-swarm-%a.log
set -euo pipefail
cd "${SLURM_SUBMIT_DIR}"
exec build/release/tools/kvsim swarm workloads/scenarios/random-nemesis.toml \
  --seeds 1..100000 --shard "${SLURM_ARRAY_TASK_ID}/50" -j "${SLURM_CPUS_PER_TASK}"
