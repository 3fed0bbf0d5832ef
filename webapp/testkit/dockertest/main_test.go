package dockertest_test

import (
	"os"
	"testing"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/dockertest"
)

func TestMain(m *testing.M) { os.Exit(dockertest.Main(m)) }
