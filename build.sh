#!/usr/bin/env bash
# The "main job": builds everything in Release, packs the packages into the repository's
# local feed (packages/), and runs a sample program through the built tool.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_DO_NOT_USE_MSBUILD_SERVER=1

dotnet build Build.sln -c Release
dotnet pack runtime/MiniVm.Runtime -c Release -o packages
dotnet pack tool/MiniVm.Tool -c Release -o packages

echo
echo "== dotnet minivm run samples/hello/main.expr"
dotnet tool/MiniVm.Tool/bin/Release/net10.0/minivm.dll run samples/hello/main.expr
