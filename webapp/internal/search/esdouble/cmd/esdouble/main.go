// Command esdouble runs the Elasticsearch test double (package esdouble) as
// a server, for tests that need an "es" container: it listens on :9200 (or
// :$PORT), starts empty and keeps everything in memory. It is a stand-in
// used in tests only and never part of a deployment.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search/esdouble"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "esdouble:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string) error {
	port := getenv("PORT")
	if port == "" {
		port = "9200"
	}
	s, err := esdouble.Listen(net.JoinHostPort("", port))
	if err != nil {
		return err
	}
	s.SetRecording(false) // a long-running double must not grow without bound
	fmt.Fprintf(os.Stdout, "esdouble %s (Elasticsearch test double) listening on :%s\n", esdouble.Version, port)
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Shutdown(shutdown)
}
