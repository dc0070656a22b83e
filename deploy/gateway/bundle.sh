#!/bin/sh
# Build the gateway's deploy bundle on a machine with the dev tools: the compiled protocol and gateway (dist/),
# the package manifests and the lockfile, nothing of the rig but its manifest (npm needs every workspace's).
# On the Pi, `npm ci --omit=dev --workspace gateway` in the unpacked folder then installs the runtime
# dependencies only: no TypeScript, vitest, vite, esbuild or tsx, and nothing of ZeroMQ.
set -eu
cd "$(dirname "$0")/../.."
out="${1:-rigmind-gateway.tgz}"
npx tsc -b gateway
tar czf "$out" --exclude='*.tsbuildinfo' --exclude='*.map' \
  package.json package-lock.json rig/package.json protocol/package.json protocol/dist protocol/bin \
  gateway/package.json gateway/bin gateway/dist deploy/gateway
echo "wrote $out: unpack it on the Pi (e.g. into /opt/rigmind), then: npm ci --omit=dev --workspace gateway"
