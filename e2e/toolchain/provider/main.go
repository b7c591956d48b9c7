// Stands in for upstream's provider/cmd/pulumi-resource-kubernetes main, whose embedded schema files are
// generated at release time and so are absent from the module zip: e2e/toolchain/build.py writes
// schema-embed.json (schema.json with "version" stamped) and terraform-mapping-embed.json beside this file in
// a scratch copy of this module before `go build`.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
