package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/contract"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/permits"
)

// healthcheck probes the local liveness endpoint. It exists because a
// scratch image has no curl for the container HEALTHCHECK.
func healthcheck(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	port := strings.TrimSpace(getenv(contract.EnvPort))
	if port == "" {
		port = strconv.Itoa(contract.DefaultPort)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("healthcheck: PORT %q is not a TCP port", port)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	url := "http://" + net.JoinHostPort("127.0.0.1", port) + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, resp.Status)
	}
	_, err = fmt.Fprintln(stdout, "healthy")
	return err
}

// inspect is an operator's dry run: parse a source exactly as a load would,
// and report what would be indexed and what skipped.
func inspect(ctx context.Context, source string, stdout io.Writer) error {
	client := &http.Client{Timeout: 2 * time.Minute}
	_, report, err := permits.Fetch(ctx, client, source)
	if werr := report.WriteText(stdout); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return fmt.Errorf("data inspect %s: %w", permits.Redact(source), err)
	}
	return nil
}
