package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

// runVersion implements "aggregator version": the version, and the Go
// version and build settings it was built with.
func runVersion(stdout io.Writer) error {
	fmt.Fprintln(stdout, "aggregator", versionString())
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintln(stdout, "go", strings.TrimPrefix(bi.GoVersion, "go"))
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision", "vcs.time", "vcs.modified", "GOOS", "GOARCH", "CGO_ENABLED":
				fmt.Fprintln(stdout, s.Key, s.Value)
			}
		}
	}
	return nil
}

// versionString is the version: the one set at build time, else the
// module's, else the commit a checkout was built from.
func versionString() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	// A build from a checkout: the commit it was built from.
	var rev, dirty string
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12:
			rev = s.Value[:12]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if rev == "" {
		return "dev"
	}
	return "dev-" + rev + dirty
}
