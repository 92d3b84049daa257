#!/bin/sh
# The test command: node's own runner over every tests/**/*.test.ts. Node 20's --test neither
# expands globs nor finds .ts files by itself, so the files are listed here. Each test file
# runs in its own process, which inherits --no-node-snapshot (isolated-vm needs it).
set -e
cd "$(dirname "$0")/.."
files=$(find tests -name '*.test.ts' | sort)
exec node --no-node-snapshot --import tsx --test --test-concurrency=2 "$@" $files
