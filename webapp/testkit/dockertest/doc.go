// Package dockertest drives a real Docker engine from Go tests through the
// docker command-line client, so what a test runs is exactly what a user
// would type.
//
// It builds the web image (webapp/Dockerfile, offline path: the binary is
// compiled on the host and copied into the same runtime stage the default
// path fills) and an image of the Elasticsearch proxy (esfault), runs
// containers from a ContainerSpec, creates networks, and makes the test
// binary's real Elasticsearch node reachable from a network
// (NodeForNetwork). Everything it makes carries the label foodtrucks.test=1
// plus a per-process run label, and is removed when the test (containers,
// networks) or the test binary (images) ends, failed or not.
//
// Engine discovery: the client is "docker" from PATH, or the one named by the
// DOCKER environment variable. Builds need BuildKit; when that client has
// neither the buildx plugin nor a built-in BuildKit (clients before 23.0 have
// one), another docker client that does is searched for, or named by
// DOCKER_BUILD_CLIENT.
//
// When no engine is reachable, Require skips the test with a loud message;
// with DOCKER_TESTS_REQUIRED=1 (CI sets it) it fails instead.
//
// Images are built once per test binary when the package's TestMain calls
// Main:
//
//	func TestMain(m *testing.M) { os.Exit(dockertest.Main(m)) }
//
// Without it, every test that asks for an image builds one (Go's and
// BuildKit's caches keep that to a few seconds) and removes it in its own
// cleanup.
package dockertest
