#!/usr/bin/env bash
# slad's benchmark: builds bench/ and runs it from the repository's root,
# printing one table (the machine, then each figure, its ceiling, the ratio,
# the target of issue 11 and PASS/MISS). Progress goes to stderr.
#
#   bench/run.sh                       # moderate sizes: 100K open requests, a 100K storm, 100K of history
#   bench/run.sh -open 1000000         # the issue's full size
#   bench/run.sh -scenario storm       # one scenario (example, storm, slas, history)
#   bench/run.sh -dir /var/lib/slad    # data on the disk slad would use (not a tmpfs)
#   bench/run.sh -h                    # every flag
#
# Arguments are passed to the bench. Run it on an otherwise idle machine:
# the ratios hold across machines, not across a machine busy with
# something else.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/slad-bench
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench
"$bin" -repo . "$@"
