// Command esfault runs the fault proxy (package esfault) with no fault
// staged, as the "es" container of the two-container tests: it listens on
// :9200 (or :$PORT) and forwards everything to the real Elasticsearch node
// named by $ES_TARGET (http://host:port). Stopping the container is
// "Elasticsearch away". Test support only; never part of a deployment.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esfault"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "esfault:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string) error {
	port := getenv("PORT")
	if port == "" {
		port = "9200"
	}
	target := getenv("ES_TARGET")
	if target == "" {
		return fmt.Errorf("ES_TARGET (http://host:port of the Elasticsearch node) is not set")
	}
	p, err := esfault.Listen(net.JoinHostPort("", port), target)
	if err != nil {
		return err
	}
	p.SetRecording(false) // a long-running proxy must not grow without bound
	fmt.Printf("esfault: listening on :%s, forwarding to %s\n", port, target)
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.Shutdown(shutdown)
}
