#!/usr/bin/env bash
# Runs the whole FedRad test suite on a fresh Debian/Ubuntu machine with the .NET 10 SDK:
# installs the Debian packages the tests use, starts the services they talk to (RabbitMQ on
# 127.0.0.1), builds in Release and runs every test project. Extra arguments go to `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
fedrad_start_services

echo "== building"
dotnet build FedRad.sln -c Release -nologo -v quiet
echo "== testing"
dotnet test --solution FedRad.sln -c Release --no-build --max-parallel-test-modules 2 "$@"
