// Command foodtrucks is the SF Food Trucks web server: a search API over
// Elasticsearch in the original app's response shape, plus the map UI.
//
//	foodtrucks [serve [-reload]]      run the server (default)
//	foodtrucks healthcheck            probe the local /healthz (exit 0/1), for a container HEALTHCHECK
//	foodtrucks data inspect <file|url> parse a permits source without Elasticsearch and report on it
//	foodtrucks version                print version and revision
//
// Configuration comes from the environment; see appconfig.FromEnv and
// webapp/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Set at build time: go build -ldflags "-X main.version=1.2.3 -X main.revision=abc123".
var (
	version  = "dev"
	revision = "unknown"
)

func main() {
	// SIGTERM is how Docker and ECS ask us to stop: cancel the context and
	// let run drain in-flight requests before returning.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "foodtrucks:", err)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg + "\n" + usage }

const usage = `usage:
  foodtrucks [serve [-reload]]        run the web server (default)
  foodtrucks healthcheck              probe http://127.0.0.1:$PORT/healthz; exit 0 when healthy
  foodtrucks data inspect <file|url>  parse a permits source (SODA JSON or CSV) and report, without Elasticsearch
  foodtrucks version                  print version and revision`

// run is the whole program; tests call it with their own arguments,
// environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		return serve(ctx, nil, getenv, stdout, stderr)
	}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, getenv, stdout)
	case "data":
		if len(rest) == 2 && rest[0] == "inspect" {
			return inspect(ctx, rest[1], stdout)
		}
		return usageError{"data: expected `data inspect <file|url>`"}
	case "version", "-version", "--version":
		_, err := fmt.Fprintf(stdout, "foodtrucks %s (revision %s)\n", version, revision)
		return err
	case "help", "-h", "-help", "--help":
		_, err := fmt.Fprintln(stdout, usage)
		return err
	}
	if len(cmd) > 0 && cmd[0] == '-' {
		return serve(ctx, args[1:], getenv, stdout, stderr)
	}
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

type serveFlags struct {
	reload bool
}

func parseServeFlags(args []string, stderr io.Writer) (serveFlags, error) {
	var f serveFlags
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&f.reload, "reload", false, "load DATA_URL at start even when the alias already exists")
	if err := fs.Parse(args); err != nil {
		return f, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return f, usageError{fmt.Sprintf("serve: unexpected argument %q", fs.Arg(0))}
	}
	return f, nil
}
