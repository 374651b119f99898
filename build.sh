#!/usr/bin/env bash
# The "main job": builds everything in Release, packs the packages into the repository's
# local feed (packages/), runs a sample program through the built tool, and builds and runs a
# sample project through the real MSBuild SDK path (samples/hello-sdk: <Sdk Name="MiniVm.Sdk"/>
# resolved from packages/ by NuGet, exactly as a user's project resolves it).
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_DO_NOT_USE_MSBUILD_SERVER=1

dotnet build Build.sln -c Release
dotnet pack runtime/MiniVm.Runtime -c Release -o packages
dotnet pack tool/MiniVm.Tool -c Release -o packages
dotnet pack sdk/MiniVm.Sdk -c Release -o packages

echo
echo "== dotnet minivm run samples/hello/main.expr"
dotnet tool/MiniVm.Tool/bin/Release/net10.0/minivm.dll run samples/hello/main.expr

# The one version number lives in Version.props. An <Sdk> element cannot take its version from
# a property, so the samples name the SDK without a version and samples/global.json pins it
# ("msbuild-sdks", the NuGet SDK resolver's standard place); that file is generated here from
# Version.props (and ignored by git), so there is no second copy of the number to keep in step.
version=$(dotnet msbuild Version.props -getProperty:MiniVmVersion)
cat > samples/global.json <<EOF
{
  "msbuild-sdks": {
    "MiniVm.Sdk": "$version"
  }
}
EOF

# The stale-package trap: every run packs the same version again, and NuGet never re-extracts a
# version it already has. The samples therefore restore into a packages folder of their own
# (samples/nuget.config: artifacts/samples-packages), and this version's MiniVm folders are
# removed from it here, so the sample always gets the packages just packed. The user's
# ~/.nuget/packages is never touched.
samples_packages=artifacts/samples-packages
rm -rf "$samples_packages/minivm.sdk/$version" "$samples_packages/minivm.runtime/$version"

echo
echo "== dotnet run --project samples/hello-sdk   (MiniVm.Sdk $version from packages/)"
dotnet run --project samples/hello-sdk
