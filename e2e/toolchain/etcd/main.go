// etcd for the e2e's loopback cluster: upstream's own main lives in the root module, whose go.mod replaces
// its sibling modules by relative paths, so it cannot be built from the module proxy; this calls the same
// entry point from the published server module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
