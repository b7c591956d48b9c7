// kubectl for the e2e's helm comparison: upstream's main lives in k8s.io/kubernetes (cmd/kubectl), a module
// far larger than this needs; this calls the same entry point from the published k8s.io/kubectl module, at the
// version helm's own module requires.
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err)
	}
}
