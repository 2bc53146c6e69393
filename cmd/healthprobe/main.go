// Command healthprobe is the emulator container's HEALTHCHECK: the final
// image has no shell and no curl, so a static probe answers Docker instead.
//
//	healthprobe [URL]
//	healthprobe -version
//
// It exits 0 when URL answers 200 within five seconds, 1 otherwise, printing
// why. Without URL it asks the emulator in the same container:
// http://127.0.0.1:{port}/_emulator/health, the port taken from
// EMULATOR_IDENTITY_ADDR (default 8080), so the check follows the listener
// when that variable moves it.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/secretkit/secretkit/internal/buildinfo"
)

// defaultIdentityPort is the emulator's identity listener port when
// EMULATOR_IDENTITY_ADDR does not say otherwise (emulator.DefaultIdentityAddr).
const defaultIdentityPort = "8080"

func main() {
	if len(os.Args) == 2 && buildinfo.IsFlag(os.Args[1]) {
		fmt.Println(buildinfo.String("healthprobe"))
		return
	}
	if err := probe(os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "healthprobe:", err)
		os.Exit(1)
	}
}

func probe(args []string, getenv func(string) string) error {
	var target string
	switch len(args) {
	case 0:
		var err error
		if target, err = healthURL(getenv("EMULATOR_IDENTITY_ADDR")); err != nil {
			return err
		}
	case 1:
		target = args[0]
	default:
		return fmt.Errorf("usage: healthprobe [URL]")
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(target)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", target, resp.Status)
	}
	return nil
}

// healthURL is the emulator's health route on loopback, at the port of
// identityAddr (the listener may bind any interface; loopback reaches it
// from inside the container either way).
func healthURL(identityAddr string) (string, error) {
	port := defaultIdentityPort
	if identityAddr != "" {
		_, p, err := net.SplitHostPort(identityAddr)
		if err != nil || p == "" || p == "0" {
			return "", fmt.Errorf("EMULATOR_IDENTITY_ADDR=%q has no fixed port to probe", identityAddr)
		}
		port = p
	}
	return "http://" + net.JoinHostPort("127.0.0.1", port) + "/_emulator/health", nil
}
