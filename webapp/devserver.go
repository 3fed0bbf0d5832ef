package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/sf-foodtrucks/foodtrucks/webapp/contract"
)

// DevServerBinaryEnv names a server binary that the serve command hands over
// to when it exists: the development loop (localDevMode) rebuilds the
// server on the host into a folder mounted in the container and restarts the
// container, whose image binary then runs the fresh build in its place.
// Unset, or naming no file yet, the image's own server runs.
const DevServerBinaryEnv = contract.EnvDevServerBinary

// execDevServer replaces the process with the development build when the
// command is serve and DevServerBinaryEnv names an existing file. It returns
// only when there is nothing to hand over to, or when the exec failed.
func execDevServer(args []string, getenv func(string) string) error {
	path := getenv(DevServerBinaryEnv)
	if path == "" || (len(args) > 1 && args[1] != "serve") {
		return nil
	}
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		return nil // no development build yet
	}
	// The build it hands over to must not hand over again.
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, DevServerBinaryEnv+"=") })
	if err := syscall.Exec(path, append([]string{path}, args[1:]...), env); err != nil {
		return fmt.Errorf("%s=%s: %w", DevServerBinaryEnv, path, err)
	}
	return nil
}
