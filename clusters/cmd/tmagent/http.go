package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"
)

// serve answers every request with the pod's name, so a client can tell which
// pod behind a Service answered.
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", ":8080", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	name, _ := os.Hostname()
	log := slog.New(slog.NewTextHandler(stderr, nil))

	srv := &http.Server{
		Addr:              *addr,
		ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprintln(w, name)
		}),
	}
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.WithoutCancel(ctx))
	}()
	log.Info("serving", "addr", *addr, "name", name)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}

	return nil
}

// get fetches each URL, retrying until it answers 200 or the timeout passes.
func get(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 60*time.Second, "how long each URL may take to answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	client := &http.Client{Timeout: 3 * time.Second}

	var errs []error
	for _, url := range fs.Args() {
		body, err := fetch(ctx, client, url, *timeout)
		if err != nil {
			fmt.Fprintf(stderr, "FAIL %s: %v\n", url, err)
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(stdout, "OK %s %s", url, body)
	}

	return errors.Join(errs...)
}

// fetch retries one GET every second.
func fetch(ctx context.Context, client *http.Client, url string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		body, err := fetchOnce(ctx, client, url)
		if err == nil || time.Now().After(deadline) {
			return body, err
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// fetchOnce does one GET and wants a 200.
func fetchOnce(ctx context.Context, client *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %s", resp.Status)
	}

	return string(body), nil
}
